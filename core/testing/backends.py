"""Faults for the bot's backends: a TCP fault proxy and a SQLite lock held by another process.

:class:`FaultProxy` sits on loopback in front of PostgreSQL, MariaDB or Redis; a test gives the
bot :meth:`FaultProxy.url` instead of the real URL and then refuses, resets, stalls or slows the
connections. :func:`hold_sqlite_lock` makes a SQLite file busy the way a second process would.
See ``docs/TESTING_PLUGINS.md`` ("Faults in your backends").
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import sys
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

#: Ports used when a URL names none.
DEFAULT_PORTS = {
    "postgres": 5432,
    "postgresql": 5432,
    "mysql": 3306,
    "mariadb": 3306,
    "redis": 6379,
    "rediss": 6379,
}

#: The faults :meth:`FaultProxy.fault` knows.
FAULTS = ("refuse", "reset", "cut", "stall", "latency")

_CHUNK = 65536
_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a RST instead of a FIN


@dataclass
class ProxyStats:
    """What went through a :class:`FaultProxy` since it started."""

    accepted: int = 0
    """Connections accepted from clients."""
    refused: int = 0
    """Accepted connections closed at once because the backend itself refused the proxy."""
    reset: int = 0
    """Connections aborted by :meth:`FaultProxy.reset` (or :meth:`~FaultProxy.cut`)."""
    bytes_up: int = 0
    """Bytes forwarded from clients to the backend."""
    bytes_down: int = 0
    """Bytes forwarded from the backend to clients."""
    open: int = 0
    """Connections open right now."""


@dataclass(eq=False)
class _Link:
    """One client connection and, once made, its connection to the backend."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def abort(self) -> None:
        """Close both sides with a TCP RST and stop forwarding."""
        self.rst()
        if self.task is not None:
            self.task.cancel()

    def rst(self) -> None:
        """Close both sides with a TCP RST."""
        for writer in (self.client, self.upstream):
            if writer is None:
                continue
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RST)
            writer.transport.abort()


