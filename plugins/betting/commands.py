"""Slash commands: ``/bet ...``, ``/stats``, ``/leaderboard``, ``/setup``, ``/game ...``.

:func:`build_commands` makes fresh command objects closing over the plugin's :class:`Betting`
service (no module-level state, so a reload gets new objects).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction, MessageInteraction, ModalInteraction
from tortoise.expressions import Q

from core import discord_limits, validation
from core.recovery import UserError
from core.responder import PUBLIC
from core.validation import ValidationError
from plugins.betting import access, boards, flow, games, inputs, replies
from plugins.betting.legs import LegSpec
from plugins.betting.limits import MAX_ODDS_RANGE, MAX_PAYOUT_RANGE, Limits, shown_odds, shown_units
from plugins.betting.markets import Market
from plugins.betting.maths import OddsFormat, Result, StakeMode
from plugins.betting.models import Draft, Game, Leg, Pick
from plugins.betting.picks import has_started, load
from plugins.betting.records import Metric, Period
from plugins.betting.service import Betting, utcnow
from plugins.betting.slips import slip_embed

MARKETS = {m.label: m.value for m in Market}
RESULTS = [r.value for r in (Result.WON, Result.LOST, Result.PUSH, Result.VOID)]
STATUSES = ["pending", *RESULTS, "cancelled"]
PERIODS = [p.value for p in Period]
METRICS = {"Units": Metric.UNITS.value, "ROI": Metric.ROI.value, "Win rate": Metric.WIN_RATE.value}
GUILD_ONLY = disnake.InteractionContextTypes(guild=True)
MANAGE = disnake.Permissions(manage_guild=True)


def parse_start(value: str) -> datetime:
    """``YYYY-MM-DD HH:MM`` in UTC."""
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationError(
            "starts", "write the start as YYYY-MM-DD HH:MM (UTC)", value
        ) from None


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
        text("selection", "The team, Over/Under, or the prop", 200),
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


def _settled_label(game: Game) -> str:
    """`` · final 20-24`` / `` · cancelled`` for a settled game in a list, else nothing."""
    result = games.GameResult.of(game)
    return f" · {result.describe()}" if result.settled else ""


def _units_chart(series: Sequence[tuple[str, str]], title: str) -> bytes:
    """The /stats chart, run in a worker thread: matplotlib is imported there on the first call
    (half a second, more on a busy machine), so the event loop never waits for it."""
    from plugins.betting.chart import cumulative_units_png

    return cumulative_units_png(series, title)


def build_commands(betting: Betting) -> list[Any]:
    settings = betting.settings

    async def league_choices(inter: ApplicationCommandInteraction, typed: str) -> list[str]:
        if inter.guild_id is None:
            return []
        known = await games.leagues(inter.guild_id, typed)
        followed = [f.name for f in settings.api_sports.follow if typed.lower() in f.name.lower()]
        return sorted(set(known) | set(followed))[:25]

    async def game_choices(
        inter: ApplicationCommandInteraction, typed: str
    ) -> list[disnake.OptionChoice]:
        league = str(inter.filled_options.get("league") or "")
        if inter.guild_id is None or not league:
            return []
        upcoming = await games.upcoming(inter.guild_id, league, utcnow())
        if not upcoming:  # no schedule: the member types a manual matchup
            return discord_limits.choices([typed[:100]] if typed.strip() else [])
        found = {flow._game_label(g): str(g.id) for g in upcoming}
        matching = {k: v for k, v in found.items() if typed.lower() in k.lower()}
        return discord_limits.choices(matching or found)

    async def selection_choices(inter: ApplicationCommandInteraction, typed: str) -> list[str]:
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

    # --- /bet --------------------------------------------------------------------------------

    @commands.slash_command(name="bet", contexts=GUILD_ONLY)
    async def bet(inter: ApplicationCommandInteraction) -> None:
        """Post picks and parlays, grade them, and look them up."""

    @bet.sub_command(options=straight_options())
    async def straight(inter: ApplicationCommandInteraction, **options: str) -> None:
        """Post a straight pick."""
        league, game, market = options["league"], options["game"], options["market"]
        selection, odds, units = options["selection"], options["odds"], options["units"]
        line, note = options.get("line"), options.get("note")
        guild_id = access.guild_id_of(inter)
        config = await betting.config(guild_id)
        if not access.may_post(inter, config):
            await betting.ctx.security_event(
                "permission_refused",
                user_id=inter.author.id,
                guild_id=guild_id,
                detail="/bet straight without the capper role",
            )
            raise UserError("Only members with the capper role may post picks here.")
        league_name = validation.league_name(league)
        chosen = Market(market)
        fmt, odds_value = inputs.odds(odds, config.odds_format)
        amount = Limits.of(config).amount(units, StakeMode(config.stake_mode))
        line_value = inputs.line(line, chosen)
        note_text = inputs.text(note, "note", inputs.NOTE_MAX_LENGTH) if note else None
        now = utcnow()
        target = await games.resolve(guild_id, league_name, game, inter.author.id, now)
        games.require_open(target, now)
        side, shown = inputs.selection(selection, chosen, target.home, target.away)
        leg = LegSpec(
            target.id or 0,
            target.league,
            target.matchup,
            chosen,
            side,
            shown,
            line_value,
            fmt,
            odds_value,
        )
        pick, legs = await betting.place(
            guild_id=guild_id,
            user_id=inter.author.id,
            interaction_id=inter.id,
            kind="straight",
            legs=[leg],
            amount=amount,
            config=config,
            note=note_text,
            manual_game=target if target.id is None else None,
            checked=[] if target.id is None else [target],
        )
        where = await betting.post_slip(pick, legs, config)
        await inter.send(
            f"Pick #{pick.id} placed: risk {pick.stake}u to win {pick.to_win}u. {where}",
            embed=slip_embed(pick, legs, OddsFormat(config.odds_format)),
            ephemeral=True,
            allowed_mentions=disnake.AllowedMentions.none(),
        )

    straight.autocomplete("league")(league_choices)
    straight.autocomplete("game")(game_choices)
    straight.autocomplete("selection")(selection_choices)

    @bet.sub_command(name="new")
    async def new(inter: ApplicationCommandInteraction) -> None:
        """Build a pick step by step with menus."""
        guild_id = access.guild_id_of(inter)
        if not access.may_post(inter, await betting.config(guild_id)):
            raise UserError("Only members with the capper role may post picks here.")
        content, components = await flow.start(betting, inter, 0)
        await inter.send(content, components=components, ephemeral=True)

    @bet.sub_command()
    async def parlay(
        inter: ApplicationCommandInteraction,
        units: str = commands.Param(max_length=12),
        note: str | None = commands.Param(default=None, max_length=inputs.NOTE_MAX_LENGTH),
    ) -> None:
        """Build a parlay of 2 to 12 legs with buttons.

        Parameters
        ----------
        units: Units to risk (or to win, if the server counts picks by what they win)
        note: An optional note shown on the slip
        """
        guild_id = access.guild_id_of(inter)
        config = await betting.config(guild_id)
        if not access.may_post(inter, config):
            raise UserError("Only members with the capper role may post picks here.")
        amount = Limits.of(config).amount(units, StakeMode(config.stake_mode))
        note_text = inputs.text(note, "note", inputs.NOTE_MAX_LENGTH) if note else None
        draft = await Draft.create(
            guild_id=guild_id,
            user_id=inter.author.id,
            kind="parlay",
            amount=amount,
            note=note_text,
            legs=[],
        )
        content, embed, buttons = flow.parlay_view(draft, config)
        await inter.send(content, embed=embed, components=buttons, ephemeral=True)

    @bet.sub_command()
    async def cancel(inter: ApplicationCommandInteraction, id: int) -> None:
        """Cancel a pending pick (its author before the game starts, or a grader).

        Parameters
        ----------
        id: The pick's number (#id on its slip)
        """
        guild_id = access.guild_id_of(inter)
        config = await betting.config(guild_id)
        pick, legs = await load(id, guild_id)
        grader = access.is_grader(inter, config)
        if not grader:
            if pick.user_id != inter.author.id:
                await betting.ctx.security_event(
                    "permission_refused",
                    user_id=inter.author.id,
                    guild_id=guild_id,
                    detail=f"/bet cancel of pick {id} by someone else",
                )
                raise UserError("Only the pick's author or a grader can cancel it.")
            if await has_started(legs, utcnow()):
                raise UserError(f"Pick #{id}'s game has started: only a grader can cancel it now.")
        await betting.cancel(
            id, guild_id, inter.author.id, admin=grader and pick.user_id != inter.author.id
        )
        await inter.send(f"Pick #{id} cancelled.", ephemeral=True)

    @bet.sub_command()
    async def show(inter: ApplicationCommandInteraction, id: int) -> None:
        """Show a pick's slip.

        Parameters
        ----------
        id: The pick's number (#id on its slip)
        """
        guild_id = access.guild_id_of(inter)
        config = await betting.config(guild_id)
        pick, legs = await load(id, guild_id)
        await inter.send(
            embed=slip_embed(pick, legs, OddsFormat(config.odds_format)),
            ephemeral=True,
            allowed_mentions=disnake.AllowedMentions.none(),
        )

    @bet.sub_command(name="list")
    async def list_(
        inter: ApplicationCommandInteraction,
        member: disnake.Member | None = None,
        status: str | None = commands.Param(default=None, choices=STATUSES),
    ) -> None:
        """List picks, newest first, with paging buttons.

        Parameters
        ----------
        member: Only this member's picks
        status: Only picks with this status
        """
        guild_id = access.guild_id_of(inter)
        embed, buttons = await pick_page(
            betting, guild_id, member.id if member else None, status, 1
        )
        await inter.send(
            embed=embed,
            components=buttons,
            ephemeral=True,
            allowed_mentions=disnake.AllowedMentions.none(),
        )

    @bet.sub_command()
    async def grade(
        inter: ApplicationCommandInteraction,
        id: int,
        result: str = commands.Param(choices=RESULTS),
        leg: int | None = commands.Param(default=None, ge=1, le=12),
    ) -> None:
        """Grade a pick, or one leg of a parlay (graders); grading again corrects the result.

        Parameters
        ----------
        id: The pick's number (#id on its slip)
        result: won, lost, push or void
        leg: For a parlay: the leg's number (1 to 12)
        """
        guild_id = access.guild_id_of(inter)
        config = await betting.config(guild_id)
        if not access.is_grader(inter, config):
            await betting.ctx.security_event(
                "permission_refused",
                user_id=inter.author.id,
                guild_id=guild_id,
                detail=f"/bet grade {id} without the grader role",
            )
            raise UserError("Only graders (the grader role or Manage Server) can grade picks.")
        pick, _ = await load(id, guild_id)
        if pick.user_id == inter.author.id and not config.self_grading:
            await betting.ctx.security_event(
                "permission_refused",
                user_id=inter.author.id,
                guild_id=guild_id,
                detail=f"/bet grade of own pick {id}",
            )
            raise UserError("You cannot grade your own pick in this server; ask another grader.")
        outcome = await betting.grade(id, guild_id, Result(result), inter.author.id, leg=leg)
        what = f"Pick #{id}" + (f" leg {leg}" if leg and pick.kind == "parlay" else "")
        verb = "corrected to" if outcome.corrected else "graded"
        units_text = "" if outcome.pick.result_units is None else f" ({outcome.pick.result_units}u)"
        await inter.send(
            f"{what} {verb} {result}. Pick status: {outcome.new_status}{units_text}.",
            ephemeral=True,
        )

    # --- records -----------------------------------------------------------------------------

    @commands.slash_command(contexts=GUILD_ONLY, extras=PUBLIC)
    async def stats(
        inter: ApplicationCommandInteraction,
        member: disnake.Member | None = None,
        period: str = commands.Param(default=Period.ALL.value, choices=PERIODS),
        league: str | None = None,
    ) -> None:
        """A member's record: W-L-P, win rate, units, ROI, odds, streak, best win and a chart.

        Parameters
        ----------
        member: Whose record (default: yours)
        period: today, week, month, year or all
        league: Only this league
        """
        guild_id = access.guild_id_of(inter)
        who = member or inter.author
        league_name = validation.league_name(league) if league else None
        record = await betting.record(guild_id, who.id, Period(period), league_name)
        config = await betting.config(guild_id)
        embed = boards.stats_embed(
            who.display_name, record, Period(period), league_name, OddsFormat(config.odds_format)
        )
        kwargs: dict[str, Any] = {}
        if record.series:
            title = f"{who.display_name}: cumulative units"
            png = await asyncio.to_thread(_units_chart, record.series, title)
            kwargs["file"] = disnake.File(io.BytesIO(png), filename="units.png")
            embed.set_image(url="attachment://units.png")
        await inter.send(embed=embed, allowed_mentions=disnake.AllowedMentions.none(), **kwargs)

    stats.autocomplete("league")(league_choices)

    @commands.slash_command(contexts=GUILD_ONLY, extras=PUBLIC)
    async def leaderboard(
        inter: ApplicationCommandInteraction,
        period: str = commands.Param(default=Period.ALL.value, choices=PERIODS),
        metric: str = commands.Param(default=Metric.UNITS.value, choices=METRICS),
        league: str | None = None,
    ) -> None:
        """The top cappers by units, ROI or win rate.

        Parameters
        ----------
        period: today, week, month, year or all
        metric: Rank by units won, ROI or win rate
        league: Only this league
        """
        guild_id = access.guild_id_of(inter)
        league_name = validation.league_name(league) if league else None
        embed, buttons = await board_page(
            betting, guild_id, Period(period), Metric(metric), league_name, 1
        )
        await inter.send(
            embed=embed, components=buttons, allowed_mentions=disnake.AllowedMentions.none()
        )

    leaderboard.autocomplete("league")(league_choices)

    # --- /setup ------------------------------------------------------------------------------

    @commands.slash_command(name="setup", contexts=GUILD_ONLY, default_member_permissions=MANAGE)
    async def setup_(
        inter: ApplicationCommandInteraction,
        picks_channel: disnake.TextChannel | None = None,
        grader_role: disnake.Role | None = None,
        capper_role: disnake.Role | None = None,
        everyone_may_post: bool | None = None,
        min_units: str | None = commands.Param(default=None, max_length=12),
        max_units: str | None = commands.Param(default=None, max_length=12),
        self_grading: bool | None = None,
        odds_format: str | None = commands.Param(
            default=None, choices=[f.value for f in OddsFormat]
        ),
        stake_mode: str | None = commands.Param(default=None, choices=[m.value for m in StakeMode]),
        max_odds: str | None = commands.Param(default=None, max_length=12),
        max_payout: str | None = commands.Param(default=None, max_length=16),
    ) -> None:
        """Set up betting in this server (Manage Server). Options left out keep their value.

        Parameters
        ----------
        picks_channel: Where bet slips are posted
        grader_role: Who may grade picks (Manage Server always may)
        capper_role: Who may post picks
        everyone_may_post: True: drop the capper role, everyone may post picks
        min_units: The smallest stake in units
        max_units: The largest stake in units
        self_grading: Whether authors may grade their own picks
        odds_format: american (-110, +150) or decimal (1.91)
        stake_mode: risk: units are the stake; win: units are what the pick wins
        max_odds: The highest combined decimal odds of a pick, 1.01 to 1000000 (1001 is +100000)
        max_payout: The most units one pick may win, 0.01 to 1000000000
        """
        guild_id = access.guild_id_of(inter)
        if not access.is_manager(inter):
            await betting.ctx.security_event(
                "permission_refused",
                user_id=inter.author.id,
                guild_id=guild_id,
                detail="/setup without Manage Server",
            )
            raise UserError("Only members with Manage Server can change the betting set-up.")
        config = await betting.load_config(guild_id)
        changed: dict[str, Any] = {}
        low = (
            validation.units(min_units, field="min_units", maximum=1_000_000)
            if min_units
            else config.min_units
        )
        high = (
            validation.units(max_units, field="max_units", maximum=1_000_000)
            if max_units
            else config.max_units
        )
        if Decimal(low) > Decimal(high):
            raise ValidationError("min_units", f"must not be more than max_units ({high})", low)
        updates: dict[str, Any] = {
            "picks_channel_id": picks_channel.id if picks_channel else None,
            "grader_role_id": grader_role.id if grader_role else None,
            "capper_role_id": capper_role.id if capper_role else None,
            "min_units": low if min_units else None,
            "max_units": high if max_units else None,
            "self_grading": self_grading,
            "odds_format": odds_format,
            "stake_mode": stake_mode,
            "max_odds": (
                validation.units(max_odds, *MAX_ODDS_RANGE, field="max_odds") if max_odds else None
            ),
            "max_payout": (
                validation.units(max_payout, *MAX_PAYOUT_RANGE, field="max_payout")
                if max_payout
                else None
            ),
        }
        for key, value in updates.items():
            if value is not None:
                setattr(config, key, value)
                changed[key] = str(value)
        if everyone_may_post:
            if capper_role is not None:
                rule = "leave capper_role empty to let everyone post"
                raise ValidationError("everyone_may_post", rule)
            config.capper_role_id = None
            changed["capper_role_id"] = None
        await betting.save_config(config, inter.author.id, changed)
        channel = f"<#{config.picks_channel_id}>" if config.picks_channel_id else "not set"
        grader = f"<@&{config.grader_role_id}>" if config.grader_role_id else "Manage Server only"
        capper = f"<@&{config.capper_role_id}>" if config.capper_role_id else "everyone"
        lines = [
            f"Picks channel: {channel}",
            f"Grader role: {grader}",
            f"Capper role: {capper}",
            f"Units: {config.min_units} to {config.max_units}",
            f"Self-grading: {'allowed' if config.self_grading else 'not allowed'}",
            f"Odds format: {config.odds_format} · Stake mode: {config.stake_mode}",
            f"Per pick: odds up to {shown_odds(Decimal(config.max_odds))}, "
            f"winning at most {shown_units(Decimal(config.max_payout))}",
        ]
        await inter.send(
            "Betting set-up saved.\n" + "\n".join(lines),
            ephemeral=True,
            allowed_mentions=disnake.AllowedMentions.none(),
        )

    # --- /game -------------------------------------------------------------------------------

    @commands.slash_command(contexts=GUILD_ONLY)
    async def game(inter: ApplicationCommandInteraction) -> None:
        """Manual games for leagues without a schedule source (graders)."""

    async def require_grader(inter: ApplicationCommandInteraction, what: str) -> int:
        guild_id = access.guild_id_of(inter)
        if not access.is_grader(inter, await betting.config(guild_id)):
            await betting.ctx.security_event(
                "permission_refused",
                user_id=inter.author.id,
                guild_id=guild_id,
                detail=f"{what} without the grader role",
            )
            raise UserError("Only graders (the grader role or Manage Server) can manage games.")
        return guild_id

    async def may_override(
        inter: ApplicationCommandInteraction, guild_id: int, override: bool, what: str
    ) -> bool:
        """Whether the time checks apply: they do unless ``override`` is given, which only
        members with Manage Server may do."""
        if not override:
            return True
        if not access.is_manager(inter):
            await betting.ctx.security_event(
                "permission_refused",
                user_id=inter.author.id,
                guild_id=guild_id,
                detail=f"{what} override:True without Manage Server",
            )
            raise UserError("Only members with Manage Server can override the time check.")
        return False

    @game.sub_command(name="add")
    async def game_add(
        inter: ApplicationCommandInteraction,
        league: str,
        home: str,
        away: str,
        starts: str = commands.Param(max_length=16),
        override: bool = False,
    ) -> None:
        """Add a game by hand.

        Parameters
        ----------
        league: The league
        home: The home team
        away: The away team
        starts: Start time in UTC: YYYY-MM-DD HH:MM (in the future)
        override: Admins (Manage Server): add it although its start is in the past
        """
        guild_id = await require_grader(inter, "/game add")
        when = parse_start(starts)
        if await may_override(inter, guild_id, override, "/game add"):
            games.check_start(when, utcnow())
        added = await games.add_manual(guild_id, league, home, away, when, inter.author.id)
        await betting.ctx.action(
            "game.added",
            user_id=inter.author.id,
            guild_id=guild_id,
            target=f"game:{added.id}",
            admin=True,
            data={"league": added.league, "matchup": added.matchup, "override": override},
        )
        await inter.send(
            f"Game #{added.id} added: {added.league} · {added.matchup} "
            f"at {when:%Y-%m-%d %H:%M} UTC.",
            ephemeral=True,
            allowed_mentions=disnake.AllowedMentions.none(),
        )

    game_add.autocomplete("league")(league_choices)

    @game.sub_command(name="result")
    async def game_result(
        inter: ApplicationCommandInteraction,
        game: str,
        home_score: int = commands.Param(default=None, ge=0, le=10_000),
        away_score: int = commands.Param(default=None, ge=0, le=10_000),
        status: str = commands.Param(default="final", choices=["final", "cancelled"]),
        override: bool = False,
    ) -> None:
        """Record or correct a manual game's result; the bot grades its picks from it.

        Parameters
        ----------
        game: The game (pick from the list)
        home_score: The home team's final score
        away_score: The away team's final score
        status: final, or cancelled (voids the game's picks)
        override: Admins (Manage Server): record a final score before the game's start
        """
        guild_id = await require_grader(inter, "/game result")
        target = await games.find(guild_id, int(game)) if game.strip().isdecimal() else None
        if target is None or target.guild_id != guild_id:
            raise ValidationError("game", "unknown game: pick one of this server's games", game)
        chosen = games.GameStatus(status)
        if await may_override(inter, guild_id, override, "/game result"):
            games.check_result_time(target, chosen, utcnow())
        result = await betting.settle_game(
            target, chosen, home_score, away_score, inter.author.id, override=override
        )
        now = games.GameResult.of(target).describe()
        if result is None:
            text = f"{target.matchup} is already {now}: nothing changed."
        else:
            change = result.change
            was = games.GameResult(change.old_status, change.old_home, change.old_away)
            what = f"corrected from {was.describe()} to {now}" if result.corrected else now
            text = f"{target.matchup}: {what}. {change.picks_changed} pick(s) changed."
        await inter.send(text, ephemeral=True, allowed_mentions=disnake.AllowedMentions.none())

    @game_result.autocomplete("game")
    async def manual_games(
        inter: ApplicationCommandInteraction, typed: str
    ) -> list[disnake.OptionChoice]:
        if inter.guild_id is None:
            return []
        query = Game.filter(guild_id=inter.guild_id)
        if text := typed.strip():
            query = query.filter(Q(home__icontains=text) | Q(away__icontains=text))
        found = await query.order_by("-id").limit(25)  # newest first; final games to correct too
        return discord_limits.choices(
            {f"#{g.id} {flow._game_label(g)}{_settled_label(g)}": str(g.id) for g in found}
        )

    return [bet, stats, leaderboard, setup_, game]


async def pick_page(
    betting: Betting, guild_id: int, member_id: int | None, status: str | None, page: int
) -> tuple[disnake.Embed, list[disnake.ui.Button]]:
    query = Pick.filter(guild_id=guild_id)
    if member_id:
        query = query.filter(user_id=member_id)
    if status:
        query = query.filter(status=status)
    total = await query.count()
    size = betting.settings.page_size
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    found = await query.order_by("-id").offset((page - 1) * size).limit(size)
    firsts = {
        leg.pick_id: leg for leg in await Leg.filter(pick_id__in=[p.id for p in found], position=1)
    }
    config = await betting.config(guild_id)
    rows = [(p, firsts.get(p.id)) for p in found]
    fmt = OddsFormat(config.odds_format)
    return boards.list_view(rows, total, member_id, status, page, size, fmt)


async def on_list_page(
    betting: Betting, inter: MessageInteraction | ModalInteraction, rest: str
) -> None:
    member_text, status, page = rest.split(":")
    embed, buttons = await pick_page(
        betting,
        access.guild_id_of(inter),
        int(member_text) or None,
        None if status == "-" else status,
        int(page),
    )
    await replies.update(inter, embed=embed, components=buttons)


async def board_page(
    betting: Betting, guild_id: int, period: Period, metric: Metric, league: str | None, page: int
) -> tuple[disnake.Embed, list[disnake.ui.Button]]:
    standings = await betting.standings(guild_id, period, metric, league)
    return boards.leaderboard_view(
        standings,
        period,
        metric,
        league,
        page,
        betting.settings.page_size,
        betting.settings.leaderboard_min_picks,
    )


async def on_board_page(
    betting: Betting, inter: MessageInteraction | ModalInteraction, rest: str
) -> None:
    period, metric, page, league = rest.split(":", 3)
    embed, buttons = await board_page(
        betting,
        access.guild_id_of(inter),
        Period(period),
        Metric(metric),
        league or None,
        int(page),
    )
    await replies.update(inter, embed=embed, components=buttons)
