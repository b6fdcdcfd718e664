"""A plain InteractionBot that exercises every part of the local Discord (kit tests only)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable
from dataclasses import dataclass, field

import disnake
from disnake.ext import commands

from core.testing.client import bot_kwargs
from core.testing.server import LocalDiscord

TEAMS = ["Yankees", "Mets", "Red Sox", "Dodgers"]


@dataclass
class Seen:
    """What the bot's handlers saw, for tests to check."""

    interaction_ids: list[int] = field(default_factory=list)
    #: Set by a test to let the ``late`` and ``later`` handlers go on.
    release: asyncio.Event = field(default_factory=asyncio.Event)
    #: What each step of a released handler got: "ok" or Discord's error code.
    outcomes: asyncio.Queue[list[str | int]] = field(default_factory=asyncio.Queue)


async def outcome(step: Awaitable[object]) -> str | int:
    """What Discord answered a request: "ok" or its error code ("timed out": disnake's
    :class:`~disnake.InteractionTimedOut`, for a callback refused with 10062)."""
    try:
        await step
    except disnake.InteractionTimedOut:
        return "timed out"
    except disnake.HTTPException as exc:
        return exc.code
    return "ok"


def make_bot(discord: LocalDiscord, **overrides: object) -> tuple[commands.InteractionBot, Seen]:
    """The test bot: slash commands of every kind, components, a modal, files."""
    bot = commands.InteractionBot(**bot_kwargs(discord, **overrides))
    seen = Seen()

    @bot.slash_command()
    async def echo(
        inter: disnake.ApplicationCommandInteraction,
        text: str,
        count: int,
        ratio: float,
        flag: bool,
        user: disnake.Member,
        channel: disnake.TextChannel,
        role: disnake.Role,
    ) -> None:
        """Echo every option type back in an ephemeral embed."""
        embed = disnake.Embed(title="echo", description=text)
        embed.add_field("count", repr(count)).add_field("ratio", repr(ratio))
        embed.add_field("flag", repr(flag)).add_field("user", user.display_name)
        embed.add_field("channel", channel.name).add_field("role", role.name)
        await inter.response.send_message(embed=embed, ephemeral=True)

    @bot.slash_command()
    async def bet(inter: disnake.ApplicationCommandInteraction) -> None:
        """Betting commands."""

    @bet.sub_command()
    async def straight(inter: disnake.ApplicationCommandInteraction, team: str, odds: int) -> None:
        """A straight bet."""
        await inter.response.send_message(f"{inter.author.display_name}: {team} at {odds}")

    @straight.autocomplete("team")
    async def team_autocomplete(
        inter: disnake.ApplicationCommandInteraction, typed: str
    ) -> list[str]:
        return [t for t in TEAMS if t.lower().startswith(typed.lower())]

    @bet.sub_command_group()
    async def admin(inter: disnake.ApplicationCommandInteraction) -> None:
        """Bet administration."""

    @admin.sub_command()
    async def grade(inter: disnake.ApplicationCommandInteraction, bet_id: int, won: bool) -> None:
        """Grade a bet."""
        await inter.response.send_message(f"bet {bet_id} {'won' if won else 'lost'}")

    @bot.slash_command()
    async def pick(inter: disnake.ApplicationCommandInteraction) -> None:
        """Pick a team from a menu, then stake in a modal."""
        menu = disnake.ui.StringSelect(custom_id="pick_team", options=TEAMS, placeholder="Team")
        await inter.response.send_message("Choose a team", components=[menu])

    @bot.listen("on_dropdown")
    async def on_pick(inter: disnake.MessageInteraction) -> None:
        team = inter.values[0] if inter.values else ""
        stake = disnake.ui.TextInput(label="Stake", custom_id="stake", placeholder="units")
        await inter.response.send_modal(
            title=f"Stake on {team}", custom_id=f"stake:{team}", components=[stake]
        )

    @bot.listen("on_modal_submit")
    async def on_stake(inter: disnake.ModalInteraction) -> None:
        team = inter.custom_id.removeprefix("stake:")
        await inter.response.send_message(
            f"{inter.author.display_name} staked {inter.text_values['stake']} on {team}"
        )

    @bot.slash_command()
    async def confirm(inter: disnake.ApplicationCommandInteraction) -> None:
        """Ask to confirm with two buttons."""
        buttons = [
            disnake.ui.Button(label="Confirm", custom_id="confirm"),
            disnake.ui.Button(label="Cancel", custom_id="cancel"),
        ]
        await inter.response.send_message("Sure?", components=buttons)

    @bot.listen("on_button_click")
    async def on_button(inter: disnake.MessageInteraction) -> None:
        if inter.component.custom_id == "confirm":
            await inter.response.edit_message("Confirmed", components=[])
        else:
            await inter.response.defer()
            await inter.edit_original_message("Cancelled", components=[])

    @bot.slash_command()
    async def slow(inter: disnake.ApplicationCommandInteraction) -> None:
        """Defer, follow up, read and edit the original, then delete both."""
        await inter.response.defer(ephemeral=True)
        followup = await inter.followup.send("working", wait=True)
        second = await inter.followup.send("step 2", wait=True)
        original = await inter.original_message()
        await inter.edit_original_message(f"done ({original.content})")
        await second.delete()
        await inter.delete_original_message()
        await followup.edit(content="gone")

    @bot.slash_command()
    async def announce(inter: disnake.ApplicationCommandInteraction) -> None:
        """Defer publicly, then follow up twice asking for ephemeral messages."""
        await inter.response.defer()
        await inter.followup.send("result", ephemeral=True)
        await inter.followup.send("just for you", ephemeral=True)

    @bot.slash_command()
    async def late(inter: disnake.ApplicationCommandInteraction) -> None:
        """Answer once released; when the answer is refused, try a followup."""
        await seen.release.wait()
        steps = [await outcome(inter.response.send_message("late"))]
        if steps != ["ok"]:
            steps.append(await outcome(inter.followup.send("late followup")))
        await seen.outcomes.put(steps)

    @bot.slash_command()
    async def later(inter: disnake.ApplicationCommandInteraction) -> None:
        """Defer; once released, follow up, then read, edit and delete @original."""
        await inter.response.defer()
        await seen.release.wait()
        steps = [
            await outcome(inter.followup.send("later")),
            await outcome(inter.original_message()),
            await outcome(inter.edit_original_message("edited")),
            await outcome(inter.delete_original_message()),
        ]
        await seen.outcomes.put(steps)

    @bot.slash_command()
    async def report(inter: disnake.ApplicationCommandInteraction) -> None:
        """Post a report file in #picks."""
        assert inter.guild is not None
        picks = disnake.utils.get(inter.guild.text_channels, name="picks")
        assert picks is not None
        await picks.send(
            "Weekly report", file=disnake.File(io.BytesIO(b"a,b\n1,2\n"), "report.csv")
        )
        await inter.response.send_message("posted", ephemeral=True)

    @bot.slash_command(name="seen")
    async def seen_command(inter: disnake.ApplicationCommandInteraction) -> None:
        """Record the interaction id and answer."""
        seen.interaction_ids.append(inter.id)
        await inter.response.send_message("seen")

    @bot.slash_command()
    async def pong(inter: disnake.ApplicationCommandInteraction) -> None:
        """Answer with a PONG callback (type 1), through the raw HTTP client."""
        await inter.bot.http.create_interaction_response(
            inter.id, inter.token, type=disnake.InteractionResponseType.pong.value
        )

    return bot, seen
