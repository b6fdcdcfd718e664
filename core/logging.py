"""Logging: loguru for everything, stdlib logging (disnake, tortoise, aiohttp) routed into it.

Every record carries ``interaction`` (the id of the interaction being handled, or ``-``), taken
from a context variable that the pipeline sets, so all lines of one interaction can be found.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import sys
from typing import TYPE_CHECKING, Any

from loguru import logger

if TYPE_CHECKING:
    from loguru import Record

    from core.settings import LoggingSettings

current_interaction: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_interaction", default=None
)

HUMAN_FORMAT = (
    "<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> <level>{level: <8}</level> "
    "<cyan>{name}</cyan> [{extra[interaction]}] {message}"
)


def _patch(record: Record) -> None:
    iid = current_interaction.get()
    record["extra"]["interaction"] = iid if iid is not None else "-"


logger.configure(patcher=_patch)  # every sink, configured or not, sees the interaction id


class _InterceptHandler(logging.Handler):
    """Send stdlib logging records to loguru, keeping the caller's depth."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame, depth = inspect.currentframe(), 0
        while frame is not None and (depth == 0 or frame.f_code.co_filename == logging.__file__):
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())


def setup_logging(settings: LoggingSettings, sink: Any = None) -> None:
    """Configure loguru once per process (human-readable, or JSON lines when configured)."""
    logger.remove()
    target = sink if sink is not None else sys.stderr
    logger.add(
        target,
        level=settings.level,
        serialize=settings.json_lines,
        format=HUMAN_FORMAT,
        backtrace=False,
        diagnose=False,
    )
    if settings.file is not None:
        logger.add(
            settings.file,
            level=settings.level,
            serialize=settings.json_lines,
            rotation="50 MB",
            retention=5,
            enqueue=True,
        )
    logging.basicConfig(handlers=[_InterceptHandler()], level=0, force=True)
    quiet = settings.level not in ("TRACE", "DEBUG")
    for noisy in ("disnake.gateway", "disnake.http", "disnake.client", "aiosqlite", "tortoise"):
        logging.getLogger(noisy).setLevel(logging.WARNING if quiet else logging.NOTSET)
