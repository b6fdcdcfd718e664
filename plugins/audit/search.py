"""Searching the audit log: filters from what an admin typed, time parsing, pages (as embeds, or
after a cursor for the dashboard and the API), and CSV export."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import disnake
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from core import discord_limits
from core.events import Outcome
from core.validation import ValidationError, escape_markdown, snowflake
from plugins.audit.chain import HASHED_FIELDS
from plugins.audit.models import AuditEntry
from plugins.audit.records import CATEGORIES, GLOBAL_CHAIN, chain_of, to_micros, truncate

WHEN_RULE = (
    "use a date like 2026-11-29 (UTC), a date and time like 2026-11-29T18:30, "
    "or a time ago like 45m, 24h or 7d"
)
_AGO = re.compile(r"^(\d{1,6})\s*([mhdw])$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
#: The CSV export's columns: every hashed column but ``ts`` (shown as ``time_utc``) and
#: ``owner_only``, with the latency in milliseconds, then the entry's own hash.
_CSV_SKIPPED = frozenset({"ts", "owner_only"})
_CSV_NAMES = {"latency_us": "latency_ms"}
CSV_COLUMNS = (
    "id",
    "time_utc",
    *(_CSV_NAMES.get(name, name) for name in HASHED_FIELDS if name not in _CSV_SKIPPED),
    "hash",
)
LINE_LIMIT = 380
OUTCOMES = tuple(o.value for o in Outcome if o is not Outcome.DUPLICATE)
"""The outcomes a search may ask for (a duplicate delivery is never recorded)."""
TEXT_FILTER_LIMIT = 100
"""Most characters of the ``action`` and ``command`` filters (as long as those columns)."""
_CURSOR = re.compile(r"^(-?\d{1,18})\.(\d{1,18})$")


def parse_when(text: str, field: str, *, now: float | None = None) -> int:
    """A point in time (microseconds) from an ISO date/time (UTC) or a time ago (``24h``)."""
    value = text.strip().lower()
    match = _AGO.match(value)
    if match:
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        return to_micros((time.time() if now is None else now) - seconds)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(field, WHEN_RULE, text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_micros(moment.timestamp())


@dataclass(frozen=True, slots=True)
class Filters:
    """What an admin asked for. ``guild_id=None`` means the ``global`` chain (owner only)."""

    guild_id: int | None
    user_id: int | None = None
    action: str | None = None
    command: str | None = None
    outcome: str | None = None
    since: int | None = None
    """Entries at or after this instant (microseconds since the epoch, like ``ts``)."""
    until: int | None = None
    """Entries at or before this instant."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Filters:
        return cls(**json.loads(text))

    def describe(self) -> str:
        """``member <@1>, action `bet.`, since <t:…:f>``: the filters that are set."""
        bounds = {"since": self.since, "until": self.until}
        parts = [
            f"member <@{self.user_id}>" if self.user_id is not None else "",
            f"action `{escape_markdown(self.action)}`" if self.action else "",
            f"command `/{escape_markdown(self.command)}`" if self.command else "",
            f"outcome `{self.outcome}`" if self.outcome else "",
            *(f"{name} <t:{at // 1_000_000}:f>" for name, at in bounds.items() if at is not None),
        ]
        return ", ".join(p for p in parts if p) or "no filters"


