"""Logging: JSON lines when configured, stdlib loggers routed into loguru, interaction ids."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from loguru import logger

from core.logging import current_interaction, setup_logging
from core.settings import LoggingSettings


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """setup_logging reconfigures the process; put stdlib logging back for the other tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_the_interaction_id_and_stdlib_records() -> None:
    out = io.StringIO()
    setup_logging(LoggingSettings(level="INFO", json_lines=True), sink=out)
    try:
        token = current_interaction.set(987654321)
        try:
            logger.info("from loguru")
            logging.getLogger("tortoise.test").warning("from the stdlib")
        finally:
            current_interaction.reset(token)
        logger.info("outside any interaction")
    finally:
        logger.remove()
        logger.add(io.StringIO())  # leave a harmless sink for the rest of the session
    records = [json.loads(line)["record"] for line in out.getvalue().splitlines()]
    assert [r["message"] for r in records] == [
        "from loguru",
        "from the stdlib",
        "outside any interaction",
    ]
    assert [r["extra"]["interaction"] for r in records] == [987654321, 987654321, "-"]
    assert records[1]["level"]["name"] == "WARNING"


def test_human_format_shows_the_interaction_id() -> None:
    out = io.StringIO()
    setup_logging(LoggingSettings(level="DEBUG"), sink=out)
    try:
        token = current_interaction.set(42)
        logger.debug("hello")
        current_interaction.reset(token)
    finally:
        logger.remove()
        logger.add(io.StringIO())
    assert "[42] hello" in out.getvalue()
