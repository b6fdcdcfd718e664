"""The guided flow (``/bet new``) and the parlay builder (``/bet parlay``).

State lives in custom ids and in :class:`~plugins.betting.models.Draft` rows, never in memory:

- ``betnew:<draft>:league`` → ``betnew:<draft>:game`` → ``betnew:<draft>:market:<game>`` →
  ``betnew:<draft>:side:<game>:<market>`` (selects), then the modal
  ``betnew:<draft>:modal:<game>:<market>:<side>``. ``<draft>`` is ``0`` for a straight pick,
  else the parlay draft the leg is added to.
- ``betdraft:place:<id>`` / ``betdraft:cancel:<id>`` confirm or drop a draft;
  ``betparlay:add:<id>`` starts the flow for one more parlay leg.
"""

from __future__ import annotations

from collections.abc import Sequence

import disnake
from disnake.interactions import Interaction, MessageInteraction, ModalInteraction
from disnake.ui.select.string import StringSelect

from core import discord_limits
from core.recovery import UserError
from core.validation import ValidationError
from plugins.betting import access, games, inputs, replies
from plugins.betting.legs import LegSpec
from plugins.betting.limits import Limits
from plugins.betting.markets import Market, Side, sides_for
from plugins.betting.maths import OddsFormat, StakeMode, combined_odds, format_odds, stake_and_win
from plugins.betting.models import Draft, Game, GuildConfig
from plugins.betting.picks import MAX_PARLAY_LEGS, PickOrder, check_leg_count
from plugins.betting.service import Betting, utcnow
from plugins.betting.slips import leg_line
from plugins.betting.statuses import DraftStatus, PickKind

FLOW = "betnew"
DRAFT = "betdraft"
PARLAY = "betparlay"
NO_SIDE = "-"
NUMBER_MAX_LENGTH = 12
"""The longest line, odds or units a form takes (as in ``/bet straight``)."""


def game_label(game: Game) -> str:
    """``Bills @ Chiefs · Sun 07 Sep 17:00 UTC`` (the start left out when unknown)."""
    when = f" · {game.starts_at:%a %d %b %H:%M} UTC" if game.starts_at else ""
    return f"{game.matchup}{when}"


def league_select(draft: int, leagues: Sequence[str]) -> StringSelect:
    options = [disnake.SelectOption(label=name, value=name) for name in leagues]
    return discord_limits.select(f"{FLOW}:{draft}:league", options, "League")


async def start(betting: Betting, inter: Interaction, draft: int) -> tuple[str, list]:
    """The first step: the leagues with upcoming games."""
    guild_id = access.guild_id_of(inter)
    now = utcnow()
    leagues = [
        name
        for name in await games.leagues(guild_id)
        if await games.upcoming(guild_id, name, now, 1)
    ]
    if not leagues:
        raise UserError(
            "No league has upcoming games here. Use /bet straight with a manual matchup, "
            "or ask a grader to add a game with /game add."
        )
    return "Step 1 of 5: choose a league.", [league_select(draft, leagues)]


async def _own_draft(draft_id: int, inter: Interaction) -> Draft:
    draft = await Draft.filter(
        id=draft_id, user_id=inter.author.id, guild_id=inter.guild_id
    ).first()
    if draft is None:
        raise UserError("This draft is not yours, or it does not exist.")
    if draft.status != DraftStatus.OPEN:
        raise UserError(f"This draft was already {draft.status}.")
    return draft


