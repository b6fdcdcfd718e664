"""Logging: loguru for everything, stdlib logging (disnake, tortoise, aiohttp) routed into it.

Every record carries ``interaction`` (the id of the interaction being handled, or ``-``), taken
from a context variable that the pipeline sets, so all lines of one interaction can be found.

No sink ever prints local variables, and known secrets never reach a sink: one patcher, applied
to every record before any sink sees it,

- renders the record's exception as a plain traceback (file, line, code; no variables, which
  would carry a driver's connection parameters or the bot's token) appended to the message, so
  no sink can turn loguru's ``diagnose`` on for it, and
- replaces every secret registered with :func:`hide_secrets` by ``********`` in the message
  (traceback included) and in the record's string ``extra`` values, since a driver's error text
  may carry a password too.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import sys
import traceback
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from loguru import logger
from pydantic import BaseModel, SecretStr

from core.settings import settings_summary

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
REDACTED = "********"
MIN_SECRET_LENGTH = 4  # shorter values would hide ordinary words; they are not redacted

_secrets: list[str] = []  # longest first, so a secret containing another is replaced whole


def hide_secrets(settings: BaseModel) -> None:
    """Redact the secrets of ``settings`` from every log record from now on.

    The secrets are what :func:`~core.settings.settings_summary` masks: every ``SecretStr``,
    every string under a key naming a token, key, password or secret (plugin sections too), and
    the password of every URL (as written and percent-decoded). Pass the process's
    :class:`~core.settings.Settings` at start and a plugin's validated settings model.
    """
    raw = settings.model_dump(mode="python", by_alias=True)
    found = set(_secrets) | set(_secret_values(raw, settings_summary(settings)))
    _secrets[:] = sorted((s for s in found if len(s) >= MIN_SECRET_LENGTH), key=len, reverse=True)


def _secret_values(raw: Any, masked: Any) -> Iterator[str]:
    if isinstance(raw, dict) and isinstance(masked, dict):
        for key, value in raw.items():
            yield from _secret_values(value, masked.get(key))
    elif isinstance(raw, list) and isinstance(masked, list):
        for value, shown in zip(raw, masked, strict=False):
            yield from _secret_values(value, shown)
    elif isinstance(raw, SecretStr):
        yield raw.get_secret_value()
    elif isinstance(raw, str) and raw != masked:
        if masked == REDACTED or "://" not in raw:
            yield raw
            return
        try:
            password = urllib.parse.urlsplit(raw).password
        except ValueError:
            password = None
        if password:
            yield from (password, urllib.parse.unquote(password))


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``********``."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _patch(record: Record) -> None:
    iid = current_interaction.get()
    record["extra"]["interaction"] = iid if iid is not None else "-"
    exception = record["exception"]
    if exception is not None and exception.type is not None:
        rendered = "".join(
            traceback.format_exception(exception.type, exception.value, exception.traceback)
        )
        record["message"] = f"{record['message']}\n{rendered.rstrip()}"
        record["exception"] = None
    if _secrets:
        record["message"] = redact(record["message"])
        extra = record["extra"]
        for key, value in extra.items():
            if isinstance(value, str):
                extra[key] = redact(value)


logger.configure(patcher=_patch)  # every sink, configured or not, sees every record patched


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
    """Configure loguru once per process (human-readable, or JSON lines when configured):
    ``sink`` (standard error by default), and the ``[logging] file`` when set."""
    logger.remove()
    common: dict[str, Any] = {
        "level": settings.level,
        "serialize": settings.json_lines,
        "format": HUMAN_FORMAT,
        "backtrace": False,
        "diagnose": False,
    }
    logger.add(sink if sink is not None else sys.stderr, **common)
    if settings.file is not None:
        logger.add(settings.file, rotation="50 MB", retention=5, enqueue=True, **common)
    logging.basicConfig(handlers=[_InterceptHandler()], level=0, force=True)
    quiet = settings.level not in ("TRACE", "DEBUG")
    for noisy in ("disnake.gateway", "disnake.http", "disnake.client", "aiosqlite", "tortoise"):
        logging.getLogger(noisy).setLevel(logging.WARNING if quiet else logging.NOTSET)
