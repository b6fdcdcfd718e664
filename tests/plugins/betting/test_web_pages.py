"""The betting pages of the dashboard, as members use them: logged in through the local
Discord's OAuth2 page, reading the leaderboard and a capper's profile, refused the settings
form, changing the set-up through it with ``/setup``'s checks."""

from __future__ import annotations

import html
from decimal import Decimal as D

from betting_support import BetWorld
from test_e2e_grading import grade  # type: ignore[import-not-found]
from test_e2e_picks import add_game, setup_guild, straight  # type: ignore[import-not-found]
from web_support import SecurityLog, browser, make_picks

from plugins.betting.models import Game, GuildConfig, Pick
from plugins.betting.statuses import GameStatus, PickKind


async def graded_world(site: BetWorld) -> Game:
    """Bob won a pick at +150 for 2 units, Cody lost one of 1 unit (graded in Discord)."""
    await setup_guild(site)
    game = await add_game()
    await straight(site.bob, game, odds="+150", units="2")
    await straight(site.cody, game, units="1")
    await grade(site, "alice", id=1, result="won")
    await grade(site, "alice", id=2, result="lost")
    return game


async def test_a_member_reads_the_leaderboard_with_the_figures_of_the_command(
    site: BetWorld,
) -> None:
    await graded_world(site)
    command = await (await site.bob.slash("leaderboard", metric="roi")).wait_reply()
    assert command.message is not None
    first_line = command.message.embeds[0].description.splitlines()[0]
    assert first_line.endswith("+3.00u · 1-0-0 · ROI 150.0% · win 100.0%")
    async with browser(site) as bob:
        await bob.login("Bob")
        page = await bob.get(f"/guilds/{site.guild_id}/leaderboard?period=all&metric=roi")
        assert page.status == 200
        bob_row = next(line for line in page.text.splitlines() if ">Bob</a>" in line)
        for figure in ("+3.00u", "1-0-0", "150.0%", "100.0%"):
            assert figure in bob_row
        assert page.text.index(">Bob</a>") < page.text.index(">Cody</a>")
        assert 'aria-current="page">Leaderboard</a>' in page.text
        assert "<script" not in page.text
        refused = await bob.get(f"/guilds/{site.guild_id}/leaderboard?period=decade")
        assert refused.status == 400 and "period: must be one of" in refused.text


async def test_the_home_page_sums_up_the_server(site: BetWorld) -> None:
    game = await graded_world(site)
    await straight(site.bob, game, units="1")
    async with browser(site) as cody:
        await cody.login("Cody")
        page = await cody.get(f"/guilds/{site.guild_id}")
        assert page.status == 200
        assert "<strong>1</strong> open pick" in page.text
        assert "Top cappers" in page.text and ">Bob</a>" in page.text
        assert "Recent results" in page.text and "won +3.00u" in page.text
        assert "Settings</a>" not in page.text  # only for managers


async def test_a_capper_profile_has_the_record_and_a_chart_without_javascript(
    site: BetWorld,
) -> None:
    await graded_world(site)
    bob_id = site.discord.guild.member("Bob").id
    async with browser(site) as cody:
        await cody.login("Cody")
        page = await cody.get(f"/guilds/{site.guild_id}/cappers/{bob_id}")
        assert page.status == 200 and "<title>Bob ·" in page.text
        assert "<td>1-0-0</td>" in page.text and "<td>+3.00u</td>" in page.text
        assert '<svg class="chart"' in page.text and 'role="img"' in page.text
        assert "1 graded picks from" in page.text and "<script" not in page.text
        empty = await cody.get(f"/guilds/{site.guild_id}/cappers/{bob_id}?period=today&league=NBA")
        assert empty.status == 200 and "No graded picks in this period yet." in empty.text


async def test_open_picks_and_games_are_listed_page_by_page(site: BetWorld) -> None:
    await graded_world(site)
    game = await add_game("Eagles", "Giants")
    bob_id = site.discord.guild.member("Bob").id
    made = await make_picks(site.guild_id, bob_id, game, 30)
    async with browser(site) as bob:
        await bob.login("Bob")
        first = await bob.get(f"/guilds/{site.guild_id}/picks")
        assert first.status == 200 and first.text.count("<td>#") == 25
        assert f"<td>#{made[-1]}</td>" in first.text  # newest first
        older = html.unescape(first.text.split('rel="next"')[0].rsplit('href="', 1)[1])
        second = await bob.get(older.split('"')[0])
        assert second.text.count("<td>#") == 5 and f"<td>#{made[0]}</td>" in second.text
        assert "<td>#1</td>" not in second.text  # graded: not open
        games = await bob.get(f"/guilds/{site.guild_id}/games")
        assert games.status == 200
        assert "Giants @ Eagles" in games.text and "Bills @ Chiefs" in games.text


