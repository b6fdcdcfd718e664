"""Members' text stored as typed and Discord's limits, end to end through the local Discord
(which refuses over-limit payloads as Discord does): regression tests of issue 14's items 4, 5.

- A 300-character note of ``@`` was stored as 600 characters (a zero-width space after every
  ``@``) against a 500-character column: an internal error. It is stored as typed now, and
  nothing pings because every message is sent with allowed mentions that permit none.
- ``/bet list`` of ten long props had a 6,003-character description, a 12-leg parlay slip
  4,238: Discord refuses more than 4,096.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from betting_support import BetWorld
from test_e2e_picks import setup_guild, straight  # type: ignore[import-not-found]

from core import discord_limits
from core.testing.driver import Actor, Callback, Message
from core.validation import escape_markdown
from plugins.betting.models import Game, Leg, Pick

#: 200 characters that markdown escaping doubles, with mentions in them.
LONG_PROP = ("*_@everyone <@&1> ~|`" * 10)[:200]
#: The longest team names a game may have.
HOME, AWAY = "H" * 63, "A" * 63


async def long_game(n: int = 0) -> Game:
    return await Game.create(
        source="api-sports",
        external_id=f"long-{n}",
        league="NFL",
        home=f"{HOME[:-2]}{n:02d}",
        away=f"{AWAY[:-2]}{n:02d}",
        starts_at=datetime.now(UTC) + timedelta(hours=2 + n),
    )


def message_requests(world: BetWorld) -> list[tuple[str, dict[str, Any]]]:
    """Every request that posted or edited a message, with the message's body."""
    found = []
    for r in world.discord.requests:
        body = r.body if isinstance(r.body, dict) else {}
        if r.path.endswith("/callback"):
            if body.get("type") in (4, 7):
                found.append((r.path, body.get("data") or {}))
        elif r.method in ("POST", "PATCH") and ("/messages" in r.path or "/webhooks/" in r.path):
            found.append((r.path, body))
    return found


def assert_within_limits_and_pinging_nobody(world: BetWorld) -> None:
    refused = [(r.method, r.path) for r in world.discord.requests if r.status == 400]
    assert refused == []
    for path, body in message_requests(world):
        assert body.get("allowed_mentions") == {"parse": []}, path


def description_lines(message: Message) -> list[str]:
    [embed] = message.embeds
    assert embed.description is not None
    assert len(embed.description) <= discord_limits.DESCRIPTION
    return embed.description.split("\n")


async def test_a_note_of_300_at_signs_is_stored_as_typed_and_pings_nobody(
    world: BetWorld,
) -> None:
    await setup_guild(world)
    game = await long_game()
    alice = world.discord.guild.member("Alice")
    notes = ["@" * 300, f"@everyone @here <@{alice.id}> <@&{world.role_id('Graders')}> tail"]
    for number, note in enumerate(notes, 1):
        reply = await straight(world.bob, game, selection=game.home, note=note)
        assert reply.message is not None and f"Pick #{number} placed" in reply.message.content
        assert (await Pick.get(id=number)).note == note  # as typed, no character added
        slip = await world.discord.wait_for_message(
            "picks",
            lambda m, n=number: bool(m.embeds) and m.embeds[0].title.startswith(f"Pick #{n} "),
        )
        fields = {f.name: f.value for f in slip.embeds[0].fields}
        assert fields["Note"] == escape_markdown(note)
    assert_within_limits_and_pinging_nobody(world)


async def test_one_character_past_the_note_is_refused_clearly(world: BetWorld) -> None:
    game = await long_game()
    reply = await straight(world.bob, game, selection=game.home, note="@" * 301)
    assert reply.ephemeral and reply.message is not None
    assert "note: must be at most 300 characters (got 301)" in reply.message.content
    assert await Pick.all().count() == 0


async def guided_prop(actor: Actor, view: Message, game: Game, odds: str) -> Callback:
    """One prop through the guided flow, from a message with the league menu (or Add leg)."""
    if any(c.label == "Add leg" for c in view.components):
        view = (await (await actor.click(view, "Add leg")).wait_reply()).message
    step2 = await (await actor.select(view, ["NFL"])).wait_reply()
    step3 = await (await actor.select(step2.message, [str(game.id)])).wait_reply()
    opened = await (await actor.select(step3.message, ["prop"])).wait_reply()
    assert opened.modal is not None
    assert len(opened.modal.title) <= discord_limits.MODAL_TITLE
    values = {"selection": LONG_PROP, "line": "2.5", "odds": odds}
    if "units" in {f.custom_id for f in opened.modal.fields}:
        values |= {"units": "1", "note": "@" * 300}
    return await (await actor.submit_modal(opened.modal, **values)).wait_reply()


async def test_a_long_prop_from_the_guided_form_is_stored_as_typed(world: BetWorld) -> None:
    await setup_guild(world)
    game = await long_game()
    start = await (await world.bob.slash("bet", "new")).wait_reply()
    preview = await guided_prop(world.bob, start.message, game, "+150")
    assert preview.message is not None and preview.message.embeds[0].title == "Confirm your pick"
    placed = await (await world.bob.click(preview.message, "Place pick")).wait_reply()
    assert "Pick #1 placed" in placed.message.content
    leg = await Leg.get(pick_id=1)
    assert leg.selection == LONG_PROP and (await Pick.get(id=1)).note == "@" * 300
    slip = await world.discord.wait_for_message("picks", lambda m: bool(m.embeds))
    assert escape_markdown(LONG_PROP) in description_lines(slip)[0]  # a straight shows it all
    assert_within_limits_and_pinging_nobody(world)


async def test_bet_list_of_ten_long_props_fits_one_page(world: BetWorld) -> None:
    game = await long_game()
    for _ in range(10):
        reply = await straight(
            world.bob, game, market="prop", selection=LONG_PROP, line="2.5", units="1"
        )
        assert reply.message is not None and "placed" in reply.message.content
    listed = await (await world.bob.slash("bet", "list")).wait_reply()
    assert listed.message is not None
    header, *rows = description_lines(listed.message)
    assert header.endswith("(10)") and len(rows) == 10  # every pick of the page is shown
    for number, row in zip(range(10, 0, -1), rows, strict=True):
        assert row.startswith(f"`#{number}` ") and "…" in row  # the prop is visibly clipped
        assert row.endswith(" · 1.00u · pending")  # what matters on the line is kept
    assert_within_limits_and_pinging_nobody(world)


async def test_a_12_leg_parlay_of_long_props_shows_every_leg(world: BetWorld) -> None:
    await setup_guild(world)
    games = [await long_game(n) for n in range(12)]
    view = (await (await world.bob.slash("bet", "parlay", units="1")).wait_reply()).message
    for game in games:
        view = (await guided_prop(world.bob, view, game, "-1000")).message
        assert view is not None
    assert "12 of 12 legs" in (view.embeds[0].title or "")
    assert len(description_lines(view)) == 12
    placed = await (await world.bob.click(view, "Place parlay")).wait_reply()
    assert placed.message is not None and "Pick #1 placed" in placed.message.content
    slip = await world.discord.wait_for_message("picks", lambda m: bool(m.embeds))
    lines = description_lines(slip)
    assert [line.split(". ")[0] for line in lines] == [str(n) for n in range(1, 13)]
    assert all("…" in line and line.endswith("(-1000)") for line in lines)  # odds stay
    shown = await (await world.bob.slash("bet", "show", id=1)).wait_reply()
    assert shown.message is not None and len(description_lines(shown.message)) == 12
    assert_within_limits_and_pinging_nobody(world)