def parse_filters(
    guild_id: int | None,
    *,
    member: str | None = None,
    action: str | None = None,
    command: str | None = None,
    outcome: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Filters:
    """The filters an admin typed (the ``/audit search`` options, the dashboard's form, the API's
    query), checked: ``member`` a Discord id, ``outcome`` one of :data:`OUTCOMES`, times as
    :func:`parse_when` reads them, ``since`` not after ``until``. Empty text is no filter."""
    texts = {"action": (action or "").strip(), "command": (command or "").strip()}
    for name, text in texts.items():
        if len(text) > TEXT_FILTER_LIMIT:
            raise ValidationError(name, f"at most {TEXT_FILTER_LIMIT} characters", len(text))
    if outcome and outcome not in OUTCOMES:
        raise ValidationError("outcome", "one of " + ", ".join(OUTCOMES), outcome)
    filters = Filters(
        guild_id=guild_id,
        user_id=snowflake(member, "member") if member and member.strip() else None,
        action=texts["action"] or None,
        command=texts["command"] or None,
        outcome=outcome or None,
        since=parse_when(since, "since") if since and since.strip() else None,
        until=parse_when(until, "until") if until and until.strip() else None,
    )
    if filters.since is not None and filters.until is not None and filters.since > filters.until:
        raise ValidationError("since", "is after until: swap them or widen the range")
    return filters


def query(filters: Filters, *, include_owner_only: bool) -> QuerySet[AuditEntry]:
    """The entries matching ``filters``, newest first; owner-only ones only when allowed."""
    qs = AuditEntry.filter(
        chain=chain_of(filters.guild_id) if filters.guild_id is not None else GLOBAL_CHAIN
    )
    if not include_owner_only:
        qs = qs.filter(owner_only=False)
    if filters.user_id is not None:
        qs = qs.filter(user_id=filters.user_id)
    if filters.action:
        action = filters.action.strip().lower()
        qs = (
            qs.filter(category=action)
            if action in CATEGORIES
            else qs.filter(action__istartswith=action)
        )
    if filters.command:
        qs = qs.filter(command__istartswith=filters.command.strip().lstrip("/"))
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    if filters.since is not None:
        qs = qs.filter(ts__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(ts__lte=filters.until)
    return qs.order_by("-ts", "-id")


async def page_after(
    filters: Filters, *, include_owner_only: bool, cursor: str | None, limit: int
) -> tuple[list[AuditEntry], str | None]:
    """Up to ``limit`` entries of :func:`query` after ``cursor`` (``None``: from the newest), and
    the cursor of the next page (``None`` after the last). A cursor names the last entry shown,
    so pages stay in place while new entries arrive."""
    qs = query(filters, include_owner_only=include_owner_only)
    if cursor:
        match = _CURSOR.match(cursor)
        if match is None:
            raise ValidationError("cursor", "is not one a page of this search gave", cursor)
        ts, entry_id = int(match.group(1)), int(match.group(2))
        qs = qs.filter(Q(ts__lt=ts) | Q(ts=ts, id__lt=entry_id))
    rows = list(await qs.limit(limit + 1))
    last = rows[limit - 1] if len(rows) > limit else None
    return rows[:limit], f"{last.ts}.{last.id}" if last is not None else None


def describe_entry(entry: AuditEntry) -> str:
    """One line of a results page (member text escaped; embeds never ping)."""
    when = f"<t:{entry.ts // 1_000_000}:f>"
    who = f"<@{entry.user_id}>" if entry.user_id is not None else "system"
    what = f"**{escape_markdown(entry.action)}**"
    if entry.command:
        what = f"`/{escape_markdown(entry.command)}`"
        if entry.options not in ("{}", ""):
            what += f" `{escape_markdown(truncate(entry.options, 80))}`"
    bits = [f"{when} {who} {entry.category}: {what}"]
    if entry.outcome:
        latency = f" in {entry.latency_us / 1000:.0f} ms" if entry.latency_us is not None else ""
        bits.append(f"→ {entry.outcome}{latency}")
    if entry.error_id:
        bits.append(f"error `{entry.error_id}`")
    if entry.target:
        bits.append(f"on `{escape_markdown(entry.target)}`")
    if entry.client_address:
        bits.append(f"from `{entry.client_address}`")
    if entry.detail:
        bits.append(f"— {escape_markdown(entry.detail)}")
    line = " ".join(bits)
    return discord_limits.clip(line, LINE_LIMIT)


def page_embed(
    entries: list[AuditEntry], filters: Filters, page: int, pages: int, total: int
) -> disnake.Embed:
    where = "entries without a server" if filters.guild_id is None else "this server"
    embed = disnake.Embed(
        title=f"Audit log: {total} entr{'y' if total == 1 else 'ies'} in {where}",
        description="\n".join(f"`#{e.id}` {describe_entry(e)}" for e in entries)
        or "Nothing matches these filters.",
        colour=disnake.Colour.blurple(),
    )
    embed.add_field(name="Filters", value=filters.describe(), inline=False)
    embed.set_footer(text=f"Page {page + 1} of {max(pages, 1)}, newest first")
    return discord_limits.fit(embed)


def to_csv(entries: list[AuditEntry]) -> bytes:
    """The entries as CSV (UTF-8); cells that a spreadsheet would run as formulas are quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        row: list[object] = [e.id, datetime.fromtimestamp(e.ts / 1_000_000, UTC).isoformat()]
        row += [_csv_value(e, name) for name in HASHED_FIELDS if name not in _CSV_SKIPPED]
        row.append(e.hash)
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def _csv_value(entry: AuditEntry, name: str) -> object:
    value = getattr(entry, name)
    return f"{value / 1000:.3f}" if name == "latency_us" and value is not None else value


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
