"""Validators: worded errors, examples, and properties (hypothesis)."""

from __future__ import annotations

import time
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.validation import (
    DISCORD_EPOCH_MS,
    ValidationError,
    american_odds,
    american_to_decimal,
    decimal_odds,
    decimal_to_american,
    escape_markdown,
    free_text,
    league_name,
    parse_odds,
    snowflake,
    team_name,
    units,
)

NOW = 1_750_000_000.0


def snowflake_at(unix: float, low: int = 0) -> int:
    return ((int(unix * 1000) - DISCORD_EPOCH_MS) << 22) | low


# --- messages -----------------------------------------------------------------------------------


def test_error_names_field_rule_and_value() -> None:
    with pytest.raises(ValidationError) as info:
        american_odds("-50")
    assert str(info.value) == "odds: American odds must be at most -100 or at least +100 (got -50)"
    assert info.value.user_message == str(info.value)
    assert (info.value.field, info.value.got) == ("odds", "-50")


# --- snowflakes ---------------------------------------------------------------------------------


def test_snowflake_examples() -> None:
    assert snowflake("175928847299117063", now=NOW) == 175928847299117063
    for bad in ("0", "-5", "abc", "12.5", str(2**64), "1", "", "١٢٣"):
        with pytest.raises(ValidationError):
            snowflake(bad, "guild", now=NOW)
    with pytest.raises(ValidationError, match="plausible"):
        snowflake(snowflake_at(NOW + 7 * 86400), now=NOW)


@given(st.floats(1_420_070_401, NOW), st.integers(0, 2**22 - 1))
def test_snowflakes_of_the_past_are_accepted(unix: float, low: int) -> None:
    value = snowflake_at(unix, low)
    assert snowflake(value, now=NOW) == snowflake(str(value), now=NOW) == value


@given(st.integers())
def test_snowflakes_are_positive_and_below_2_64(value: int) -> None:
    try:
        assert 0 < snowflake(value, now=NOW) < 2**64
    except ValidationError:
        pass


# --- units --------------------------------------------------------------------------------------


def test_units_examples() -> None:
    assert units("2.5") == Decimal("2.50")
    assert units(3) == Decimal("3.00")
    assert units("1.500") == Decimal("1.50")
    assert units(0.1) == Decimal("0.10")
    with pytest.raises(ValidationError, match="at most 2 decimal places"):
        units("1.005")
    with pytest.raises(ValidationError, match="at least 1"):
        units("0.5", minimum=1)
    with pytest.raises(ValidationError, match="at most 10"):
        units("10.01", 1, 10)
    for bad in ("0", "-1", "NaN", "inf", "ten", "", "1,5"):
        with pytest.raises(ValidationError):
            units(bad)


@given(st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3))
def test_units_never_accept_three_decimals(value: Decimal) -> None:
    assume(value.normalize().as_tuple().exponent == -3)
    with pytest.raises(ValidationError):
        units(value, Decimal("0.001"), 1000)


@given(st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2))
def test_units_accept_two_decimals_within_bounds(value: Decimal) -> None:
    result = units(str(value))
    assert result == value and result.as_tuple().exponent == -2


# --- odds ---------------------------------------------------------------------------------------


def test_odds_examples() -> None:
    assert parse_odds("-110").decimal == Decimal(1) + Decimal(100) / Decimal(110)
    assert parse_odds("+150").decimal == Decimal("2.5")
    assert parse_odds("150").american == Decimal(150)
    assert parse_odds("1.91").source == "decimal"
    assert parse_odds("2.5").american == Decimal(150)
    assert str(parse_odds("+150")) == "+150" and str(parse_odds("1.91")) == "1.91"
    assert american_to_decimal(Decimal(-200)) == Decimal("1.5")
    assert decimal_to_american(Decimal("1.5")) == Decimal(-200)
    for bad in ("0", "+99", "-99", "-50", "+100.5", "1.0", "0.5", "x", "", "+200000"):
        with pytest.raises(ValidationError):
            parse_odds(bad)
    with pytest.raises(ValidationError, match="at most 50"):
        decimal_odds("51", maximum=Decimal(50))
    with pytest.raises(ValidationError, match="between -500 and \\+500"):
        american_odds("+600", limit=Decimal(500))