def _modal(market: Market, straight: bool, config: GuildConfig) -> list[disnake.ui.TextInput]:
    fields: list[disnake.ui.TextInput] = []
    if market is Market.PROP:
        fields.append(
            disnake.ui.TextInput(
                label="Prop",
                custom_id="selection",
                placeholder="Mahomes over passing yards",
                max_length=inputs.SELECTION_MAX_LENGTH,
            )
        )
    if market.needs_line:
        fields.append(_number("Line", "line", "-3.5"))
    example = "-110 or 1.91" if config.odds_format == OddsFormat.DECIMAL else "-110 or +150"
    fields.append(_number("Odds", "odds", example))
    if straight:
        what = "to win" if config.stake_mode == StakeMode.WIN else "to risk"
        fields.append(_number(f"Units {what}", "units", _units_hint(config)))
        fields.append(
            disnake.ui.TextInput(
                label="Note",
                custom_id="note",
                required=False,
                style=disnake.TextInputStyle.paragraph,
                max_length=inputs.NOTE_MAX_LENGTH,
            )
        )
    return fields


def _number(label: str, custom_id: str, placeholder: str) -> disnake.ui.TextInput:
    return disnake.ui.TextInput(
        label=label, custom_id=custom_id, placeholder=placeholder, max_length=NUMBER_MAX_LENGTH
    )


def _units_hint(config: GuildConfig) -> str:
    """What the units field takes: the stake bounds, or (stake mode ``win``) the payout limit."""
    if config.stake_mode == StakeMode.WIN:
        return f"at most {config.max_payout}; the stake {config.min_units} to {config.max_units}"
    return f"{config.min_units} to {config.max_units}"


async def on_flow(
    betting: Betting, inter: MessageInteraction | ModalInteraction, rest: str
) -> None:
    """One step of the guided flow (see the module documentation for the custom ids)."""
    guild_id = access.guild_id_of(inter)
    draft_text, step, *args = rest.split(":")
    draft = int(draft_text)
    selected = getattr(inter.data, "values", None)  # a modal's data is a dict: .values()
    values = list(selected) if isinstance(selected, list) else []
    now = utcnow()
    if draft:
        await _own_draft(draft, inter)
    if step == "league":
        league = values[0]
        upcoming = await games.upcoming(guild_id, league, now)
        if not upcoming:
            raise UserError(f"{league} has no upcoming games any more.")
        menu = discord_limits.select(
            f"{FLOW}:{draft}:game",
            [disnake.SelectOption(label=game_label(g), value=str(g.id)) for g in upcoming],
            "Game",
        )
        await replies.update(
            inter, content=f"Step 2 of 5: {league} — choose a game.", components=[menu]
        )
        return
    game = await _open_game(guild_id, int(values[0] if step == "game" else args[0]))
    if step == "game":
        menu = discord_limits.select(
            f"{FLOW}:{draft}:market:{game.id}",
            [disnake.SelectOption(label=m.label, value=m.value) for m in Market],
            "Market",
        )
        await replies.update(
            inter, content=f"Step 3 of 5: {game.matchup} — choose a market.", components=[menu]
        )
        return
    config = await betting.config(guild_id)
    if step == "market":
        market = Market(values[0])
        if market is Market.PROP:
            await _send_modal(inter, draft, game, market, None, config)
            return
        names = {Side.HOME: game.home, Side.AWAY: game.away, Side.OVER: "Over", Side.UNDER: "Under"}
        menu = discord_limits.select(
            f"{FLOW}:{draft}:side:{game.id}:{market.value}",
            [disnake.SelectOption(label=names[s], value=s.value) for s in sides_for(market)],
            "Selection",
        )
        await replies.update(
            inter,
            content=f"Step 4 of 5: {game.matchup} · {market.label} — choose a side.",
            components=[menu],
        )
        return
    if step == "side":
        await _send_modal(inter, draft, game, Market(args[1]), Side(values[0]), config)
        return
    if step != "modal" or not isinstance(inter, ModalInteraction):
        raise UserError("This menu is out of date: start again with /bet new.")
    await _submitted(betting, inter, draft, game, Market(args[1]), args[2], config)


async def _open_game(guild_id: int, game_id: int) -> Game:
    game = await games.find(guild_id, game_id)
    if game is None:
        raise ValidationError("game", "unknown game: start again with /bet new", game_id)
    games.require_open(game, utcnow())
    return game