class FaultProxy:
    """A loopback TCP proxy in front of a backend (PostgreSQL, MariaDB, Redis) that injects faults.

    Every method is safe to call twice and in any state; :meth:`restore` always returns to a
    clean pass-through on the same port, so clients reconnect to the URL they were given.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.stats = ProxyStats()
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._latency = 0.0
        self._closed = False

    @classmethod
    def for_url(cls, url: str) -> FaultProxy:
        """A proxy to the host and port of a ``postgres://``, ``mysql://`` or ``redis://`` URL."""
        parts = urllib.parse.urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        if port is None:
            raise ValueError(f"{parts.scheme}:// URL without a port: name the port")
        return cls(parts.hostname or "127.0.0.1", port)

    def url(self, url: str) -> str:
        """``url`` with its host and port replaced by the proxy's (user, password, path and
        query kept)."""
        parts = urllib.parse.urlsplit(url)
        userinfo, at, _ = parts.netloc.rpartition("@")
        return urllib.parse.urlunsplit(
            parts._replace(netloc=f"{userinfo}{at}127.0.0.1:{self.port}")
        )

    async def start(self) -> FaultProxy:
        """Listen on ``127.0.0.1`` (a random port the first time, the same one afterwards)."""
        self._closed = False
        await self._listen()
        return self

    async def close(self) -> None:
        """Stop listening and abort every connection."""
        self._closed = True
        server, self._server = self._server, None
        tasks = [link.task for link in self._links if link.task is not None]
        self._abort_all(count=False)
        self._flowing.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:
            server.close()
            await server.wait_closed()

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def refuse(self) -> None:
        """Stop listening: new connections are refused by the OS; open ones are left alone."""
        server, self._server = self._server, None
        if server is not None:
            server.close()

    def reset(self) -> None:
        """Abort every open connection with a TCP RST; new ones are still accepted."""
        self._abort_all(count=True)

    def cut(self) -> None:
        """:meth:`refuse` and :meth:`reset`: the backend looks down."""
        self.refuse()
        self.reset()

    def stall(self) -> None:
        """Open and new connections hang: bytes are held, in both directions, until
        :meth:`restore` (new connections reach the backend only then)."""
        self._flowing.clear()

    def latency(self, seconds: float) -> None:
        """Delay every chunk forwarded in either direction by ``seconds`` (order kept)."""
        if seconds < 0:
            raise ValueError("latency must be >= 0 seconds")
        self._latency = seconds

    async def restore(self) -> None:
        """Back to a clean pass-through: listening on the same port, held bytes flowing, no
        added latency (a closed proxy stays closed)."""
        self._latency = 0.0
        self._flowing.set()
        if not self._closed:
            await self._listen()

    @contextlib.asynccontextmanager
    async def fault(self, kind: str, seconds: float | None = None) -> AsyncIterator[None]:
        """Apply fault ``kind`` (one of :data:`FAULTS`) for the block, then :meth:`restore`.

        ``seconds`` is the added delay of ``"latency"`` and is given for that fault only.
        """
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}: one of {', '.join(FAULTS)}")
        if (kind == "latency") != (seconds is not None):
            raise ValueError('seconds is the delay of "latency" and only of it')
        if seconds is not None:
            self.latency(seconds)
        else:
            getattr(self, kind)()
        try:
            yield
        finally:
            await self.restore()

    async def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def _abort_all(self, *, count: bool) -> None:
        for link in list(self._links):
            link.abort()
            self._drop(link)
            if count:
                self.stats.reset += 1

    def _drop(self, link: _Link) -> None:
        if link in self._links:
            self._links.discard(link)
            self.stats.open = len(self._links)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closed:  # accepted just before close()
            writer.transport.abort()
            return
        link = _Link(writer, task=asyncio.current_task())
        self._links.add(link)
        self.stats.accepted += 1
        self.stats.open = len(self._links)
        try:
            await self._flowing.wait()
            try:
                up_reader, link.upstream = await asyncio.open_connection(*self.target)
            except OSError:
                self.stats.refused += 1
                link.rst()
                return
            async with asyncio.TaskGroup() as group:
                group.create_task(self._pipe(reader, link.upstream, up=True))
                group.create_task(self._pipe(up_reader, writer, up=False))
        except asyncio.CancelledError:
            pass  # aborted by reset() or close()
        finally:
            self._drop(link)
            for side in (writer, link.upstream):
                if side is not None:
                    side.close()

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, *, up: bool
    ) -> None:
        """Forward ``src`` to ``dst``: each chunk leaves ``latency`` after it came in, and not
        while stalled; the end of ``src`` closes ``dst`` once everything before it is sent."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def send() -> None:
            while (item := await queue.get())[1]:
                due, data = item
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                await self._flowing.wait()
                dst.write(data)
                await dst.drain()
                if up:
                    self.stats.bytes_up += len(data)
                else:
                    self.stats.bytes_down += len(data)
            dst.close()

        sender = asyncio.create_task(send())
        try:
            with contextlib.suppress(OSError):
                while data := await src.read(_CHUNK):
                    queue.put_nowait((loop.time() + self._latency, data))
            queue.put_nowait((loop.time() + self._latency, b""))
            with contextlib.suppress(OSError):
                await sender
        finally:
            sender.cancel()


_HOLD_LOCK = """
import select, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]) if sys.argv[2] else None)
conn.rollback()
conn.close()
"""


@contextlib.asynccontextmanager
async def hold_sqlite_lock(path: str | Path, seconds: float | None = None) -> AsyncIterator[None]:
    """Another process holds a write lock (``BEGIN EXCLUSIVE``) on the SQLite file ``path`` for
    the block, or until ``seconds`` pass; entered once the lock is held.

    In WAL mode every writer is blocked and readers go on; in rollback-journal mode readers
    are blocked as well.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _HOLD_LOCK,
        str(path),
        "" if seconds is None else str(seconds),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None  # nosec B101 # pipes requested
    assert process.stderr is not None  # nosec B101 # PIPE was requested above
    try:
        if await process.stdout.readline() != b"locked\n":
            error = (await process.stderr.read()).decode(errors="replace").strip()
            raise RuntimeError(f"could not lock {path}: {error or 'no output'}")
        yield
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