async def test_a_final_game_shows_its_score_and_a_parlay_is_marked(site: BetWorld) -> None:
    game = await graded_world(site)
    await Game.filter(id=game.id).update(status=GameStatus.FINAL, home_score=3, away_score=1)
    later = await add_game("Eagles", "Giants")
    bob_id = site.discord.guild.member("Bob").id
    [parlay] = await make_picks(site.guild_id, bob_id, later, 1)
    await Pick.filter(id=parlay).update(kind=PickKind.PARLAY)
    async with browser(site) as bob:
        await bob.login("Bob")
        games = await bob.get(f"/guilds/{site.guild_id}/games")
        assert "<p>Final: Bills 1, Chiefs 3" in games.text
        assert "<p>Scheduled · starts" in games.text  # the Eagles' game
        assert f"<td>#{parlay} (parlay)</td>" in games.text and "<td>#1</td>" in games.text
        picks = await bob.get(f"/guilds/{site.guild_id}/picks")
        assert "<td>Parlay, 1 legs:<br>Giants @ Eagles" in picks.text
        assert "<td>pending</td>" in picks.text  # no units before a grade


async def test_a_plain_member_is_refused_the_settings_form(
    site: BetWorld, security: SecurityLog
) -> None:
    async with browser(site) as bob:
        await bob.login("Bob")
        page = await bob.get(f"/guilds/{site.guild_id}/settings")
        assert page.status == 403 and "Manage Server" in page.text
        assert 'role="alert"' in page.text
        forged = await bob.post(f"/guilds/{site.guild_id}/settings", {"max_units": "99"})
        assert forged.status == 403
    assert [kind for kind, _ in security.kinds()] == ["web_forbidden", "web_forbidden"]
    assert f"GET /guilds/{site.guild_id}/settings" in security.kinds()[0][1]
    assert not await GuildConfig.filter(guild_id=site.guild_id).exists()


async def test_a_manager_changes_the_set_up_with_the_checks_of_setup(site: BetWorld) -> None:
    refusal = await (await site.alice.slash("setup", min_units="5", max_units="2")).wait_reply()
    assert refusal.message is not None
    message = refusal.message.content  # "min_units: must not be more than max_units (2.00)"
    assert "min_units: must not be more than max_units" in message
    path = f"/guilds/{site.guild_id}/settings"
    graders = str(site.role_id("Graders"))
    async with browser(site) as alice:
        await alice.login("Alice")
        form = await alice.get(path)
        assert form.status == 200 and '<label for="max_units">' in form.text
        base = {
            "picks_channel": str(site.channel_id("picks")),
            "grader_role": graders,
            "capper_role": "",
            "min_units": "0.5",
            "max_units": "10",
            "odds_format": "american",
            "stake_mode": "risk",
            "max_odds": "1001",
            "max_payout": "10000",
        }
        bad = await alice.post(path, {**base, "min_units": "5", "max_units": "2"})
        assert bad.status == 200
        assert f'<p role="alert" id="settings-error">{message}</p>' in bad.text
        assert 'value="5"' in bad.text  # the form keeps what was typed
        assert not await GuildConfig.filter(guild_id=site.guild_id).exists()
        beyond = await alice.post(path, {**base, "max_payout": "lots"})
        assert "max_payout: must be a number (got lots)" in beyond.text
        saved = await alice.post(path, {**base, "max_units": "25", "stake_mode": "win"})
        assert saved.path == path and "Betting set-up saved." in saved.text
        assert f'<option value="{graders}" selected>Graders</option>' in saved.text
    config = await GuildConfig.get(guild_id=site.guild_id)
    assert (config.max_units, config.stake_mode, config.grader_role_id) == (
        D(25),
        "win",
        int(graders),
    )
    changed = [a for a in site.probe.actions if a.kind == "setup.changed"]
    assert len(changed) == 1 and changed[0].user_id == site.discord.guild.member("Alice").id
    assert changed[0].data["max_units"] == "25.00" and "min_units" not in changed[0].data
    shown = await (await site.alice.slash("setup")).wait_reply()
    assert shown.message is not None and "Units: 0.50 to 25.00" in shown.message.content


async def test_a_reload_keeps_the_pages_and_an_unload_takes_them_away(site: BetWorld) -> None:
    await graded_world(site)
    path = f"/guilds/{site.guild_id}/leaderboard"
    async with browser(site) as bob:
        await bob.login("Bob")
        [result] = await site.app.reloader.reload(["betting"])
        assert result.ok, result.error
        again = await bob.get(path)
        assert again.status == 200 and ">Bob</a>" in again.text
        await site.app.plugins.unload("betting")
        gone = await bob.get(path)
        assert gone.status == 404
        status, _, _ = await bob.api("GET", path)
        assert status == 404
