"""The betting endpoints of ``/api/v1``: the same figures as the commands, a grade from the API
that is a grade from Discord, cursors that walk every pick once, one error shape; on SQLite,
PostgreSQL and MariaDB (``DBSBM_TEST_POSTGRES_URL`` / ``DBSBM_TEST_MYSQL_URL``)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from betting_support import BetWorld
from db_backends import BACKENDS, fresh_database  # type: ignore[import-not-found]
from test_e2e_grading import grade  # type: ignore[import-not-found]
from test_e2e_picks import add_game, setup_guild, straight  # type: ignore[import-not-found]
from web_support import SecurityLog, browser, make_picks, serving

from core.testing.visitor import Visitor
from plugins.betting import games
from plugins.betting.access import OWN_PICK
from plugins.betting.models import GradeChange, GuildConfig, Pick

ACTION_FIELDS = ("plugin", "kind", "user_id", "guild_id", "admin", "amount", "data")


async def logged_in(visitor: Visitor, name: str) -> dict[str, str]:
    """Log ``visitor`` in as ``name``; the header a session's change to the API needs."""
    page = await visitor.login(name)
    return {"X-CSRF-Token": page.csrf}


async def walk(visitor: Visitor, path: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of a paginated endpoint, following ``next_cursor``."""
    pages, cursor = [], ""
    joined = "&" if "?" in path else "?"
    while True:
        status, body, _ = await visitor.api("GET", f"{path}{joined}limit={limit}{cursor}")
        assert status == 200, body
        pages.append(body["items"])
        if body["next_cursor"] is None:
            return pages
        cursor = f"&cursor={body['next_cursor']}"


async def test_a_grade_from_the_api_is_a_grade_from_discord(site: BetWorld) -> None:
    await setup_guild(site)
    game = await add_game()
    await straight(site.bob, game)
    await straight(site.bob, game)
    assert "Pick #1 graded won" in await grade(site, "gina", id=1, result="won")
    base = f"/guilds/{site.guild_id}"
    async with browser(site) as gina:
        csrf = await logged_in(gina, "Gina")  # the Graders role, no Manage Server
        _, board, _ = await gina.api("GET", base + "/leaderboard")
        assert board["items"][0]["record"]["units"] == "0.91"
        status, body, _ = await gina.api(
            "POST", base + "/picks/2/grade", json={"result": "won"}, headers=csrf
        )
        assert status == 200, body
        assert (body["pick"]["status"], body["pick"]["result_units"]) == ("won", "0.91")
        assert (body["corrected"], body["changed"], body["old_status"]) == (False, True, "pending")
        _, board, _ = await gina.api("GET", base + "/leaderboard")
        assert board["items"][0]["record"]["units"] == "1.82"  # the cached board was dropped
    graded = [a for a in site.probe.actions if a.kind == "bet.graded"]
    assert [a.target for a in graded] == ["pick:1", "pick:2"]
    discord, api = ({f: getattr(a, f) for f in ACTION_FIELDS} for a in graded)
    assert discord == api and api["user_id"] == site.discord.guild.member("Gina").id
    changes = [
        (c.pick_id, c.leg_position, c.old, c.new, c.by, c.auto)
        for c in await GradeChange.all().order_by("id")
    ]
    assert [c[1:] for c in changes if c[0] == 1] == [c[1:] for c in changes if c[0] == 2]
    one, two = await Pick.get(id=1), await Pick.get(id=2)
    assert (one.status, one.result_units, one.graded_by) == (
        two.status,
        two.result_units,
        two.graded_by,
    )
    slip = next(
        m for m in site.discord.messages("picks") if m.embeds[0].title == "Pick #2 · Straight"
    )
    assert "WON (+0.91u)" in {f.name: f.value for f in slip.embeds[0].fields}["Status"]


async def test_cursors_walk_every_pick_exactly_once(site: BetWorld) -> None:
    game = await add_game()
    bob, cody = (site.discord.guild.member(n).id for n in ("Bob", "Cody"))
    made = await make_picks(site.guild_id, bob, game, 17) + await make_picks(
        site.guild_id, cody, await add_game("Eagles", "Giants"), 6
    )
    async with browser(site) as reader:
        await reader.login("Bob")
        pages = await walk(reader, f"/guilds/{site.guild_id}/picks", 5)
        assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
        ids = [item["id"] for page in pages for item in page]
        assert ids == sorted(made, reverse=True)  # each once, newest first
        only_cody = await walk(reader, f"/guilds/{site.guild_id}/picks?user_id={cody}", 4)
        assert sorted(i["id"] for p in only_cody for i in p) == made[17:]
        games = await walk(reader, f"/guilds/{site.guild_id}/games", 1)
        assert [(g[0]["pick_count"], len(g[0]["picks"])) for g in games] == [(6, 6), (17, 10)]
        assert games[0][0]["picks"][0]["name"] == "Cody"


async def test_the_leaderboard_and_a_capper_have_the_figures_of_the_commands(
    site: BetWorld,
) -> None:
    await setup_guild(site)
    game = await add_game()
    for actor, odds in ((site.bob, "+150"), (site.cody, "-110"), (site.alice, "+200")):
        await straight(actor, game, odds=odds, units="2")
    for pick_id in (1, 2, 3):
        await grade(site, "gina", id=pick_id, result="won" if pick_id != 2 else "lost")
    command = await (await site.bob.slash("leaderboard")).wait_reply()
    assert command.message is not None
    lines = command.message.embeds[0].description.splitlines()
    async with browser(site) as bob:
        await bob.login("Bob")
        pages = await walk(bob, f"/guilds/{site.guild_id}/leaderboard", 2)
        assert [len(p) for p in pages] == [2, 1]
        rows = [row for page in pages for row in page]
        assert [r["rank"] for r in rows] == [1, 2, 3]
        for line, row in zip(lines, rows, strict=True):
            record = row["record"]
            units = f"{float(record['units']):+.2f}u"
            assert f"<@{row['user_id']}> {units} · {record['won']}-{record['lost']}-0" in line
            assert f"ROI {record['roi']}%" in line
        bob_id = site.discord.guild.member("Bob").id
        status, capper, _ = await bob.api("GET", f"/guilds/{site.guild_id}/cappers/{bob_id}")
        assert status == 200 and capper["name"] == "Bob"
        assert capper["record"]["units"] == "3.00" and capper["record"]["streak"] == "W1"
        assert [p["units"] for p in capper["series"]] == ["3.00"]


async def test_settings_change_through_setups_checks(site: BetWorld) -> None:
    refusal = await (await site.alice.slash("setup", min_units="5", max_units="2")).wait_reply()
    assert refusal.message is not None
    path = f"/guilds/{site.guild_id}/settings"
    async with browser(site) as alice, browser(site) as bob:
        csrf = await logged_in(alice, "Alice")
        status, body, _ = await alice.api(
            "PATCH", path, json={"min_units": "5", "max_units": "2"}, headers=csrf
        )
        assert status == 400 and body["error"]["message"] == refusal.message.content
        assert body["error"]["field"] == "min_units"
        status, body, _ = await alice.api(
            "PATCH", path, json={"picks_channel_id": "12345"}, headers=csrf
        )
        assert (status, body["error"]["message"]) == (
            400,
            "picks_channel_id: must be a text channel of this server (got 12345)",
        )
        assert not await GuildConfig.filter(guild_id=site.guild_id).exists()
        change = {
            "max_units": "25",
            "stake_mode": "win",
            "grader_role_id": str(site.role_id("Graders")),
        }
        status, body, _ = await alice.api("PATCH", path, json=change, headers=csrf)
        assert status == 200, body
        assert (body["max_units"], body["stake_mode"]) == ("25.00", "win")
        assert body["grader_role_id"] == str(site.role_id("Graders"))
        status, read, _ = await alice.api("GET", path)
        assert (status, read) == (200, body)
        no_token = await alice.api("PATCH", path, json={"max_units": "30"})
        assert no_token[0] == 403  # a session's change needs its CSRF token
        await logged_in(bob, "Bob")
        assert (await bob.api("GET", path))[0] == 403
    stored = await GuildConfig.get(guild_id=site.guild_id)
    assert str(stored.max_units) == "25.00"
    assert [a.kind for a in site.probe.actions if a.kind == "setup.changed"] == ["setup.changed"]


async def test_a_read_only_token_may_read_but_not_grade(site: BetWorld) -> None:
    await setup_guild(site)
    await straight(site.bob, await add_game())
    async with browser(site) as alice:
        await alice.login("Alice")
        await alice.get("/tokens")
        made = await alice.post("/tokens", {"name": "phone", "scope": "read", "action": "create"})
        token = re.search(r'<code id="new-token">([^<]+)</code>', made.text)
        assert token is not None
    async with browser(site) as phone:
        path = f"/guilds/{site.guild_id}"
        status, body, _ = await phone.api("GET", path + "/picks", token=token.group(1))
        assert status == 200 and [p["id"] for p in body["items"]] == [1]
        status, body, _ = await phone.api(
            "POST", path + "/picks/1/grade", json={"result": "won"}, token=token.group(1)
        )
        assert status == 403 and "manage scope" in body["error"]["message"]
    assert (await Pick.get(id=1)).status == "pending"


async def test_every_refusal_has_the_one_error_shape(site: BetWorld, security: SecurityLog) -> None:
    await setup_guild(site)
    game = await add_game()
    await straight(site.gina, game)
    base = f"/guilds/{site.guild_id}"
    answers: list[tuple[int, dict[str, Any]]] = []
    async with browser(site) as nobody:
        status, body, _ = await nobody.api("GET", base + "/leaderboard")
        answers.append((status, body))
        assert status == 401
    async with browser(site) as gina, browser(site) as bob:
        csrf = await logged_in(gina, "Gina")
        bob_csrf = await logged_in(bob, "Bob")
        asked = [
            (gina, "GET", base + "/picks?cursor=not-ours", None, 400),
            (gina, "GET", base + "/picks?limit=0", None, 400),
            (gina, "GET", base + "/leaderboard?period=decade", None, 400),
            (gina, "GET", base + "/cappers/abc", None, 404),
            (gina, "POST", base + "/picks/99/grade", {"result": "won"}, 404),
            (gina, "POST", base + "/picks/1/grade", {"result": "maybe"}, 422),
            (gina, "POST", base + "/picks/1/grade", {"result": "won"}, 403),  # her own pick
            (bob, "POST", base + "/picks/1/grade", {"result": "won"}, 403),  # no grader
            (gina, "DELETE", base + "/picks", None, 405),
        ]
        for who, method, path, json, expected in asked:
            headers = csrf if who is gina else bob_csrf
            status, body, _ = await who.api(method, path, json=json, headers=headers)
            assert status == expected, (path, body)
            answers.append((status, body))
    for status, body in answers:
        assert set(body) == {"error"}, body
        error = body["error"]
        assert error["status"] == status and isinstance(error["message"], str)
        assert {"status", "code", "message"} <= set(error) <= {"status", "code", "message", "field"}
    messages = [body["error"]["message"] for _, body in answers]
    assert OWN_PICK in messages and "There is no pick #99 in this server." in messages
    assert "period: must be one of today, week, month, year, all (got decade)" in messages
    assert "result: Input should be 'won', 'lost', 'push' or 'void'" in messages
    refusals = [detail for kind, detail in security.kinds() if kind == "web_forbidden"]
    assert len(refusals) == 2 and "grading one's own pick 1" in refusals[0]
    assert (await Pick.get(id=1)).status == "pending"


async def test_the_own_pick_refusal_is_reported_as_the_dashboards_refusals_are(
    site: BetWorld, security: SecurityLog
) -> None:
    """Betting's own 403 (a grader grading her own pick) and the dashboard's access check (a
    member without the grader role) make the one kind of security event, fields alike, and the
    one error body."""
    await setup_guild(site)
    game = await add_game()
    await straight(site.gina, game)
    path = f"/guilds/{site.guild_id}/picks/1/grade"
    answers = []
    async with browser(site) as gina, browser(site) as bob:
        for who, name in ((gina, "Gina"), (bob, "Bob")):
            csrf = await logged_in(who, name)
            status, body, _ = await who.api("POST", path, json={"result": "won"}, headers=csrf)
            answers.append((status, body["error"]["code"], body["error"]["message"]))
    assert answers == [
        (403, "forbidden", OWN_PICK),
        (403, "forbidden", "You may not do this: it needs Manage Server in that server."),
    ]
    own, not_grader = (e for e in security.events if e.kind == "web_forbidden")
    for event, name, why in (
        (own, "Gina", "grading one's own pick 1"),
        (not_grader, "Bob", "it needs Manage Server in that server"),
    ):
        assert event.user_id == site.discord.guild.member(name).id
        assert event.guild_id == site.guild_id
        assert event.detail == f"POST /api/v1{path}: {why}"
        assert (event.owner_only, event.data) == (False, {})
    assert own.client_address is not None and own.client_address == not_grader.client_address
    assert (await Pick.get(id=1)).status == "pending"


def answer_schema(document: dict[str, Any], path: str, method: str, status: int) -> Any:
    """The JSON schema of an operation's answer, its references resolved in the document."""
    responses = document["paths"][path][method]["responses"]
    answer = responses[str(status)]["content"]["application/json"]["schema"]
    schema = {**answer, "$defs": document["components"]["schemas"]}
    return json.loads(json.dumps(schema).replace("#/components/schemas/", "#/$defs/"))


async def test_the_openapi_document_describes_the_betting_endpoints(site: BetWorld) -> None:
    await setup_guild(site)
    game = await add_game()
    await straight(site.bob, game, odds="+150", units="2", note="lock")
    await straight(site.cody, game)
    await grade(site, "gina", id=1, result="won")
    bob_id = site.discord.guild.member("Bob").id
    async with browser(site) as alice:
        await alice.login("Alice")
        status, document, _ = await alice.api("GET", "/openapi.json")
        assert status == 200
        base = "/api/v1/guilds/{guild_id}"
        paths = ("/summary", "/leaderboard", f"/cappers/{bob_id}", "/picks", "/games", "/settings")
        for path in paths:
            status, body, _ = await alice.api("GET", f"/guilds/{site.guild_id}{path}")
            template = base + ("/cappers/{user_id}" if "cappers" in path else path)
            schema = answer_schema(document, template, "get", status)
            jsonschema.Draft202012Validator(schema).validate(body)
        status, body, _ = await alice.api("GET", f"/guilds/{site.guild_id}/picks?cursor=x")
        jsonschema.Draft202012Validator(
            answer_schema(document, base + "/picks", "get", status)
        ).validate(body)
    paths = document["paths"]
    base = "/api/v1/guilds/{guild_id}"
    assert set(paths[base + "/settings"]) == {"get", "patch"}
    grade_op = paths[base + "/picks/{pick_id}/grade"]["post"]
    assert grade_op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/GradeBody"
    }
    listed = paths[base + "/picks"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["schema"]["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/PickOut"
    }
    schemas = document["components"]["schemas"]
    assert {"PickOut", "LegOut", "GameOut", "StandingOut", "CapperOut", "SettingsPatch"} <= set(
        schemas
    )
    assert schemas["GradeBody"]["properties"]["result"] == {
        "enum": ["won", "lost", "push", "void"],
        "title": "Result",
        "type": "string",
    }


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_api_reads_and_grades_on_each_database(backend: str, tmp_path: Path) -> None:
    async with fresh_database(backend, tmp_path) as url, serving(tmp_path, url) as world:
        await setup_guild(world)
        game = await add_game()
        await straight(world.bob, game, odds="+120")
        made = await make_picks(world.guild_id, world.discord.guild.member("Cody").id, game, 4)
        base = f"/guilds/{world.guild_id}"
        async with browser(world) as alice:
            csrf = await logged_in(alice, "Alice")
            status, body, _ = await alice.api(
                "POST", base + "/picks/1/grade", json={"result": "won"}, headers=csrf
            )
            assert status == 200 and body["pick"]["result_units"] == "1.20", body
            picks = await walk(alice, base + "/picks", 2)
            assert [i["id"] for p in picks for i in p] == [*reversed(made), 1]
            games = await walk(alice, base + "/games", 10)
            assert [len(g["picks"]) for g in games[0]] == [5]
            _, board, _ = await alice.api("GET", base + "/leaderboard")
            assert [row["name"] for row in board["items"]] == ["Bob"]


async def test_cached_pages_are_each_servers_own_and_follow_every_change(tmp_path: Path) -> None:
    async with serving(tmp_path, guilds=["Other Guild"]) as site:
        other = site.discord.world.guild("Other Guild").id
        owner = site.discord.owner
        await setup_guild(site)
        game, elsewhere = await add_game(), await add_game("Eagles", "Giants")
        await make_picks(site.guild_id, site.bob.member.id, game, 3)
        await make_picks(other, owner.id, elsewhere, 1)
        later = datetime.now(UTC) + timedelta(hours=3)
        own = await games.add_manual(other, "NFL", "Jets", "Dolphins", later, owner.id)

        async def read(guild_id: int, path: str) -> Any:
            status, body, _ = await visitor.api("GET", f"/guilds/{guild_id}{path}")
            assert status == 200, body
            return body["items"] if "items" in body else body

        async def pick_counts(guild_id: int) -> list[tuple[int, int]]:
            return [(g["id"], g["pick_count"]) for g in await read(guild_id, "/games")]

        async with browser(site) as visitor:
            await visitor.login(owner)
            for _ in range(2):  # the second round is served from the cache
                assert (await read(site.guild_id, "/summary"))["open_picks"] == 3
                assert (await read(other, "/summary"))["open_picks"] == 1
                assert len(await read(site.guild_id, "/picks")) == 3
                assert len(await read(other, "/picks")) == 1
                assert await pick_counts(site.guild_id) == [(game.id, 3)]
                assert await pick_counts(other) == [(own.id, 0), (elsewhere.id, 1)]
            await straight(site.bob, game)  # placed from Discord: that server's pages drop
            assert (await read(site.guild_id, "/summary"))["open_picks"] == 4
            assert len(await read(site.guild_id, "/picks")) == 4
            assert await pick_counts(site.guild_id) == [(game.id, 4)]
            assert len(await read(other, "/picks")) == 1
            result = await site.discord.member("Owner", guild="Other Guild").slash(
                "game", "result", game=str(own.id), home_score=3, away_score=1, override=True
            )
            assert "final 1-3" in (await result.wait_reply()).message.content
            settled = (await read(other, "/games"))[0]  # no pick on it: its game list dropped
            assert (settled["status"], settled["home_score"], settled["away_score"]) == (
                "final",
                3,
                1,
            )
