"""The betting pages of the dashboard: a server's home, leaderboard, capper profiles, open
picks, games and its betting set-up (the form of ``/setup``)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from core.pages import Access, Page, View, WebRequest, redirect
from core.validation import ValidationError
from plugins.betting.maths import OddsFormat, Result, StakeMode
from plugins.betting.records import Metric, Period
from plugins.betting.service import Betting
from plugins.betting.web import reads, setup_form
from plugins.betting.web.chart import units_svg
from plugins.betting.web.reads import Reads

PAGE = 25
"""Rows a page shows (leaderboard, picks, games)."""
METRICS = {Metric.UNITS: "Units", Metric.ROI: "ROI", Metric.WIN_RATE: "Win rate"}


def _page_number(req: WebRequest) -> int:
    text = req.query.get("page", "1")
    return int(text) if text.isdigit() and 0 < len(text) < 7 else 1


def _with(req: WebRequest, **changes: object) -> str:
    """This page's address with some of its query changed."""
    query = {**req.query, **{k: str(v) for k, v in changes.items()}}
    return f"{req.request.path}?{urlencode(query)}"


class BettingPages:
    def __init__(self, betting: Betting, read: Reads) -> None:
        self.betting = betting
        self.read = read

    def pages(self) -> list[Page]:
        base = "/guilds/{guild_id}"
        return [
            Page(base, "Betting", self.home, nav="Home"),
            Page(base + "/leaderboard", "Leaderboard", self.leaderboard, nav="Leaderboard"),
            Page(base + "/cappers/{user_id}", "Capper", self.capper),
            Page(base + "/picks", "Open picks", self.open_picks, nav="Picks"),
            Page(base + "/games", "Games", self.games, nav="Games"),
            Page(
                base + "/settings",
                "Betting settings",
                self.settings,
                Access.MANAGER,
                nav="Settings",
                methods=("GET", "POST"),
            ),
        ]

    async def home(self, req: WebRequest) -> View:
        summary = await self.read.summary(reads.guild_of(req))
        min_picks = self.betting.settings.leaderboard_min_picks
        return View("home.html", {"summary": summary, "min_picks": min_picks})

    async def leaderboard(self, req: WebRequest) -> View:
        guild_id = reads.guild_of(req)
        period = reads.period_of(req.query.get("period"))
        metric = reads.metric_of(req.query.get("metric"))
        league = reads.league_of(req.query.get("league"))
        page = _page_number(req)
        rows, total = await self.read.standing_page(
            guild_id, period, metric, league, (page - 1) * PAGE, PAGE
        )
        pages = max(1, -(-total // PAGE))
        if page > pages:  # past the end (the board shrank, or a typed address): the last page
            page = pages
            rows, _ = await self.read.standing_page(
                guild_id, period, metric, league, (page - 1) * PAGE, PAGE
            )
        return View(
            "leaderboard.html",
            {
                "rows": rows,
                "period": period,
                "metric": metric,
                "league": league or "",
                "periods": list(Period),
                "metrics": METRICS,
                "page": page,
                "pages": pages,
                "previous": _with(req, page=page - 1) if page > 1 else None,
                "next": _with(req, page=page + 1) if page < pages else None,
                "min_picks": self.betting.settings.leaderboard_min_picks,
            },
        )

    async def capper(self, req: WebRequest) -> View:
        guild_id, user_id = reads.guild_of(req), reads.capper_of(req)
        period = reads.period_of(req.query.get("period"))
        league = reads.league_of(req.query.get("league"))
        capper = await self.read.capper(guild_id, user_id, period, league)
        recent, _ = await self.read.picks(guild_id, user_id=user_id, limit=PAGE)
        chart = units_svg(capper.series, capper.name) if capper.series else None
        return View(
            "capper.html",
            {"capper": capper, "chart": chart, "recent": recent, "periods": list(Period)},
            title=capper.name,
        )

    async def open_picks(self, req: WebRequest) -> View:
        guild_id = reads.guild_of(req)
        shown, more = await self.read.picks(
            guild_id, status=Result.PENDING, after=req.query.get("cursor"), limit=PAGE
        )
        first = req.request.path if req.query.get("cursor") else None
        return View(
            "picks.html",
            {"picks": shown, "next": _with(req, cursor=more) if more else None, "first": first},
        )

    async def games(self, req: WebRequest) -> View:
        guild_id = reads.guild_of(req)
        shown, more = await self.read.games(guild_id, after=req.query.get("cursor"), limit=PAGE)
        first = req.request.path if req.query.get("cursor") else None
        return View(
            "games.html",
            {"games": shown, "next": _with(req, cursor=more) if more else None, "first": first},
        )

    async def settings(self, req: WebRequest) -> View | web.StreamResponse:
        """The set-up as a form; a submitted form goes the way ``/setup`` goes (its checks, its
        refusals shown above the form, :meth:`Betting.change_config`)."""
        guild_id = reads.guild_of(req)
        guild = self.betting.ctx.bot.get_guild(guild_id)
        assert guild is not None  # nosec B101 # the dashboard answers 404 for a guild the bot lacks
        config = await self.betting.config(guild_id)
        values = {
            "picks_channel": str(config.picks_channel_id or ""),
            "grader_role": str(config.grader_role_id or ""),
            "capper_role": str(config.capper_role_id or ""),
            "min_units": str(config.min_units),
            "max_units": str(config.max_units),
            "self_grading": "on" if config.self_grading else "",
            "odds_format": config.odds_format,
            "stake_mode": config.stake_mode,
            "max_odds": str(config.max_odds),
            "max_payout": str(config.max_payout),
        }
        error = ""
        if req.request.method == "POST":
            try:
                change = setup_form.form_change(req.form, config, guild)
                await self.betting.change_config(guild_id, change, req.user.user_id)
            except ValidationError as exc:
                error = exc.user_message
                values |= {k: v for k, v in req.form.items() if k in values}
                values["self_grading"] = req.form.get("self_grading", "")
            else:
                return redirect(f"{req.request.path}?saved=1")
        return View(
            "settings.html",
            {
                "values": values,
                "error": error,
                "saved": req.query.get("saved") == "1" and not error,
                "channels": setup_form.text_channels(guild),
                "roles": setup_form.roles(guild),
                "odds_formats": list(OddsFormat),
                "stake_modes": list(StakeMode),
                "has_grader": config.grader_role_id is not None,
                "has_channel": config.picks_channel_id is not None,
            },
        )
