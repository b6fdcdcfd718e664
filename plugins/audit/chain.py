"""The hash chain: how an entry's hash is computed and how a chain is verified.

Each chain (``guild:<id>``, or ``global`` for entries without a guild) is a sequence
``seq = 1, 2, …``; an entry's hash is the sha256 of the canonical JSON of its columns, which
include ``prev_hash``. Editing an entry changes its hash; deleting one leaves a gap in ``seq``
and a ``prev_hash`` that points nowhere; cutting the end no longer matches the chain's head.
Pruning moves the chain's base (the last pruned ``seq`` and hash) so the first kept entry still
links to something known.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from plugins.audit.models import AuditChain, AuditEntry
from plugins.audit.records import Record, canonical_json

GENESIS = "0" * 64
HASHED_FIELDS = (
    "chain",
    "seq",
    "ts",
    "category",
    "action",
    "user_id",
    "guild_id",
    "channel_id",
    "command",
    "options",
    "outcome",
    "latency_us",
    "error_id",
    "detail",
    "client_address",
    "owner_only",
    "target",
    "data",
    "prev_hash",
)
VERIFY_BATCH = 1000


def entry_hash(values: dict[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of the hashed columns."""
    payload = {name: values[name] for name in HASHED_FIELDS}
    payload["owner_only"] = bool(payload["owner_only"])
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def link(record: Record, chain: str, seq: int, prev_hash: str) -> dict[str, Any]:
    """The column values of ``record`` at position ``seq`` of ``chain``, ``hash`` included."""
    values: dict[str, Any] = {
        name: getattr(record, name) for name in HASHED_FIELDS if hasattr(record, name)
    }
    values.update(chain=chain, seq=seq, prev_hash=prev_hash)
    values["hash"] = entry_hash(values)
    return values


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The verification of one chain: ``ok``, or the first broken link and why."""

    chain: str
    checked: int
    """Entries found intact, in ``seq`` order, before the first broken link (all when ``ok``)."""
    ok: bool
    entry_id: int | None = None
    """The first broken entry; ``None`` with ``seq`` set: entries after ``seq`` are missing."""
    seq: int | None = None
    reason: str = ""
    """What is wrong with that link, in words for an admin."""

    def describe(self) -> str:
        if self.ok:
            return f"{self.chain}: {self.checked} entries, intact"
        where = (
            f"entry #{self.entry_id} (seq {self.seq})"
            if self.entry_id is not None
            else (f"after seq {self.seq}")
        )
        return f"{self.chain}: BROKEN at {where}: {self.reason}"


async def verify_chain(chain: str) -> ChainReport:
    """Walk ``chain`` from its base to its head; report the first broken link."""
    head = await AuditChain.get_or_none(chain=chain)
    if head is None:
        first = await AuditEntry.filter(chain=chain).order_by("seq").first()
        if first is None:
            return ChainReport(chain, 0, True)
        return ChainReport(
            chain, 0, False, first.id, first.seq, "the chain's head record is missing"
        )
    expected_seq, expected_prev = head.base_seq + 1, head.base_hash
    checked = 0
    while True:
        batch = (
            await AuditEntry.filter(chain=chain, seq__gte=expected_seq)
            .order_by("seq")
            .limit(VERIFY_BATCH)
        )
        for entry in batch:
            problem = _check(entry, expected_seq, expected_prev)
            if problem:
                return ChainReport(chain, checked, False, entry.id, entry.seq, problem)
            checked += 1
            expected_seq, expected_prev = entry.seq + 1, entry.hash
        if len(batch) < VERIFY_BATCH:
            break
    if expected_seq - 1 != head.head_seq or expected_prev != head.head_hash:
        return ChainReport(
            chain,
            checked,
            False,
            None,
            expected_seq - 1,
            f"entries after seq {expected_seq - 1} are missing (the head is seq {head.head_seq})",
        )
    before = await AuditEntry.filter(chain=chain, seq__lte=head.base_seq).first()
    if before is not None:
        return ChainReport(
            chain, checked, False, before.id, before.seq, "an entry sits before the chain's base"
        )
    return ChainReport(chain, checked, True)


def _check(entry: AuditEntry, expected_seq: int, expected_prev: str) -> str:
    if entry.seq != expected_seq:
        return f"entries seq {expected_seq}..{entry.seq - 1} before it are missing"
    if entry.prev_hash != expected_prev:
        return "its link to the previous entry does not match (the previous entry was replaced)"
    values = {name: getattr(entry, name) for name in HASHED_FIELDS}
    if entry_hash(values) != entry.hash:
        return "its contents do not match its hash (the entry was changed)"
    return ""


async def chains(guild_id: int | None = None) -> list[str]:
    """Every known chain (from heads and entries), or only ``guild_id``'s."""
    if guild_id is not None:
        return [f"guild:{guild_id}"]
    names = set(await AuditChain.all().values_list("chain", flat=True))
    names |= set(await AuditEntry.all().distinct().values_list("chain", flat=True))
    return sorted(str(n) for n in names)


async def verify(guild_id: int | None = None) -> list[ChainReport]:
    """Verify every chain (or one guild's)."""
    return [await verify_chain(name) for name in await chains(guild_id)]
