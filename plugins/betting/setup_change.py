"""A change of a guild's betting set-up, however it is asked for: ``/setup``, the dashboard's
settings form or ``PATCH /api/v1/guilds/{guild_id}/settings``. One validation (:func:`apply`),
stored by one service method (:meth:`~plugins.betting.service.Betting.change_config`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from core import validation
from core.validation import ValidationError
from plugins.betting.limits import MAX_ODDS_RANGE, MAX_PAYOUT_RANGE
from plugins.betting.maths import OddsFormat, StakeMode
from plugins.betting.models import GuildConfig

UNITS_MAX = 1_000_000
"""The largest stake bound ``min_units`` and ``max_units`` may be."""


@dataclass(frozen=True, slots=True)
class SetupChange:
    """What to change; ``None`` keeps the value. Numbers are the text a member typed."""

    picks_channel_id: int | None = None
    grader_role_id: int | None = None
    capper_role_id: int | None = None
    everyone_may_post: bool | None = None
    """``True`` drops the capper role: everyone may post (refused with ``capper_role_id``)."""
    min_units: str | None = None
    max_units: str | None = None
    self_grading: bool | None = None
    odds_format: str | None = None
    stake_mode: str | None = None
    max_odds: str | None = None
    max_payout: str | None = None


def _choice(kind: type[StrEnum], value: str | None, field: str) -> str | None:
    if value is None:
        return None
    choices = [m.value for m in kind]
    if value not in choices:
        raise ValidationError(field, f"must be {' or '.join(choices)}", value)
    return value


def apply(config: GuildConfig, change: SetupChange) -> dict[str, Any]:
    """Check ``change`` against ``config`` and set what it changes on ``config`` (unsaved);
    return the changes as ``{field: text}`` for the audit. Raises
    :class:`~core.validation.ValidationError` (``config`` untouched then)."""
    low = (
        validation.units(change.min_units, field="min_units", maximum=UNITS_MAX)
        if change.min_units
        else config.min_units
    )
    high = (
        validation.units(change.max_units, field="max_units", maximum=UNITS_MAX)
        if change.max_units
        else config.max_units
    )
    if Decimal(low) > Decimal(high):
        raise ValidationError("min_units", f"must not be more than max_units ({high})", low)
    if change.everyone_may_post and change.capper_role_id is not None:
        raise ValidationError("everyone_may_post", "leave capper_role empty to let everyone post")
    updates: dict[str, Any] = {
        "picks_channel_id": change.picks_channel_id,
        "grader_role_id": change.grader_role_id,
        "capper_role_id": change.capper_role_id,
        "min_units": low if change.min_units else None,
        "max_units": high if change.max_units else None,
        "self_grading": change.self_grading,
        "odds_format": _choice(OddsFormat, change.odds_format, "odds_format"),
        "stake_mode": _choice(StakeMode, change.stake_mode, "stake_mode"),
        "max_odds": (
            validation.units(change.max_odds, *MAX_ODDS_RANGE, field="max_odds")
            if change.max_odds
            else None
        ),
        "max_payout": (
            validation.units(change.max_payout, *MAX_PAYOUT_RANGE, field="max_payout")
            if change.max_payout
            else None
        ),
    }
    changed: dict[str, Any] = {}
    for key, value in updates.items():
        if value is not None:
            setattr(config, key, value)
            changed[key] = str(value)
    if change.everyone_may_post:
        config.capper_role_id = None
        changed["capper_role_id"] = None
    return changed
