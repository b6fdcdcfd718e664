"""Reading what a member typed: odds, units, lines, selections, notes and start times.

Built on :mod:`core.validation`; everything here raises
:class:`~core.validation.ValidationError` naming the field and the rule, so the pipeline shows
the member an ephemeral message and nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from core import validation
from core.validation import ValidationError
from plugins.betting.markets import Market, Side, side_names, sides_for
from plugins.betting.maths import OddsFormat

LINE_LIMIT = Decimal(1000)
ODDS_DECIMAL_PLACES = 4
SELECTION_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 300


def text(value: str, field: str, max_length: int) -> str:
    """Member text that is stored and shown, as typed: see :func:`core.validation.free_text`.
    Mentions in it never ping (messages are sent with allowed mentions that permit none)."""
    return validation.free_text(value, max_length=max_length, field=field)


def odds(value: str, guild_format: OddsFormat | str) -> tuple[OddsFormat, Decimal]:
    """Odds as ``(format, value)``. American guilds take American odds only (``-110``,
    ``+150``); decimal guilds take decimal odds (``1.91``, at most 4 decimal places) or American."""
    raw = str(value).strip()
    if OddsFormat(guild_format) is OddsFormat.AMERICAN:
        return OddsFormat.AMERICAN, validation.american_odds(raw)
    parsed = validation.parse_odds(raw)
    if parsed.source == "american":
        return OddsFormat.AMERICAN, parsed.american
    exponent = parsed.decimal.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -ODDS_DECIMAL_PLACES:
        rule = f"decimal odds may have at most {ODDS_DECIMAL_PLACES} decimal places"
        raise ValidationError("odds", rule, raw)
    return OddsFormat.DECIMAL, parsed.decimal


def units(value: str | Decimal | float, minimum: Decimal, maximum: Decimal) -> Decimal:
    """Units within the guild's bounds, at most 2 decimal places."""
    return validation.units(value, minimum, maximum)


def line(value: str | float | Decimal | None, market: Market) -> Decimal | None:
    """The line: required for spreads, totals and props, refused for moneylines."""
    if value is None or str(value).strip() == "":
        if market.needs_line:
            raise ValidationError("line", f"a {market.label.lower()} pick needs a line, e.g. -3.5")
        return None
    if not market.needs_line:
        raise ValidationError("line", "a moneyline pick takes no line (leave it empty)")
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValidationError("line", "must be a number such as -3.5 or 45.5", value) from None
    if not number.is_finite():
        raise ValidationError("line", "must be a number such as -3.5 or 45.5", value)
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValidationError("line", "must have at most 2 decimal places", value)
    if abs(number) >= LINE_LIMIT:
        raise ValidationError("line", f"must be between -{LINE_LIMIT} and {LINE_LIMIT}", value)
    if market is Market.TOTAL and number <= 0:
        raise ValidationError("line", "a total must be more than 0", value)
    return number.quantize(Decimal("0.01"))


def selection(value: str, market: Market, home: str, away: str) -> tuple[Side | None, str]:
    """``(side, shown text)``: a team (by name, or ``home``/``away``) for moneylines and spreads,
    ``over``/``under`` for totals, free text for props."""
    raw = " ".join(str(value).split())
    if market is Market.PROP:
        return None, text(raw, "selection", SELECTION_MAX_LENGTH)
    wanted = raw.casefold()
    names = side_names(home, away)
    for side in sides_for(market):
        if wanted in (side.value, names[side].casefold()) or (
            market is Market.TOTAL and wanted == side.value[0]
        ):
            return side, names[side]
    choices = " or ".join(names[s] for s in sides_for(market))
    raise ValidationError("selection", f"pick {choices}", raw)


def start_time(value: str) -> datetime:
    """A game's start as ``YYYY-MM-DD HH:MM`` in UTC."""
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationError(
            "starts", "write the start as YYYY-MM-DD HH:MM (UTC)", value
        ) from None
