"""``/bet grade``: graders set or correct a pick's result, or one parlay leg's."""

from __future__ import annotations

from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from plugins.betting import access
from plugins.betting.commands.shared import PICK_ID
from plugins.betting.maths import GRADED, Result
from plugins.betting.picks import load
from plugins.betting.service import Betting
from plugins.betting.statuses import PickKind

RESULTS = [r.value for r in GRADED]


def add(bet: commands.InvokableSlashCommand, betting: Betting) -> None:
    """Add ``/bet grade`` to the ``/bet`` group."""

    @bet.sub_command()
    async def grade(
        inter: ApplicationCommandInteraction,
        id: int = commands.Param(description=PICK_ID),
        result: str = commands.Param(choices=RESULTS),
        leg: int | None = commands.Param(default=None, ge=1, le=12),
    ) -> None:
        """Grade a pick, or one leg of a parlay (graders); grading again corrects the result.

        Parameters
        ----------
        result: won, lost, push or void
        leg: For a parlay: the leg's number (1 to 12)
        """
        guild_id = access.guild_id_of(inter)
        config = await betting.config(guild_id)
        await access.require_grader(betting.ctx, inter, config, f"/bet grade {id}", "grade picks")
        pick, _ = await load(id, guild_id)
        if access.grades_own_pick(pick, inter.author.id, config):
            await betting.ctx.refuse(inter, access.OWN_PICK, f"/bet grade of own pick {id}")
        outcome = await betting.grade(id, guild_id, Result(result), inter.author.id, leg=leg)
        what = f"Pick #{id}" + (f" leg {leg}" if leg and pick.kind == PickKind.PARLAY else "")
        verb = "corrected to" if outcome.corrected else "graded"
        units_text = "" if outcome.pick.result_units is None else f" ({outcome.pick.result_units}u)"
        await inter.send(
            f"{what} {verb} {result}. Pick status: {outcome.new_status}{units_text}.",
            ephemeral=True,
        )
