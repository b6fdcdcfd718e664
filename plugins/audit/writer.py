"""The write-behind queue: events are queued in memory and written in batches off the hot path.

:meth:`AuditWriter.submit` never waits (the listeners call it while the pipeline finishes an
interaction). A background task started with :meth:`AuditWriter.run` writes the queue in batches,
one transaction each; when a write fails (database down) the entries stay at the front of the
queue and the task retries with a doubling delay, so they arrive once the database is back. The
queue is bounded: what does not fit is dropped and counted, and the count is reported (through
``on_overflow``) as a security event after the next successful write.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from itertools import groupby

from loguru import logger
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from core.compat.tortoise import prepared_insert
from plugins.audit.chain import GENESIS, link
from plugins.audit.models import AuditChain, AuditEntry, AuditSession
from plugins.audit.records import Category, Record
from plugins.audit.settings import AuditSettings

OverflowCallback = Callable[[int], Awaitable[None]]
SQL_CHUNK = 500
"""Most rows or values in one bulk statement or ``IN (...)`` list (older SQLite allows 999
variables per statement)."""


class AuditWriter:
    """A bounded queue of :class:`Record` and the logic that writes it.

    ``settings`` say how: ``queue_size`` records at most wait (more are dropped and counted in
    :attr:`dropped`), ``batch_size`` per transaction, ``flush_interval`` seconds the background
    task waits for more, ``retry_delay`` after a failed write (doubling up to
    ``max_retry_delay``), ``session_gap`` seconds of inactivity end a member's session.
    ``on_overflow`` is awaited with the number of records dropped since the last report.
    """

    def __init__(self, settings: AuditSettings, on_overflow: OverflowCallback | None = None):
        self.settings = settings
        self.session_gap_us = round(settings.session_gap * 1_000_000)
        self.on_overflow = on_overflow
        self.dropped = 0
        self.written = 0
        self.failed_writes = 0
        self._unreported = 0
        self._queue: deque[Record] = deque()
        self._lock = asyncio.Lock()
        self._pending = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()

    @property
    def pending(self) -> int:
        """Records waiting to be written."""
        return len(self._queue)

    def submit(self, record: Record | None) -> None:
        """Queue ``record`` (never blocks); drop and count it when the queue is full."""
        if record is None:
            return
        if len(self._queue) >= self.settings.queue_size:
            self.dropped += 1
            self._unreported += 1
            if self._unreported == 1:
                logger.warning(
                    "audit queue full ({} entries): dropping entries", self.settings.queue_size
                )
            return
        self._queue.append(record)
        self._empty.clear()
        self._pending.set()

    async def wait_empty(self) -> None:
        """Return once every queued record has been written."""
        await self._empty.wait()

    async def flush(self) -> int:
        """Write the records queued when it starts, in batches; return how many were written.

        Records queued meanwhile wait for the next flush: under a steady stream a flush that
        took whatever had arrived would go on writing batches of a few records back to back,
        a transaction for every pick or two holding the database's connections. Raises the
        database's error when a write fails; the unwritten records stay queued.
        """
        total = 0
        async with self._lock:
            due = len(self._queue)
            while total < due:
                size = min(self.settings.batch_size, due - total)
                batch = [self._queue[i] for i in range(size)]
                await self._write(batch)
                for _ in batch:
                    self._queue.popleft()
                total += size
                self.written += size
            if not self._queue:
                self._pending.clear()
                self._empty.set()
        if self._unreported and self.on_overflow is not None:
            count, self._unreported = self._unreported, 0
            await self.on_overflow(count)
        return total

    async def run(self) -> None:
        """The background task: write whenever records wait; retry while the database is down."""
        delay = self.settings.retry_delay
        while True:
            await self._pending.wait()
            if len(self._queue) < self.settings.batch_size:
                await asyncio.sleep(self.settings.flush_interval)
            try:
                # shielded: a cancel (unload) lets the current transaction finish, and the
                # final flush waits for it on the lock instead of writing the batch twice
                await asyncio.shield(self.flush())
            except Exception as exc:
                self.failed_writes += 1
                logger.warning(
                    "audit: cannot write {} entries ({}: {}); retrying in {:g}s",
                    len(self._queue),
                    type(exc).__name__,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.max_retry_delay)
            else:
                delay = self.settings.retry_delay

    async def close(self) -> None:
        """The final flushes on unload or shutdown (until the queue is empty); entries that
        cannot be written are logged."""
        try:
            while self._queue:
                await self.flush()
        except Exception as exc:
            logger.error(
                "audit: {} entries could not be written before shutdown ({}: {})",
                len(self._queue),
                type(exc).__name__,
                exc,
            )

    # --- one transaction ----------------------------------------------------------------

    async def _write(self, batch: list[Record]) -> None:
        """One transaction for the whole batch, in a handful of statements whatever the number
        of chains: on SQLite every statement waits its turn on the event loop while the
        transaction holds the one connection the commands need too."""
        async with in_transaction() as conn:
            await self._append(conn, batch)
            await self._sessions(conn, [r for r in batch if r.category == Category.COMMAND])

    @staticmethod
    async def _append(conn: BaseDBAsyncClient, batch: list[Record]) -> None:
        """Link the batch's records onto their chains: one query reads (and locks, in chain
        order) the heads, one insert adds the entries, one update moves the heads."""
        ordered = sorted(batch, key=lambda r: r.chain)
        names = sorted({r.chain for r in ordered})
        heads: dict[str, AuditChain] = {}
        for start in range(0, len(names), SQL_CHUNK):
            query = AuditChain.filter(chain__in=names[start : start + SQL_CHUNK])
            for head in await query.using_db(conn).select_for_update().order_by("chain"):
                heads[head.chain] = head
        rows = []
        for chain, records in groupby(ordered, key=lambda r: r.chain):
            if chain in heads:
                head = heads[chain]
            else:
                head = heads[chain] = await AuditChain.create(
                    chain=chain,
                    head_seq=0,
                    head_hash=GENESIS,
                    base_seq=0,
                    base_hash=GENESIS,
                    using_db=conn,
                )
            seq, prev = head.head_seq, head.head_hash
            for record in records:
                seq += 1
                values = link(record, chain, seq, prev)
                prev = values["hash"]
                rows.append(values)
            head.head_seq, head.head_hash = seq, prev
        # the executor's prepared INSERT with plain values: building model instances for
        # bulk_create costs more than everything else in a flush (all columns are DB-native)
        columns, insert = prepared_insert(AuditEntry, conn)
        await conn.execute_many(insert, [[r[c] for c in columns] for r in rows])
        await AuditChain.bulk_update(
            list(heads.values()), ["head_seq", "head_hash"], batch_size=SQL_CHUNK, using_db=conn
        )

    async def _sessions(self, conn: BaseDBAsyncClient, records: list[Record]) -> None:
        """Extend each member's latest session, or start a new one after the idle gap.

        One query reads the sessions the batch may extend (those ended within the gap before
        its first entry: an older one could not be extended anyway); the new and the extended
        sessions are then written with one insert and one update.
        """
        ordered = sorted((r for r in records if r.user_id is not None), key=lambda r: r.ts)
        if not ordered:
            return
        keys = {(r.user_id, r.guild_id) for r in ordered}
        users = sorted({user for user, _ in keys if user is not None})
        since = ordered[0].ts - self.session_gap_us
        current: dict[tuple[int | None, int | None], AuditSession] = {}
        for start in range(0, len(users), SQL_CHUNK):
            query = AuditSession.filter(
                user_id__in=users[start : start + SQL_CHUNK], ended_ts__gte=since
            )
            for found in await query.using_db(conn):
                key = (found.user_id, found.guild_id)
                latest = current.get(key)
                if key in keys and (latest is None or found.ended_ts > latest.ended_ts):
                    current[key] = found
        touched: dict[int, AuditSession] = {}
        for record in ordered:
            key = (record.user_id, record.guild_id)
            session = current.get(key)
            if session is None or record.ts - session.ended_ts > self.session_gap_us:
                session = current[key] = AuditSession(
                    user_id=record.user_id,
                    guild_id=record.guild_id,
                    started_ts=record.ts,
                    ended_ts=record.ts,
                    command_count=0,
                )
            session.ended_ts = max(session.ended_ts, record.ts)
            session.command_count += 1
            touched[id(session)] = session
        new = [s for s in touched.values() if s.pk is None]
        extended = [s for s in touched.values() if s.pk is not None]
        if new:
            await AuditSession.bulk_create(new, batch_size=SQL_CHUNK, using_db=conn)
        if extended:
            await AuditSession.bulk_update(
                extended, ["ended_ts", "command_count"], batch_size=SQL_CHUNK, using_db=conn
            )
