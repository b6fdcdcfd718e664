"""The set-up as the dashboard's form and the API's ``PATCH`` send it, made into the
:class:`~plugins.betting.setup_change.SetupChange` that ``/setup`` makes of its options.

Discord checks a slash command's channel and role options; here a channel must be a text
channel of the server and a role one of its roles (not @everyone, not a bot's own role).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import disnake

from core.validation import ValidationError
from plugins.betting.models import GuildConfig
from plugins.betting.read_off import read_off
from plugins.betting.setup_change import SetupChange
from plugins.betting.web.models import SettingsOut, SettingsPatch


def text_channels(guild: disnake.Guild) -> list[disnake.TextChannel]:
    return sorted(guild.text_channels, key=lambda c: (c.position, c.id))


def roles(guild: disnake.Guild) -> list[disnake.Role]:
    """The roles a set-up may name, highest first."""
    return [r for r in reversed(guild.roles) if not r.is_default() and not r.managed]


def channel_of(guild: disnake.Guild, value: str, field: str) -> int:
    if value.isdigit() and any(str(c.id) == value for c in guild.text_channels):
        return int(value)
    raise ValidationError(field, "must be a text channel of this server", value)


def role_of(guild: disnake.Guild, value: str, field: str) -> int:
    if value.isdigit() and any(str(r.id) == value for r in roles(guild)):
        return int(value)
    raise ValidationError(field, "must be a role of this server", value)


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _same(typed: str, current: object) -> bool:
    """Whether a field of the form still holds ``current`` (``2`` is ``2.00``)."""
    if isinstance(current, Decimal):
        try:
            return Decimal(typed) == current
        except InvalidOperation:
            return False
    return typed == _shown(current)


def form_change(form: Mapping[str, str], config: GuildConfig, guild: disnake.Guild) -> SetupChange:
    """The change a submitted settings form asks for: the fields that differ from ``config``
    (an empty channel or grader role keeps it, as ``/setup`` does; an empty capper role lets
    everyone post)."""

    def typed(name: str) -> str | None:
        value = form.get(name, "").strip()
        return None if not value or _same(value, getattr(config, name)) else value

    channel = form.get("picks_channel", "").strip()
    grader = form.get("grader_role", "").strip()
    capper = form.get("capper_role", "").strip()
    self_grading = form.get("self_grading") == "on"
    return SetupChange(
        picks_channel_id=(
            channel_of(guild, channel, "picks_channel")
            if channel and channel != _shown(config.picks_channel_id)
            else None
        ),
        grader_role_id=(
            role_of(guild, grader, "grader_role")
            if grader and grader != _shown(config.grader_role_id)
            else None
        ),
        capper_role_id=(
            role_of(guild, capper, "capper_role")
            if capper and capper != _shown(config.capper_role_id)
            else None
        ),
        everyone_may_post=True if not capper and config.capper_role_id is not None else None,
        min_units=typed("min_units"),
        max_units=typed("max_units"),
        self_grading=self_grading if self_grading != config.self_grading else None,
        odds_format=typed("odds_format"),
        stake_mode=typed("stake_mode"),
        max_odds=typed("max_odds"),
        max_payout=typed("max_payout"),
    )


def patch_change(patch: SettingsPatch, guild: disnake.Guild) -> SetupChange:
    """The change of a ``PATCH`` body (fields left out keep their value)."""
    channel, grader, capper = patch.picks_channel_id, patch.grader_role_id, patch.capper_role_id
    return read_off(
        SetupChange,
        patch,
        picks_channel_id=channel_of(guild, channel, "picks_channel_id") if channel else None,
        grader_role_id=role_of(guild, grader, "grader_role_id") if grader else None,
        capper_role_id=role_of(guild, capper, "capper_role_id") if capper else None,
    )


def settings_out(config: GuildConfig) -> SettingsOut:
    def snowflake(value: int | None) -> str | None:
        return None if value is None else str(value)

    return read_off(
        SettingsOut,
        config,
        picks_channel_id=snowflake(config.picks_channel_id),
        grader_role_id=snowflake(config.grader_role_id),
        capper_role_id=snowflake(config.capper_role_id),
    )
