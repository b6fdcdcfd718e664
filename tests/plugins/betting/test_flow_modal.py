"""The guided flow's modal (plugins.betting.flow.modal) built alone, without Discord or a
database: which fields a straight pick and a parlay leg ask for, and what the units field says it
takes in each stake mode."""

from __future__ import annotations

from decimal import Decimal

from plugins.betting.flow.modal import NUMBER_MAX_LENGTH, modal_fields, units_hint
from plugins.betting.markets import Market
from plugins.betting.maths import OddsFormat, StakeMode
from plugins.betting.models import GuildConfig


def config(**values: str) -> GuildConfig:
    return GuildConfig(
        guild_id=1,
        min_units=Decimal("0.5"),
        max_units=Decimal(10),
        max_payout=Decimal(250),
        **values,
    )


def ids(market: Market, straight: bool) -> list[str]:
    return [field.custom_id for field in modal_fields(market, straight, config())]


def test_a_straight_pick_asks_for_units_and_a_note_a_parlay_leg_for_its_price_only() -> None:
    assert ids(Market.SPREAD, True) == ["line", "odds", "units", "note"]
    assert ids(Market.MONEYLINE, True) == ["odds", "units", "note"]
    assert ids(Market.SPREAD, False) == ["line", "odds"]
    assert ids(Market.TOTAL, False) == ["line", "odds"]
    assert ids(Market.MONEYLINE, False) == ["odds"]
    assert ids(Market.PROP, False) == ["selection", "line", "odds"]
    note = modal_fields(Market.MONEYLINE, True, config())[-1]
    assert not note.required
    numbers = [f for f in modal_fields(Market.SPREAD, True, config()) if f.custom_id != "note"]
    assert {f.max_length for f in numbers} == {NUMBER_MAX_LENGTH}


def test_the_odds_example_follows_the_servers_odds_format() -> None:
    american = modal_fields(Market.MONEYLINE, False, config())[0]
    decimal = modal_fields(Market.MONEYLINE, False, config(odds_format=OddsFormat.DECIMAL.value))
    assert american.placeholder == "-110 or +150"
    assert decimal[0].placeholder == "-110 or 1.91"


def test_the_units_field_names_the_bounds_of_each_stake_mode() -> None:
    risk, win = config(stake_mode=StakeMode.RISK.value), config(stake_mode=StakeMode.WIN.value)
    assert units_hint(risk) == "0.50 to 10.00"
    assert units_hint(win) == "at most 250.00; the stake 0.50 to 10.00"
    for mode, label in ((risk, "Units to risk"), (win, "Units to win")):
        units = modal_fields(Market.MONEYLINE, True, mode)[1].to_component_dict()
        assert (units["custom_id"], units["label"]) == ("units", label)
        assert units.get("placeholder") == units_hint(mode)