american = st.integers(100, 100_000).flatmap(lambda a: st.sampled_from([a, -a])).map(Decimal)


@given(american)
def test_american_round_trip(a: Decimal) -> None:
    back = decimal_to_american(american_to_decimal(american_odds(a)))
    if abs(a) == 100:  # -100 and +100 are the same (even money)
        assert back == 100
    else:
        assert abs(back - a) <= abs(a) * Decimal("1e-9")


@given(st.decimals(min_value=Decimal("1.001"), max_value=1000, places=3))
def test_decimal_round_trip(d: Decimal) -> None:
    back = american_to_decimal(decimal_to_american(decimal_odds(d)))
    assert abs(back - d) <= d * Decimal("1e-9")


@given(st.integers(-99, 99))
def test_american_between_minus_99_and_99_refused(a: int) -> None:
    with pytest.raises(ValidationError):
        american_odds(a)
    with pytest.raises(ValidationError):
        parse_odds(f"{a:+d}")


@given(st.decimals(max_value=1, allow_nan=False, allow_infinity=False))
def test_decimal_odds_at_most_one_refused(d: Decimal) -> None:
    with pytest.raises(ValidationError):
        decimal_odds(d)


# --- names --------------------------------------------------------------------------------------


def test_name_examples() -> None:
    assert team_name("  New  York   Yankees ") == "New York Yankees"
    assert team_name("Bayern München") == "Bayern München"
    assert league_name("Premier League (ENG)") == "Premier League (ENG)"
    assert team_name("St. Louis Cardinals") == "St. Louis Cardinals"
    with pytest.raises(ValidationError, match=r"team: may only contain.*got <>"):
        team_name("<script>")
    with pytest.raises(ValidationError, match="at most 64"):
        team_name("x" * 65)
    with pytest.raises(ValidationError, match="empty"):
        league_name("   ")


@given(st.text(max_size=80))
def test_names_are_clean_or_refused(text: str) -> None:
    try:
        name = team_name(text)
    except ValidationError:
        return
    assert 0 < len(name) <= 64 and name == name.strip() and "  " not in name
    assert all(c.isalnum() or c in " .'&-()/" for c in name)


# --- free text ----------------------------------------------------------------------------------


def test_free_text_examples() -> None:
    assert free_text("hi @everyone and @here") == "hi @everyone and @here"  # stored as typed
    assert free_text("ping <@&123>") == "ping <@&123>"
    assert free_text("a\u200bb\u202ec\x00d\x07\u2060e\ufefff") == "abcdef"
    assert free_text("two\nlines") == "two\nlines"
    assert free_text("  e\u0301  ") == "\u00e9"  # NFC, trimmed
    family, persian = (
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    )
    assert free_text(family) == family and free_text(persian) == persian  # joiners kept
    scotland = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    assert free_text(scotland) == scotland
    with pytest.raises(ValidationError, match="at most 5 characters"):
        free_text("abcdef", max_length=5)
    with pytest.raises(ValidationError, match="empty"):
        free_text("\u200b \x00")
    assert free_text("", allow_empty=True) == ""


def test_free_text_length_is_what_is_stored() -> None:
    """300 ``@`` are 300 characters: nothing is inserted, so the column always holds it."""
    assert free_text("@" * 300, max_length=300) == "@" * 300
    with pytest.raises(ValidationError, match="note: must be at most 300 characters"):
        free_text("@" * 301, max_length=300, field="note")


@given(st.text(max_size=300))
def test_free_text_keeps_visible_characters_only(text: str) -> None:
    try:
        clean = free_text(text, max_length=300)
    except ValidationError:
        return
    assert len(clean) <= 300
    assert all(
        c in "\n\t\u200c\u200d"
        or 0xE0020 <= ord(c) < 0xE0080
        or unicodedata.category(c) not in ("Cc", "Cf", "Cs")
        for c in clean
    )
    assert "@" not in text or clean.count("@") == unicodedata.normalize("NFC", text).count("@")


def test_markdown_escape() -> None:
    assert escape_markdown("**bold** _x_ `y`") == "\\*\\*bold\\*\\* \\_x\\_ \\`y\\`"


def test_snowflake_default_clock_is_now() -> None:
    assert snowflake(snowflake_at(time.time() - 60)) > 0
