"""The betting endpoints of ``/api/v1``: the same data as the pages, and the same actions as
the slash commands through the same service methods (a grade from here is ``/bet grade``'s:
one transaction, the ``bet.graded`` action, the slip updated, the cached records dropped)."""

from __future__ import annotations

from core.pages import ROW_ID_MAX, Access, Endpoint, Paged, Scope, WebError, WebRequest, Window
from core.recovery import UserError
from plugins.betting import access
from plugins.betting.maths import Result
from plugins.betting.service import Betting
from plugins.betting.web import cursor, reads, setup_form
from plugins.betting.web.models import (
    CapperOut,
    GameOut,
    GradeBody,
    GradeOut,
    PickOut,
    SettingsOut,
    SettingsPatch,
    StandingOut,
    SummaryOut,
)
from plugins.betting.web.reads import Reads

BASE = "/guilds/{guild_id}"
PERIOD = "today, week, month, year or all (default)"
LEAGUE = "only this league"


class BettingApi:
    def __init__(self, betting: Betting, read: Reads) -> None:
        self.betting = betting
        self.read = read

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "GET",
                BASE + "/summary",
                self.read_summary,
                "The server's betting at a glance: open picks, top cappers, latest results",
                response=SummaryOut,
            ),
            Endpoint(
                "GET",
                BASE + "/leaderboard",
                self.read_leaderboard,
                "The server's leaderboard (as /leaderboard ranks it)",
                response=StandingOut,
                paginated=True,
                query={
                    "period": PERIOD,
                    "metric": "units (default), roi or winrate",
                    "league": LEAGUE,
                },
            ),
            Endpoint(
                "GET",
                BASE + "/cappers/{user_id}",
                self.read_capper,
                "A capper's record and units over time (as /stats shows it)",
                response=CapperOut,
                query={"period": PERIOD, "league": LEAGUE},
            ),
            Endpoint(
                "GET",
                BASE + "/picks",
                self.list_picks,
                "The server's picks, newest first",
                response=PickOut,
                paginated=True,
                query={"status": "only picks with this status", "user_id": "only this capper's"},
            ),
            Endpoint(
                "GET",
                BASE + "/games",
                self.list_games,
                "Games the server's cappers picked, newest first, with their picks",
                response=GameOut,
                paginated=True,
            ),
            Endpoint(
                "GET",
                BASE + "/settings",
                self.read_settings,
                "The server's betting set-up (Manage Server)",
                Access.MANAGER,
                response=SettingsOut,
            ),
            Endpoint(
                "PATCH",
                BASE + "/settings",
                self.change_settings,
                "Change the betting set-up, as /setup does (Manage Server)",
                Access.MANAGER,
                Scope.MANAGE,
                response=SettingsOut,
                body=SettingsPatch,
            ),
            Endpoint(
                "POST",
                BASE + "/picks/{pick_id}/grade",
                self.grade_pick,
                "Grade a pick or one leg of a parlay, as /bet grade does (graders)",
                Access.MANAGER,
                Scope.MANAGE,
                response=GradeOut,
                body=GradeBody,
                grants=self.is_grader,
            ),
        ]

    async def is_grader(self, req: WebRequest) -> bool:
        """The server's grader role lets its members grade (Manage Server always may)."""
        guild_id, who = req.guild_id, req.viewer
        if guild_id is None or who is None:
            return False
        role = (await self.betting.config(guild_id)).grader_role_id
        return role is not None and role in await self.read.role_ids(guild_id, who.user_id)

    async def read_summary(self, req: WebRequest) -> SummaryOut:
        return await self.read.summary(reads.guild_of(req))

    async def read_leaderboard(self, req: WebRequest) -> Paged:
        window = _window(req)
        start = cursor.decode(window.cursor) or 0
        items, total = await self.read.standing_page(
            reads.guild_of(req),
            reads.period_of(req.query.get("period")),
            reads.metric_of(req.query.get("metric")),
            reads.league_of(req.query.get("league")),
            start,
            window.limit,
        )
        end = start + len(items)
        return Paged(items, cursor.encode(end) if end < total else None)

    async def read_capper(self, req: WebRequest) -> CapperOut:
        return await self.read.capper(
            reads.guild_of(req),
            reads.capper_of(req),
            reads.period_of(req.query.get("period")),
            reads.league_of(req.query.get("league")),
        )

    async def list_picks(self, req: WebRequest) -> Paged:
        window = _window(req)
        items, more = await self.read.picks(
            reads.guild_of(req),
            status=reads.status_of(req.query.get("status")),
            user_id=reads.user_of(req.query.get("user_id")),
            after=window.cursor,
            limit=window.limit,
        )
        return Paged(items, more)

    async def list_games(self, req: WebRequest) -> Paged:
        window = _window(req)
        items, more = await self.read.games(
            reads.guild_of(req), after=window.cursor, limit=window.limit
        )
        return Paged(items, more)

    async def read_settings(self, req: WebRequest) -> SettingsOut:
        return setup_form.settings_out(await self.betting.config(reads.guild_of(req)))

    async def change_settings(self, req: WebRequest) -> SettingsOut:
        guild_id = reads.guild_of(req)
        guild = self.betting.ctx.bot.get_guild(guild_id)
        assert guild is not None and isinstance(req.body, SettingsPatch)  # nosec B101 # narrowing
        change = setup_form.patch_change(req.body, guild)
        config = await self.betting.change_config(guild_id, change, req.user.user_id)
        return setup_form.settings_out(config)

    async def grade_pick(self, req: WebRequest) -> GradeOut:
        guild_id, who, body = reads.guild_of(req), req.user, req.body
        assert isinstance(body, GradeBody)  # nosec B101 # the endpoint's declared body model
        pick_id = req.int_param("pick_id", ROW_ID_MAX)
        pick = await self.read.pick(guild_id, pick_id)
        if access.grades_own_pick(pick, who.user_id, await self.betting.config(guild_id)):
            await self.betting.ctx.refuse_request(
                req, f"grading one's own pick {pick_id}", access.OWN_PICK
            )
        try:
            outcome = await self.betting.grade(
                pick_id, guild_id, body.result, who.user_id, leg=body.leg
            )
        except UserError as exc:
            raise WebError(400, str(exc)) from None
        [shown] = await self.read.pick_models(guild_id, [outcome.pick])
        return GradeOut(
            pick=shown,
            corrected=outcome.corrected,
            changed=outcome.changed,
            old_status=Result(outcome.old_status),
        )


def _window(req: WebRequest) -> Window:
    assert req.window is not None  # nosec B101 # a paginated endpoint's window is always set
    return req.window
