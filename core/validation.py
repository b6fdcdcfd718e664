"""Input validation: every value a member types is checked here before a handler sees it.

Each validator returns the cleaned value or raises :class:`ValidationError`, whose message names
the field and the rule, worded for the member (the pipeline shows it as-is, ephemerally)::

    >>> american_odds("-50")
    Traceback (most recent call last):
    ValidationError: odds: American odds must be at most -100 or at least +100 (got -50)

Money-like numbers (units, odds) are :class:`~decimal.Decimal`, never float. Text a member
writes goes through :func:`free_text`, which keeps it as typed (NFC-normalised, control and
invisible characters stripped) and checks its length on exactly what is stored; it is never
rewritten to stop pings, since the bot sends every message with allowed mentions that permit
none (see :func:`core.bot.bot_options`). :func:`escape_markdown` escapes it where it is embedded
in formatted messages, and :mod:`core.discord_limits` fits the result to Discord's limits.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from disnake.utils import escape_markdown as _disnake_escape_markdown

DISCORD_EPOCH_MS = 1_420_070_400_000
"""Milliseconds since the Unix epoch of 2015-01-01, the origin of snowflake timestamps."""

SNOWFLAKE_FUTURE_SLACK_MS = 24 * 3600 * 1000
"""A snowflake may be at most this far in the future (clock skew), else it is implausible."""

AMERICAN_ODDS_LIMIT = Decimal(100_000)
DECIMAL_ODDS_MAX = Decimal(1_001)
NAME_MAX_LENGTH = 64
TEXT_MAX_LENGTH = 500

_HUNDRED = Decimal(100)
_ONE = Decimal(1)
_CENT = Decimal("0.01")


class ValidationError(ValueError):
    """A value a member gave breaks a rule; ``str()`` is the message shown to the member."""

    def __init__(self, field: str, rule: str, got: object = None) -> None:
        self.field = field
        self.rule = rule
        self.got = got
        super().__init__(self.user_message)

    @property
    def user_message(self) -> str:
        """``field: rule (got value)``, e.g. ``units: at most 2 decimal places (got 1.005)``."""
        got = "" if self.got is None else f" (got {_shorten(str(self.got))})"
        return f"{self.field}: {self.rule}{got}"


def _shorten(text: str, limit: int = 40) -> str:
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- snowflakes -------------------------------------------------------------------------------


def snowflake(value: int | str, field: str = "id", *, now: float | None = None) -> int:
    """A Discord id (user, guild, channel, role): a positive integer below 2**64 whose
    timestamp lies between 2015 and one day from ``now`` (Unix seconds, default: the clock)."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdecimal() or not text.isascii():
        raise ValidationError(field, "must be a Discord id (digits only)", value)
    number = int(text)
    if not 0 < number < 2**64:
        raise ValidationError(field, "must be a Discord id between 1 and 2**64 - 1", value)
    stamp_ms = (number >> 22) + DISCORD_EPOCH_MS
    limit_ms = int((time.time() if now is None else now) * 1000) + SNOWFLAKE_FUTURE_SLACK_MS
    if number >> 22 == 0 or stamp_ms > limit_ms:
        raise ValidationError(field, "is not a plausible Discord id (its timestamp is off)", value)
    return number


# --- money-like numbers -----------------------------------------------------------------------


