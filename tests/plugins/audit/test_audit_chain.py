"""The hash chain and the write-behind queue, against a real SQLite database."""

from __future__ import annotations

import asyncio
import itertools
import time

from core.database import Database
from core.events import ActionEvent, CommandEvent, InteractionInfo, Outcome, SecurityEvent
from plugins.audit import records
from plugins.audit.chain import GENESIS, verify, verify_chain
from plugins.audit.models import AuditChain, AuditEntry, AuditSession
from plugins.audit.records import Record
from plugins.audit.settings import AuditSettings
from plugins.audit.writer import AuditWriter

GUILD = 900_000_000_000_000_001
OTHER_GUILD = 900_000_000_000_000_002
USER = 800_000_000_000_000_001


def writer(**overrides: float) -> AuditWriter:
    settings: dict[str, float] = dict(
        queue_size=100,
        batch_size=7,
        flush_interval=0.01,
        retry_delay=0.01,
        max_retry_delay=0.05,
        session_gap=60.0,
    )
    settings.update(overrides)
    return AuditWriter(AuditSettings.model_validate(settings))


def command(at: float, guild: int | None = GUILD, user: int = USER, **options: object) -> Record:
    info = InteractionInfo(
        interaction_id=1,
        kind="command",
        plugin="betting",
        command="bet straight",
        user_id=user,
        guild_id=guild,
        channel_id=5,
        options=dict(options),
    )
    record = records.from_command(CommandEvent(info, Outcome.OK, 0.012, at=at), limit=50)
    assert record is not None
    return record


async def test_entries_link_per_guild_and_verify(audit_db: Database) -> None:
    w = writer()
    now = time.time()
    for i in range(20):
        w.submit(command(now + i, guild=GUILD if i % 2 else OTHER_GUILD))
    w.submit(
        records.from_security(SecurityEvent(kind="web_refused", client_address="10.0.0.9"), 50)
    )
    assert await w.flush() == 21
    assert w.pending == 0
    entries = await AuditEntry.filter(chain=f"guild:{GUILD}").order_by("seq")
    assert [e.seq for e in entries] == list(range(1, 11))
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    head = await AuditChain.get(chain=f"guild:{GUILD}")
    assert (head.head_seq, head.head_hash) == (10, entries[-1].hash)
    reports = await verify()
    assert {r.chain for r in reports} == {f"guild:{GUILD}", f"guild:{OTHER_GUILD}", "global"}
    assert all(r.ok for r in reports), [r.describe() for r in reports]


async def test_verify_names_an_edited_entry(audit_db: Database) -> None:
    w = writer()
    for i in range(5):
        w.submit(command(time.time() + i))
    await w.flush()
    target = await AuditEntry.get(chain=f"guild:{GUILD}", seq=3)
    await AuditEntry.filter(id=target.id).update(outcome="failed")
    report = await verify_chain(f"guild:{GUILD}")
    assert not report.ok
    assert (report.entry_id, report.seq, report.checked) == (target.id, 3, 2)
    assert "changed" in report.reason
    assert f"#{target.id}" in report.describe()


async def test_verify_names_deleted_and_truncated_entries(audit_db: Database) -> None:
    w = writer()
    for i in range(5):
        w.submit(command(time.time() + i))
    await w.flush()
    await AuditEntry.filter(chain=f"guild:{GUILD}", seq=2).delete()
    report = await verify_chain(f"guild:{GUILD}")
    assert (report.ok, report.seq) == (False, 3)
    assert "missing" in report.reason
    await AuditEntry.filter(chain=f"guild:{GUILD}", seq__gte=2).delete()
    report = await verify_chain(f"guild:{GUILD}")
    assert not report.ok and "missing" in report.reason and report.entry_id is None


async def test_options_mask_secrets_and_truncate_text(audit_db: Database) -> None:
    record = command(time.time(), note="x" * 500, api_key="hunter2", Password="p", units=3)
    assert "hunter2" not in record.options and '"api_key":"***"' in record.options
    assert '"Password":"***"' in record.options and '"units":3' in record.options
    assert "x" * 49 + "…" in record.options and "x" * 50 not in record.options
    action = records.from_action(
        ActionEvent(plugin="admin", kind="config.changed", admin=True, data={"token": "t0k"}), 50
    )
    assert "t0k" not in action.data and action.category == "admin"


async def test_queue_overflow_is_counted_and_reported(audit_db: Database) -> None:
    reported: list[int] = []

    async def on_overflow(count: int) -> None:
        reported.append(count)

    settings = AuditSettings(
        queue_size=10,
        batch_size=5,
        flush_interval=0.01,
        retry_delay=0.01,
        max_retry_delay=0.01,
        session_gap=60,
    )
    w = AuditWriter(settings, on_overflow=on_overflow)
    for i in range(13):
        w.submit(command(time.time() + i))
    assert (w.pending, w.dropped) == (10, 3)
    await w.flush()
    assert reported == [3]
    assert await AuditEntry.all().count() == 10


async def test_sessions_split_after_the_idle_gap(audit_db: Database) -> None:
    w = writer(session_gap=60.0, batch_size=2)
    start = 1_800_000_000.0
    for offset in (0, 10, 50, 200, 230, 1000):
        w.submit(command(start + offset))
    w.submit(command(start + 5, guild=OTHER_GUILD))
    await w.flush()
    sessions = await AuditSession.filter(user_id=USER, guild_id=GUILD).order_by("started_ts")
    assert [(s.started_ts, s.ended_ts, s.command_count) for s in sessions] == [
        (records.to_micros(start), records.to_micros(start + 50), 3),
        (records.to_micros(start + 200), records.to_micros(start + 230), 2),
        (records.to_micros(start + 1000), records.to_micros(start + 1000), 1),
    ]
    assert await AuditSession.filter(guild_id=OTHER_GUILD).count() == 1


async def test_background_task_retries_until_the_database_is_back(audit_db: Database) -> None:
    w = writer()
    task = asyncio.create_task(w.run())
    try:
        await audit_db.context.connections.close_all(discard=True)
        for i in range(5):
            w.submit(command(time.time() + i))
        await asyncio.wait_for(w.wait_empty(), timeout=10)
        assert await AuditEntry.all().count() == 5
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_records_queued_during_a_flush_wait_for_the_next_one(audit_db: Database) -> None:
    w = writer(queue_size=1_000_000, batch_size=7)
    now = time.time()
    for i in range(10):
        w.submit(command(now + i))
    flushed = asyncio.Event()
    produced = 0

    async def stream() -> None:  # a record every time the loop turns, as picks arrive
        nonlocal produced
        while not flushed.is_set() and produced < 5000:
            w.submit(command(now + 100 + produced))
            produced += 1
            await asyncio.sleep(0)

    producer = asyncio.create_task(stream())
    try:
        assert await w.flush() == 10  # two batches: 7 and 3, nothing of what came meanwhile
    finally:
        flushed.set()
        await producer
    assert produced > 0 and w.pending == produced
    assert await AuditEntry.all().count() == 10
    assert await w.flush() == produced
    assert w.pending == 0 and await AuditEntry.all().count() == 10 + produced
    await w.wait_empty()  # nothing left: returns at once


async def test_close_writes_everything_queued(audit_db: Database) -> None:
    w = writer(batch_size=3)
    for i in range(8):
        w.submit(command(time.time() + i))
    await w.close()
    assert w.pending == 0 and await AuditEntry.all().count() == 8
