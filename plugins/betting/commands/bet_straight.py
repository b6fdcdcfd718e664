"""``/bet straight``: a straight pick in one command, with its autocompletes."""

from __future__ import annotations

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core import discord_limits, validation
from plugins.betting import access, games, inputs
from plugins.betting.commands.shared import league_choices
from plugins.betting.flow import game_label
from plugins.betting.legs import LegSpec
from plugins.betting.limits import Limits
from plugins.betting.markets import Market
from plugins.betting.maths import OddsFormat, StakeMode
from plugins.betting.picks import PickOrder
from plugins.betting.service import Betting, utcnow
from plugins.betting.slips import slip_embed
from plugins.betting.statuses import PickKind

MARKETS = {m.label: m.value for m in Market}


def straight_options() -> list[disnake.Option]:
    """The options of ``/bet straight``, declared outright (required ones first).

    Its callback takes ``**options``: disnake then skips re-reading an eight-parameter signature
    and docstring on every pick (about 120 µs of CPU each).
    """

    def text(
        name: str,
        description: str,
        max_length: int | None = None,
        *,
        required: bool = True,
        choices: dict[str, str] | None = None,
    ) -> disnake.Option:
        return disnake.Option(
            name,
            description,
            disnake.OptionType.string,
            required,
            choices=choices,
            max_length=max_length,
        )

    return [
        text("league", "The league (pick from the list)"),
        text(
            "game",
            'The game (pick from the list), or "Away @ Home" when the league has no schedule',
        ),
        text("market", "Moneyline, spread, total or player prop", choices=MARKETS),
        text("selection", "The team, Over/Under, or the prop", inputs.SELECTION_MAX_LENGTH),
        text(
            "odds",
            "American odds such as -110 or +150 (decimal such as 1.91 where the server uses them)",
            12,
        ),
        text("units", "Units to risk (or to win, if the server counts picks by what they win)", 12),
        text(
            "line",
            "The line, required for spreads, totals and props (e.g. -3.5, 45.5)",
            12,
            required=False,
        ),
        text("note", "An optional note shown on the slip", inputs.NOTE_MAX_LENGTH, required=False),
    ]


async def game_choices(
    inter: ApplicationCommandInteraction, typed: str
) -> list[disnake.OptionChoice]:
    """The league's upcoming games; none scheduled: what the member types (a manual matchup)."""
    league = str(inter.filled_options.get("league") or "")
    if inter.guild_id is None or not league:
        return []
    upcoming = await games.upcoming(inter.guild_id, league, utcnow())
    if not upcoming:
        return discord_limits.choices([typed[:100]] if typed.strip() else [])
    found = {game_label(g): str(g.id) for g in upcoming}
    matching = {k: v for k, v in found.items() if typed.lower() in k.lower()}
    return discord_limits.choices(matching or found)


async def selection_choices(inter: ApplicationCommandInteraction, typed: str) -> list[str]:
    """Over/Under for totals, the game's teams for other markets, what was typed for props."""
    market = str(inter.filled_options.get("market") or "")
    game_value = str(inter.filled_options.get("game") or "")
    if inter.guild_id is None or market not in MARKETS.values():
        return []
    if Market(market) is Market.TOTAL:
        return ["Over", "Under"]
    if game_value.isdecimal():
        game = await games.find(inter.guild_id, int(game_value))
        if game is not None and Market(market) is not Market.PROP:
            return [game.away, game.home]
    return [typed[:100]] if typed.strip() else []


def add(bet: commands.InvokableSlashCommand, betting: Betting) -> None:
    """Add ``/bet straight`` to the ``/bet`` group."""

    @bet.sub_command(options=straight_options())
    async def straight(inter: ApplicationCommandInteraction, **options: str) -> None:
        """Post a straight pick."""
        guild_id = access.guild_id_of(inter)
        config = await betting.config(guild_id)
        await access.require_capper(betting.ctx, inter, config, "/bet straight")
        league = validation.league_name(options["league"])
        market = Market(options["market"])
        fmt, odds = inputs.odds(options["odds"], config.odds_format)
        amount = Limits.of(config).amount(options["units"], StakeMode(config.stake_mode))
        line = inputs.line(options.get("line"), market)
        note = options.get("note")
        note_text = inputs.text(note, "note", inputs.NOTE_MAX_LENGTH) if note else None
        now = utcnow()
        target = await games.resolve(guild_id, league, options["game"], inter.author.id, now)
        games.require_open(target, now)
        side, shown = inputs.selection(options["selection"], market, target.home, target.away)
        leg = LegSpec(
            target.id or 0, target.league, target.matchup, market, side, shown, line, fmt, odds
        )
        order = PickOrder(
            guild_id=guild_id,
            user_id=inter.author.id,
            interaction_id=inter.id,
            kind=PickKind.STRAIGHT,
            legs=[leg],
            amount=amount,
            note=note_text,
            manual_game=target if target.id is None else None,
            checked=[] if target.id is None else [target],
        )
        pick, legs = await betting.place(order, config)
        where = await betting.post_slip(pick, legs, config)
        await inter.send(
            f"Pick #{pick.id} placed: risk {pick.stake}u to win {pick.to_win}u. {where}",
            embed=slip_embed(pick, legs, OddsFormat(config.odds_format)),
            ephemeral=True,
        )

    straight.autocomplete("league")(league_choices(betting.settings))
    straight.autocomplete("game")(game_choices)
    straight.autocomplete("selection")(selection_choices)