async def _send_modal(
    inter: MessageInteraction | ModalInteraction,
    draft: int,
    game: Game,
    market: Market,
    side: Side | None,
    config: GuildConfig,
) -> None:
    custom_id = f"{FLOW}:{draft}:modal:{game.id}:{market.value}:{side.value if side else NO_SIDE}"
    await inter.response.send_modal(
        title=discord_limits.clip(f"{market.label} · {game.matchup}", discord_limits.MODAL_TITLE),
        custom_id=custom_id,
        components=_modal(market, draft == 0, config),
    )


async def _submitted(
    betting: Betting,
    inter: ModalInteraction,
    draft: int,
    game: Game,
    market: Market,
    side_text: str,
    config: GuildConfig,
) -> None:
    values = inter.text_values
    fmt, odds = inputs.odds(values.get("odds", ""), config.odds_format)
    line = inputs.line(values.get("line"), market)
    if market is Market.PROP:
        side, selection = inputs.selection(
            values.get("selection", ""), market, game.home, game.away
        )
    else:
        side = Side(side_text)
        selection = {
            Side.HOME: game.home,
            Side.AWAY: game.away,
            Side.OVER: "Over",
            Side.UNDER: "Under",
        }[side]
    leg = LegSpec(game.id, game.league, game.matchup, market, side, selection, line, fmt, odds)
    limits, mode = Limits.of(config), StakeMode(config.stake_mode)
    if draft:
        parlay = await _own_draft(draft, inter)
        legs = [LegSpec.from_json(d) for d in parlay.legs]
        if any(existing.game_id == leg.game_id for existing in legs):
            raise ValidationError("legs", "a parlay may have only one leg per game", game.matchup)
        if len(legs) + 1 > MAX_PARLAY_LEGS:
            check_leg_count(PickKind.PARLAY, len(legs) + 1)
        odds_with_leg = combined_odds(x.odds for x in [*legs, leg])
        breach = limits.breach(mode, parlay.amount, odds_with_leg, building=True)
        if breach is not None:
            kept = f"{len(legs)} leg{'' if len(legs) == 1 else 's'}"
            rule = f"{breach.rule}; this leg was not added (the parlay keeps its {kept})"
            raise ValidationError(breach.field, rule)
        parlay.legs = [*parlay.legs, leg.to_json()]
        await parlay.save(update_fields=["legs"])
        content, embed, components = parlay_view(parlay, config)
        await inter.send(content, embed=embed, components=components, ephemeral=True)
        return
    amount = limits.amount(values.get("units", ""), mode)
    stake, to_win = limits.terms(mode, amount, leg.odds)
    note_text = values.get("note") or ""
    note = inputs.text(note_text, "note", inputs.NOTE_MAX_LENGTH) if note_text.strip() else None
    await access.require_capper(betting.ctx, inter, config, "/bet new")
    created = await Draft.create(
        guild_id=inter.guild_id,
        user_id=inter.author.id,
        kind=PickKind.STRAIGHT.value,
        amount=amount,
        note=note,
        legs=[leg.to_json()],
    )
    embed = disnake.Embed(title="Confirm your pick", description=leg_line(leg))
    embed.add_field("Risk", f"{stake}u").add_field("To win", f"{to_win}u")
    await inter.send(
        embed=discord_limits.fit(embed),
        components=_confirm_buttons(created.id, "Place pick"),
        ephemeral=True,
    )


def _confirm_buttons(draft_id: int, label: str) -> list[disnake.ui.Button]:
    return [
        disnake.ui.Button(
            label=label, style=disnake.ButtonStyle.success, custom_id=f"{DRAFT}:place:{draft_id}"
        ),
        disnake.ui.Button(
            label="Cancel",
            style=disnake.ButtonStyle.secondary,
            custom_id=f"{DRAFT}:cancel:{draft_id}",
        ),
    ]