def _decimal(value: int | str | Decimal | float, field: str) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError(field, "must be a number", value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(field, "must be a number", value) from None
    if not number.is_finite():
        raise ValidationError(field, "must be a finite number", value)
    return number


def units(
    value: int | str | Decimal | float,
    minimum: Decimal | int | str = _CENT,
    maximum: Decimal | int | str = Decimal(1_000),
    *,
    field: str = "units",
) -> Decimal:
    """A bet amount in units: positive, at most 2 decimal places, within the guild's
    ``[minimum, maximum]`` (inclusive). Returns the amount quantized to 0.01."""
    number = _decimal(value, field)
    low, high = Decimal(minimum), Decimal(maximum)
    if number.normalize().as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError(field, "must have at most 2 decimal places", value)
    if number <= 0:
        raise ValidationError(field, "must be more than 0", value)
    if number < low:
        raise ValidationError(field, f"must be at least {low}", value)
    if number > high:
        raise ValidationError(field, f"must be at most {high}", value)
    return number.quantize(_CENT)


def american_odds(
    value: int | str | Decimal, *, limit: Decimal = AMERICAN_ODDS_LIMIT, field: str = "odds"
) -> Decimal:
    """American odds: a whole number at most -100 or at least +100 (so 0 and -99..+99 are
    refused), and at most ``limit`` away from zero. Text such as ``"-110"`` or ``"+150"``."""
    number = _decimal(value, field)
    if number != number.to_integral_value():
        raise ValidationError(field, "American odds must be a whole number", value)
    if -_HUNDRED < number < _HUNDRED:
        rule = "American odds must be at most -100 or at least +100"
        raise ValidationError(field, rule, _signed(number))
    if abs(number) > limit:
        rule = f"American odds must be between -{limit} and +{limit}"
        raise ValidationError(field, rule, _signed(number))
    return number.quantize(_ONE)


def decimal_odds(
    value: int | str | Decimal | float,
    *,
    maximum: Decimal = DECIMAL_ODDS_MAX,
    field: str = "odds",
) -> Decimal:
    """Decimal (European) odds: more than 1.0 and at most ``maximum``. Text like ``"1.91"``."""
    number = _decimal(value, field)
    if number <= _ONE:
        raise ValidationError(field, "decimal odds must be more than 1.0", value)
    if number > maximum:
        raise ValidationError(field, f"decimal odds must be at most {maximum}", value)
    return number


def _signed(number: Decimal) -> str:
    return f"+{number}" if number > 0 else str(number)


def american_to_decimal(american: Decimal) -> Decimal:
    """+A → 1 + A/100; -A → 1 + 100/A (exact Decimal arithmetic, 28 significant digits)."""
    if american >= _HUNDRED:
        return _ONE + american / _HUNDRED
    if american <= -_HUNDRED:
        return _ONE + _HUNDRED / -american
    raise ValidationError("odds", "American odds must be at most -100 or at least +100", american)


def decimal_to_american(decimal: Decimal) -> Decimal:
    """d >= 2 → +(d - 1) * 100; 1 < d < 2 → -100 / (d - 1). Not rounded to whole numbers."""
    if decimal >= 2:
        return (decimal - _ONE) * _HUNDRED
    if decimal > _ONE:
        return -_HUNDRED / (decimal - _ONE)
    raise ValidationError("odds", "decimal odds must be more than 1.0", decimal)


@dataclass(frozen=True, slots=True)
class Odds:
    """Odds as the member gave them, with both representations."""

    decimal: Decimal
    american: Decimal
    source: Literal["american", "decimal"]

    def __str__(self) -> str:
        return _signed(self.american) if self.source == "american" else str(self.decimal)


def parse_odds(text: str, *, field: str = "odds") -> Odds:
    """Read odds typed by a member. A leading ``+``/``-`` means American (``"-110"``,
    ``"+150"``); a decimal point means decimal odds (``"1.91"``); a bare whole number of 100 or
    more is American, below 100 decimal (``"150"`` → +150, ``"3"`` → 3.0)."""
    raw = str(text).strip()
    if not raw:
        raise ValidationError(field, "enter odds such as -110, +150 or 1.91")
    if raw[0] in "+-":
        american = american_odds(raw, field=field)
        return Odds(american_to_decimal(american), american, "american")
    number = _decimal(raw, field)
    if "." not in raw and number >= _HUNDRED:
        american = american_odds(number, field=field)
        return Odds(american_to_decimal(american), american, "american")
    decimal = decimal_odds(number, field=field)
    return Odds(decimal, decimal_to_american(decimal), "decimal")


# --- names and free text ----------------------------------------------------------------------

_NAME_PUNCTUATION = " .'&-()/"
_SPACES = re.compile(r"\s+")


def _name(value: str, field: str, max_length: int) -> str:
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", str(value))).strip()
    if not text:
        raise ValidationError(field, "must not be empty")
    if len(text) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters", len(text))
    bad = [c for c in text if not (c.isalnum() or c in _NAME_PUNCTUATION)]
    if bad:
        rule = "may only contain letters, digits, spaces and . ' & - ( ) /"
        raise ValidationError(field, rule, "".join(dict.fromkeys(bad)))
    return text


def league_name(value: str, *, max_length: int = NAME_MAX_LENGTH, field: str = "league") -> str:
    """A league name: letters (any script), digits, spaces and ``. ' & - ( ) /``; whitespace
    collapsed; 1..``max_length`` characters."""
    return _name(value, field, max_length)


def team_name(value: str, *, max_length: int = NAME_MAX_LENGTH, field: str = "team") -> str:
    """A team name, with the same rules as :func:`league_name`."""
    return _name(value, field, max_length)


#: Format characters that are kept: the joiners emoji sequences and several scripts need
#: (ZWNJ, ZWJ) and the tag characters of subdivision flags.
_KEPT_FORMAT = frozenset("\u200c\u200d") | frozenset(map(chr, range(0xE0020, 0xE0080)))


def _strip_invisible(text: str) -> str:
    """Drop control characters (except newline and tab), surrogates and invisible format
    characters (zero-width space, word joiner, bidi overrides, BOM, soft hyphen), keeping
    :data:`_KEPT_FORMAT`."""
    return "".join(
        c
        for c in text
        if c in "\n\t" or c in _KEPT_FORMAT or unicodedata.category(c) not in ("Cc", "Cf", "Cs")
    )


def free_text(
    value: str,
    *,
    max_length: int = TEXT_MAX_LENGTH,
    field: str = "text",
    allow_empty: bool = False,
) -> str:
    """Member-written text to store and show, as typed: NFC-normalised, invisible characters
    stripped, surrounding whitespace trimmed, at most ``max_length`` characters of what is
    returned (and stored). ``@everyone`` and ``<@id>`` are kept: messages are sent with allowed
    mentions that permit none. Escape it with :func:`escape_markdown` where it is embedded in
    formatted text."""
    text = _strip_invisible(unicodedata.normalize("NFC", str(value))).strip()
    if not text and not allow_empty:
        raise ValidationError(field, "must not be empty")
    if len(text) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters", len(text))
    return text


def escape_markdown(text: str) -> str:
    """Escape Discord markdown (``*``, ``_``, ``~``, `````, ``|``, ``>``) so member text shows
    literally inside our formatted messages."""
    return _disnake_escape_markdown(text)
