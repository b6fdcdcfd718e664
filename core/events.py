"""Typed events and results passed through the hook specifications.

Every event is a frozen dataclass so listeners (audit, metrics) can keep them without copying.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """How an interaction ended."""

    OK = "ok"
    FAILED = "failed"
    REJECTED = "rejected"  # input validation refused it
    RATE_LIMITED = "rate_limited"
    DENIED = "denied"  # a permission or guild switch refused it
    DUPLICATE = "duplicate"  # the same interaction delivered twice
    UNANSWERED = "unanswered"  # not acknowledged within Discord's 3 s (the member saw it fail)


@dataclass(frozen=True, slots=True)
class InteractionInfo:
    """What the pipeline knows about one interaction, independent of disnake objects."""

    interaction_id: int
    kind: str  # "command", "autocomplete", "component", "modal"
    plugin: str | None
    command: str  # qualified name, e.g. "bet straight", or a component's custom id prefix
    user_id: int
    guild_id: int | None
    channel_id: int | None
    options: dict[str, Any] = field(default_factory=dict)
    is_owner: bool = False
    shard_id: int | None = None


@dataclass(frozen=True, slots=True)
class CommandEvent:
    """Emitted after every interaction the pipeline handled (completed or failed)."""

    info: InteractionInfo
    outcome: Outcome
    latency: float  # seconds from receipt to the end of handling
    error_id: str | None = None
    error_type: str | None = None
    message: str | None = None
    at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """Something an operator should know about: refusals, blocks, abuse."""

    kind: str  # e.g. "rate_limit_block", "permission_refused", "validation_rejected"
    user_id: int | None = None
    guild_id: int | None = None
    detail: str = ""
    client_address: str | None = None
    owner_only: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """A domain action a plugin reports (a pick placed, a grade, a setup change).

    ``admin`` marks actions that guild admins or owners take (grading, corrections, setup,
    plugin switches); audit records them as admin actions. ``amount`` carries an optional money-like
    figure (``Decimal``) for metrics.
    """

    plugin: str
    kind: str  # e.g. "bet.placed", "bet.graded", "setup.changed"
    user_id: int | None = None
    guild_id: int | None = None
    target: str | None = None
    admin: bool = False
    amount: Decimal | None = None
    data: dict[str, Any] = field(default_factory=dict)
    interaction_id: int | None = None
    at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class RateLimitRequest:
    """The question put to the rate-limit hook for one interaction."""

    info: InteractionInfo
    bucket_key: str  # the command, or its group, used to pick the configured limit


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    """Allow, or deny with the exact time to wait (seconds)."""

    allowed: bool
    retry_after: float = 0.0
    scope: str = ""  # which bucket decided: "user", "guild", "channel", "global", "block"
    blocked: bool = False  # true while a temporary block for repeated violations is in force


class RecoveryKind(StrEnum):
    """What the error-recovery hook asks the pipeline to do."""

    RETRY = "retry"
    RECONNECT_DATABASE = "reconnect_database"
    DEGRADE = "degrade"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class RecoveryAction:
    """The answer of the error-recovery hook."""

    kind: RecoveryKind
    user_message: str | None = None
    """What the member is told if recovery fails; ``None``: the generic message."""
    max_attempts: int = 3
    """Attempts in all, the first included (capped at 10)."""
    base_delay: float = 0.1
    """Seconds before the first retry; doubled each attempt, with jitter."""


@dataclass(frozen=True, slots=True)
class Denial:
    """A command check's refusal, with the message the member sees."""

    message: str
    reason: str = "denied"


@dataclass(frozen=True, slots=True)
class HealthResult:
    """One component's health.

    ``configured=False`` marks an optional component that is switched off because nobody set
    it up (an external API without a key): it is reported as ``not_configured``, never as
    failing, whatever ``healthy`` says; ``detail`` should name the setting that turns it on.
    """

    component: str
    healthy: bool
    detail: str = ""
    duration_ms: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)
    configured: bool = True
