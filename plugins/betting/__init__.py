"""Betting: picks, parlays, grading, records, leaderboards, game schedules.

Commands: ``/bet straight|new|parlay|cancel|show|list|grade``, ``/stats``, ``/leaderboard``,
``/setup``, ``/game add|result``; pages and ``/api/v1`` endpoints for the dashboard
(:mod:`plugins.betting.web`). See ``docs/plugins/betting.md``.
"""

from __future__ import annotations

from functools import partial

import aiohttp

from core.plugin import Plugin, PluginContext
from plugins.betting import boards, flow, schedule, web
from plugins.betting.api_sports import ApiSportsClient
from plugins.betting.commands import build_commands, on_board_page, on_list_page
from plugins.betting.service import Betting


async def setup(ctx: PluginContext) -> None:
    """Add the commands, offer the schedule to other plugins, route the plugin's buttons,
    selects and modals, declare its dashboard pages and API endpoints, start the API-Sports
    sync if set up."""
    betting = Betting(ctx)
    for command in build_commands(betting):
        ctx.add_command(command)
    ctx.provide(schedule.SERVICE, schedule.Schedule())
    ctx.add_component(flow.FLOW, partial(flow.on_flow, betting))
    ctx.add_component(flow.DRAFT, partial(flow.on_draft, betting))
    ctx.add_component(flow.PARLAY, partial(flow.on_parlay, betting))
    ctx.add_component(boards.PICK_LIST, partial(on_list_page, betting))
    ctx.add_component(boards.LEADERBOARD, partial(on_board_page, betting))
    web.declare(ctx, betting)
    api = betting.settings.api_sports
    if api.follow and api.key is None:
        ctx.log.warning("api_sports.follow is set but api_sports.key is not: no schedule sync")
    if api.follow and api.key is not None:
        session = aiohttp.ClientSession()
        ctx.on_cleanup("api-sports session", session.close)
        for sport in api.sports():  # one API per sport: its own quota, backoff and task
            client = ApiSportsClient(session, api, sport)
            ctx.create_task(betting.sync_forever(client), name=f"{client.name} sync")


plugin = Plugin(
    name="betting",
    version="0.1.0",
    description="Picks, parlays, grading, records, leaderboards and game schedules.",
)
