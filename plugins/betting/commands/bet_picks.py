"""``/bet cancel``, ``/bet show`` and ``/bet list`` (with its paging buttons): the picks posted."""

from __future__ import annotations

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction, MessageInteraction, ModalInteraction

from core.recovery import UserError
from plugins.betting import access, boards, replies
from plugins.betting.commands.shared import PICK_ID
from plugins.betting.maths import OddsFormat, Result
from plugins.betting.models import GuildConfig, Leg, Pick
from plugins.betting.picks import has_started, load
from plugins.betting.service import Betting, utcnow
from plugins.betting.slips import slip_embed

STATUSES = [r.value for r in Result]


def add(bet: commands.InvokableSlashCommand, betting: Betting) -> None:
    """Add ``/bet cancel``, ``/bet show`` and ``/bet list`` to the ``/bet`` group."""

    @bet.sub_command()
    async def cancel(
        inter: ApplicationCommandInteraction, id: int = commands.Param(description=PICK_ID)
    ) -> None:
        """Cancel a pending pick (its author before the game starts, or a grader)."""
        guild_id = access.guild_id_of(inter)
        config, pick, legs = await _pick(betting, guild_id, id)
        grader = access.is_grader(inter, config)
        if not grader:
            if pick.user_id != inter.author.id:
                await betting.ctx.refuse(
                    inter,
                    "Only the pick's author or a grader can cancel it.",
                    f"/bet cancel of pick {id} by someone else",
                )
            if await has_started(legs, utcnow()):
                await betting.ctx.refuse(
                    inter,
                    f"Pick #{id}'s game has started: only a grader can cancel it now.",
                    f"/bet cancel of pick {id} after its game started",
                )
        await betting.cancel(
            id, guild_id, inter.author.id, admin=grader and pick.user_id != inter.author.id
        )
        await inter.send(f"Pick #{id} cancelled.", ephemeral=True)

    @bet.sub_command()
    async def show(
        inter: ApplicationCommandInteraction, id: int = commands.Param(description=PICK_ID)
    ) -> None:
        """Show a pick's slip."""
        config, pick, legs = await _pick(betting, access.guild_id_of(inter), id)
        await inter.send(
            embed=slip_embed(pick, legs, OddsFormat(config.odds_format)), ephemeral=True
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
            betting, guild_id, member.id if member else None, Result(status) if status else None, 1
        )
        await inter.send(embed=embed, components=buttons, ephemeral=True)


async def _pick(
    betting: Betting, guild_id: int, pick_id: int
) -> tuple[GuildConfig, Pick, list[Leg]]:
    """The guild's set-up, and its pick ``pick_id`` with the pick's legs."""
    config = await betting.config(guild_id)
    pick, legs = await load(pick_id, guild_id)
    return config, pick, legs


async def pick_page(
    betting: Betting, guild_id: int, member_id: int | None, status: Result | None, page: int
) -> tuple[disnake.Embed, list[disnake.ui.Button]]:
    """Page ``page`` of the guild's picks (of one member, with one status, when given)."""
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
    """A paging button of ``/bet list`` (see :data:`~plugins.betting.boards.PICK_LIST`)."""
    member_id, status, page = list_state(rest)
    embed, buttons = await pick_page(betting, access.guild_id_of(inter), member_id, status, page)
    await replies.update(inter, embed=embed, components=buttons)


def list_state(rest: str) -> tuple[int | None, Result | None, int]:
    """The member, status and page a paging button of ``/bet list`` holds
    (``<member or 0>:<status or ->:<page>``); a custom id not of that form is refused."""
    try:
        member_text, status, page = rest.split(":")
        return int(member_text) or None, None if status == "-" else Result(status), int(page)
    except ValueError:
        raise UserError("This list is out of date: run /bet list again.") from None
