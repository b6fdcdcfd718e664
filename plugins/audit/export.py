"""The CSV export of an audit search, as the Export CSV button and the dashboard's download make
it: the newest ``export_limit`` matching entries, reported as the admin action
``audit.exported``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.plugin import PluginContext
from plugins.audit.runtime import runtime_of
from plugins.audit.search import Filters, query, to_csv


@dataclass(frozen=True, slots=True)
class Export:
    """A made export: the file's bytes and name, its row count and the limit it was cut at."""

    data: bytes
    filename: str
    rows: int
    limit: int

    @property
    def note(self) -> str:
        """``12 entries``, saying so when the limit cut older ones off."""
        cut = f" (the newest {self.limit}; narrow the filters for older ones)"
        return f"{self.rows} entries" + (cut if self.rows == self.limit else "")


async def export(
    ctx: PluginContext,
    filters: Filters,
    *,
    owner: bool,
    user_id: int,
    guild_id: int | None,
    target: str,
) -> Export:
    """The entries ``filters`` match as CSV (owner-only ones for an ``owner``); ``user_id``
    exported them in ``guild_id``, ``target`` names the search in the admin action."""
    limit = runtime_of(ctx).settings.export_limit
    entries = list(await query(filters, include_owner_only=owner).limit(limit))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    made = Export(to_csv(entries), f"audit-{stamp}.csv", len(entries), limit)
    await ctx.action(
        "audit.exported",
        user_id=user_id,
        guild_id=guild_id,
        admin=True,
        target=target,
        data={"rows": made.rows},
    )
    return made
