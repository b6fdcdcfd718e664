"""A draft's buttons: ``Add leg`` on the parlay builder, and placing or cancelling a draft."""

from __future__ import annotations

from disnake.interactions import MessageInteraction, ModalInteraction

from core.recovery import UserError
from plugins.betting import access, replies
from plugins.betting.flow.drafts import own_draft
from plugins.betting.flow.steps import start
from plugins.betting.legs import LegSpec
from plugins.betting.models import Draft
from plugins.betting.picks import MAX_PARLAY_LEGS, PickOrder, check_leg_count
from plugins.betting.service import Betting
from plugins.betting.statuses import DraftStatus, PickKind


async def on_parlay(
    betting: Betting, inter: MessageInteraction | ModalInteraction, rest: str
) -> None:
    """``Add leg`` on the builder: refuse a 13th leg, else start the guided flow for a leg."""
    action, draft_id = rest.split(":")
    draft = await own_draft(int(draft_id), inter)
    if action != "add":
        raise UserError("This button is out of date: start again with /bet parlay.")
    if len(draft.legs) >= MAX_PARLAY_LEGS:
        check_leg_count(PickKind.PARLAY, len(draft.legs) + 1)
    content, components = await start(betting, inter, draft.id)
    await inter.send(content, components=components, ephemeral=True)


async def on_draft(
    betting: Betting, inter: MessageInteraction | ModalInteraction, rest: str
) -> None:
    """Confirm (place) or cancel a draft."""
    action, draft_id = rest.split(":")
    guild_id = access.guild_id_of(inter)
    draft = await own_draft(int(draft_id), inter)
    if action == "cancel":
        updated = await Draft.filter(id=draft.id, status=DraftStatus.OPEN.value).update(
            status=DraftStatus.CANCELLED.value
        )
        if not updated:
            raise UserError("This draft was already placed or cancelled.")
        await replies.update(
            inter, content="Cancelled: nothing was placed.", embed=None, components=[]
        )
        return
    config = await betting.config(guild_id)
    await access.require_capper(
        betting.ctx, inter, config, f"placing {draft.kind} draft {draft.id}"
    )
    legs = [LegSpec.from_json(d) for d in draft.legs]
    order = PickOrder(
        guild_id=guild_id,
        user_id=inter.author.id,
        interaction_id=inter.id,
        kind=PickKind(draft.kind),
        legs=legs,
        amount=draft.amount,
        note=draft.note,
        draft_id=draft.id,
    )
    pick, stored = await betting.place(order, config)
    where = await betting.post_slip(pick, stored, config)
    await replies.update(
        inter,
        content=f"Pick #{pick.id} placed: risk {pick.stake}u to win {pick.to_win}u. {where}",
        embed=None,
        components=[],
    )