def parlay_view(
    draft: Draft, config: GuildConfig
) -> tuple[str, disnake.Embed, list[disnake.ui.Button]]:
    """The builder: legs so far, combined odds and what the parlay would pay, or which limit
    keeps it from being placed (legs beyond the limits are refused as they are added)."""
    legs = [LegSpec.from_json(d) for d in draft.legs]
    embed = disnake.Embed(title=f"Parlay builder ({len(legs)} of {MAX_PARLAY_LEGS} legs)")
    width = discord_limits.share(discord_limits.DESCRIPTION, len(legs))
    embed.description = (
        "\n".join(f"{i}. {leg_line(leg, width - len(f'{i}. '))}" for i, leg in enumerate(legs, 1))
        or "No legs yet."
    )
    if legs:
        odds = combined_odds(leg.odds for leg in legs)
        limits, mode = Limits.of(config), StakeMode(config.stake_mode)
        breach = limits.breach(mode, draft.amount, odds)
        if breach is not None and breach.field == "odds":  # lowered since, or an older draft
            embed.add_field("Cannot be placed", breach.user_message, inline=False)
        else:
            stake, to_win = stake_and_win(mode, draft.amount, odds)
            embed.add_field("Odds", format_odds(odds, OddsFormat(config.odds_format)))
            embed.add_field("Risk", f"{stake}u")
            embed.add_field("Potential payout", f"{stake + to_win}u (wins {to_win}u)")
            if breach is not None:
                embed.add_field("Cannot be placed yet", breach.user_message, inline=False)
    buttons = [
        disnake.ui.Button(
            label="Add leg", style=disnake.ButtonStyle.primary, custom_id=f"{PARLAY}:add:{draft.id}"
        ),
        *_confirm_buttons(draft.id, "Place parlay"),
    ]
    return "Add 2 to 12 legs, then place the parlay.", discord_limits.fit(embed), buttons


async def on_parlay(
    betting: Betting, inter: MessageInteraction | ModalInteraction, rest: str
) -> None:
    """``Add leg`` on the builder: refuse a 13th leg, else start the guided flow for a leg."""
    action, draft_id = rest.split(":")
    draft = await _own_draft(int(draft_id), inter)
    if action != "add":
        raise UserError("This button is out of date: start again with /bet parlay.")
    if len(draft.legs) >= MAX_PARLAY_LEGS:
        check_leg_count(PickKind.PARLAY, len(draft.legs) + 1)
    content, components = await start(betting, inter, draft.id)
    await inter.send(content, components=components, ephemeral=True)


async def on_draft(
    betting: Betting, inter: MessageInteraction | ModalInteraction, rest: str
) -> None:
    """Confirm (place) or cancel a draft."""
    action, draft_id = rest.split(":")
    guild_id = access.guild_id_of(inter)
    draft = await _own_draft(int(draft_id), inter)
    if action == "cancel":
        updated = await Draft.filter(id=draft.id, status=DraftStatus.OPEN.value).update(
            status=DraftStatus.CANCELLED.value
        )
        if not updated:
            raise UserError("This draft was already placed or cancelled.")
        await replies.update(
            inter, content="Cancelled: nothing was placed.", embed=None, components=[]
        )
        return
    config = await betting.config(guild_id)
    await access.require_capper(
        betting.ctx, inter, config, f"placing {draft.kind} draft {draft.id}"
    )
    legs = [LegSpec.from_json(d) for d in draft.legs]
    order = PickOrder(
        guild_id=guild_id,
        user_id=inter.author.id,
        interaction_id=inter.id,
        kind=PickKind(draft.kind),
        legs=legs,
        amount=draft.amount,
        note=draft.note,
        draft_id=draft.id,
    )
    pick, stored = await betting.place(order, config)
    where = await betting.post_slip(pick, stored, config)
    await replies.update(
        inter,
        content=f"Pick #{pick.id} placed: risk {pick.stake}u to win {pick.to_win}u. {where}",
        embed=None,
        components=[],
    )
