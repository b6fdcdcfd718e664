"""Turning the core's events into audit records: what is kept, truncated and masked.

A :class:`Record` is an entry before it joins its chain (no ``seq`` or hashes yet). Free text is
truncated to the configured limit and stripped of invisible characters; any option or data key
that looks like a secret (``token``, ``key``, ``password``, ``secret``) is stored as ``***``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from core.events import ActionEvent, CommandEvent, Outcome, SecurityEvent

SECRET_WORDS = ("token", "key", "password", "secret")
MASK = "***"
GLOBAL_CHAIN = "global"
MAX_DEPTH = 4


class Category(StrEnum):
    """The ``category`` column's values."""

    COMMAND = "command"
    ADMIN = "admin"
    ACTION = "action"
    SECURITY = "security"


CATEGORIES = frozenset(Category)


def chain_of(guild_id: int | None) -> str:
    """Each guild has its own chain; everything without a guild shares ``global``."""
    return f"guild:{guild_id}" if guild_id is not None else GLOBAL_CHAIN


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same value always gives the same text."""
    return _CANONICAL.encode(value)


def to_micros(seconds: float) -> int:
    return round(seconds * 1_000_000)


def truncate(text: str, limit: int) -> str:
    """``text`` without control/format characters, cut to ``limit`` characters (``…`` at a cut)."""
    text = str(text)
    if text.isprintable():  # no character of Cc, Cf or Cs: nothing to take out
        return text if len(text) <= limit else text[: limit - 1] + "…"
    clean = "".join(
        c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf", "Cs")
    )
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


_SECRET = re.compile("|".join(SECRET_WORDS))


def is_secret_name(name: str) -> bool:
    return _SECRET.search(name.lower()) is not None


def sanitise(value: Any, limit: int, depth: int = 0) -> Any:
    """A JSON-safe copy of ``value``: secrets masked by key, text truncated, Decimals as text."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return truncate(value, limit)
    if depth >= MAX_DEPTH:
        return truncate(repr(value), limit)
    if isinstance(value, dict):
        return {
            str(k): MASK if is_secret_name(str(k)) else sanitise(v, limit, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [sanitise(v, limit, depth + 1) for v in value]
    snowflake = getattr(value, "id", None)
    if isinstance(snowflake, int):
        return snowflake
    return truncate(str(value), limit)


class Record(NamedTuple):
    """One entry waiting in the queue (a tuple: one is made per command, the cheapest to build).
    ``options`` and ``data`` are canonical JSON text."""

    ts: int
    """When it happened, in microseconds since the Unix epoch (UTC)."""
    category: Category
    action: str
    user_id: int | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    command: str | None = None
    options: str = "{}"
    outcome: str | None = None
    latency_us: int | None = None
    error_id: str | None = None
    detail: str = ""
    client_address: str | None = None
    owner_only: bool = False
    target: str | None = None
    data: str = "{}"

    @property
    def chain(self) -> str:
        return chain_of(self.guild_id)


def from_command(event: CommandEvent, limit: int) -> Record | None:
    """A command invocation (``None`` for a duplicate delivery: it is not a new invocation)."""
    if event.outcome is Outcome.DUPLICATE:
        return None
    info = event.info
    data = {"plugin": info.plugin, "kind": info.kind, "interaction_id": info.interaction_id}
    if event.error_type:
        data["error_type"] = event.error_type
    return Record(
        ts=to_micros(event.at),
        category=Category.COMMAND,
        action=info.kind,
        user_id=info.user_id,
        guild_id=info.guild_id,
        channel_id=info.channel_id,
        command=truncate(info.command, 100),
        options=canonical_json(sanitise(dict(info.options), limit)),
        outcome=str(event.outcome),
        latency_us=to_micros(event.latency),
        error_id=event.error_id,
        detail=truncate(event.message or "", limit),
        data=canonical_json(sanitise(data, limit)),
    )


def from_action(event: ActionEvent, limit: int) -> Record:
    """A domain action; ``admin=True`` actions are admin actions (grading, setup, switches)."""
    data: dict[str, Any] = {"plugin": event.plugin, **sanitise(dict(event.data), limit)}
    if event.amount is not None:
        data["amount"] = str(event.amount)
    if event.interaction_id is not None:
        data["interaction_id"] = event.interaction_id
    return Record(
        ts=to_micros(event.at),
        category=Category.ADMIN if event.admin else Category.ACTION,
        action=truncate(event.kind, 100),
        user_id=event.user_id,
        guild_id=event.guild_id,
        target=truncate(event.target, 100) if event.target is not None else None,
        data=canonical_json(data),
    )


def from_security(event: SecurityEvent, limit: int) -> Record:
    return Record(
        ts=to_micros(event.at),
        category=Category.SECURITY,
        action=truncate(event.kind, 100),
        user_id=event.user_id,
        guild_id=event.guild_id,
        detail=truncate(event.detail, limit),
        client_address=truncate(event.client_address, 64) if event.client_address else None,
        owner_only=event.owner_only,
        data=canonical_json(sanitise(dict(event.data), limit)),
    )


def from_plugin_event(kind: str, at: float, **data: Any) -> Record:
    """Plugin loaded / unloaded / reloaded: an operator-level admin action (no guild)."""
    name = str(data.get("name", ""))
    return Record(
        ts=to_micros(at),
        category=Category.ADMIN,
        action=f"plugin.{kind}",
        target=truncate(name, 100),
        data=canonical_json(sanitise(data, 500)),
    )
