"""The gateway websocket: HELLO, IDENTIFY/READY, RESUME, heartbeats, dispatches and shards."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from core.testing.intents import PRIVILEGED, shown, whole_list_allowed
from core.testing.state import World

HEARTBEAT_INTERVAL_MS = 41250
HISTORY = 10_000
"""Dispatches a session keeps for RESUME."""


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events, by Discord's formula."""
    return (guild_id >> 22) % shard_count


class _Connection:
    """One websocket connection; sends are serialised (zlib-stream needs the order kept)."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, compress: bool) -> None:
        self.ws = ws
        self.request = request
        self._zlib = zlib.compressobj() if compress else None
        self._lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        async with self._lock:
            if self._zlib is None:
                await self.ws.send_str(text)
            else:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)

    def abort(self) -> None:
        """Cut the TCP connection without a close frame."""
        if self.request.transport is not None:
            self.request.transport.abort()


@dataclass(eq=False)
class GatewaySession:
    """A gateway session (it outlives a dropped connection, so that it can be resumed)."""

    id: str
    shard: tuple[int, int]
    seq: int = 0
    connection: _Connection | None = None
    #: The intents the client asked for (None: it gets every event in full).
    intents: int | None = None
    #: The latest dispatches, kept as Discord keeps them: a RESUME replays every one after the
    #: client's last sequence number, including those sent to a connection that was closing.
    history: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=HISTORY))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        payload = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.history.append(payload)
        if self.connection is not None:
            with contextlib.suppress(ConnectionError, RuntimeError):  # closing: RESUME replays
                await self.connection.send(payload)

    def after(self, seq: int) -> list[dict[str, Any]]:
        """The kept dispatches after sequence number ``seq``."""
        return [p for p in self.history if p["s"] > seq]


class Gateway:
    """The gateway side of the local Discord; ``handshakes`` logs each IDENTIFY and RESUME.

    ``max_concurrency`` is what ``GET /gateway/bot`` tells; with ``identify_interval`` set
    (Discord's is 5 s; None, the default, does not check), an IDENTIFY sooner than that after
    the previous one of its ``rate_limit_key`` (``shard_id % max_concurrency``) is answered as
    Discord does, with op 9 INVALID SESSION (not resumable), and counted in
    ``identify_refusals``; ``identifies`` holds the time (``time.monotonic()``) and shard of
    every accepted one."""

    def __init__(self, world: World, token: str, url: Callable[[], str]) -> None:
        self._world = world
        self._token = token
        self._url = url
        self.sessions: dict[str, GatewaySession] = {}
        #: The privileged intents the application may ask for (see :mod:`core.testing.intents`);
        #: None: intents are not honoured, every session gets every event in full.
        self.privileged_intents: int | None = PRIVILEGED
        #: "IDENTIFY" or "RESUME" for every session opened or resumed, in order.
        self.handshakes: list[str] = []
        self.max_concurrency = 1
        self.identify_interval: float | None = None
        self.identifies: list[tuple[float, int]] = []
        self.identify_refusals = 0
        self._changed = asyncio.Condition()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        connection = _Connection(ws, request, request.query.get("compress") == "zlib-stream")
        await connection.send({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        session: GatewaySession | None = None
        try:
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):  # Discord takes both
                    continue
                payload = json.loads(msg.data)
                op, data = payload.get("op"), payload.get("d")
                if op == 1:
                    await connection.send({"op": 11})
                elif op == 2:
                    session = await self._identify(connection, data)
                elif op == 6:
                    session = await self._resume(connection, data)
                elif op == 8:
                    await self._send_members(connection, session, data)
        finally:
            if session is not None and session.connection is connection:
                session.connection = None
        return ws

    def sessions_for(self, guild_id: int | None) -> list[GatewaySession]:
        """The sessions that receive a guild's events (shard 0 for events outside guilds)."""
        return [
            s
            for s in self.sessions.values()
            if s.shard[0] == (0 if guild_id is None else shard_of(guild_id, s.shard[1]))
        ]

    async def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None) -> int:
        """Send an event to the sessions of ``guild_id``; returns how many got it."""
        sessions = self.sessions_for(guild_id)
        for session in sessions:
            await self._send(session, event, data)
        return len(sessions)

    async def _send(self, session: GatewaySession, event: str, data: dict[str, Any]) -> None:
        """Dispatch to one session what its intents let it see."""
        if session.intents is not None:
            seen = shown(event, data, session.intents, self._world.bot_user.id)
            if seen is None:
                return
            data = seen
        await session.dispatch(event, data)

    async def send_op(self, op: int, data: Any, shard: int | None = None) -> None:
        """Send a raw opcode to every connected session (or those of one shard)."""
        for connection in self._connections(shard):
            await connection.send({"op": op, "d": data})

    async def invalidate(self, shard: int | None = None) -> None:
        """Send op 9 INVALID SESSION (not resumable) and forget the sessions, as Discord does:
        nothing is dispatched to them any more and a RESUME of one is refused."""
        for session in self._sessions(shard):
            del self.sessions[session.id]
            if session.connection is not None:
                await session.connection.send({"op": 9, "d": False})

    def drop(self, shard: int | None = None) -> None:
        """Cut the connections (of one shard) without a close frame."""
        for session in self._sessions(shard):
            if session.connection is not None:
                session.connection.abort()
                session.connection = None

    async def close(self, code: int = 4000, shard: int | None = None) -> None:
        """Close the connections (of one shard) with a close code."""
        for session in self._sessions(shard):
            if session.connection is not None:
                connection, session.connection = session.connection, None
                await connection.ws.close(code=code)

    async def wait_handshake(self, after: int, within: float) -> str:
        """Wait for the handshake that follows the first ``after`` ones and return its kind."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: len(self.handshakes) > after), within
                )
            except TimeoutError:
                msg = f"The bot did not reconnect to the gateway within {within}s"
                raise AssertionError(msg) from None
        return self.handshakes[after]

    async def shutdown(self) -> None:
        for session in list(self.sessions.values()):
            if session.connection is not None:
                await session.connection.ws.close(code=1001)

    def _sessions(self, shard: int | None) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if shard is None or s.shard[0] == shard]

    def _connections(self, shard: int | None) -> list[_Connection]:
        return [s.connection for s in self._sessions(shard) if s.connection is not None]

    async def _handshake_done(self, kind: str) -> None:
        async with self._changed:
            self.handshakes.append(kind)
            self._changed.notify_all()

    async def _identify(
        self, connection: _Connection, data: dict[str, Any]
    ) -> GatewaySession | None:
        if data.get("token") != self._token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard_id, shard_count = data.get("shard") or (0, 1)
        if not 0 <= shard_id < shard_count:
            await connection.ws.close(code=4010, message=b"Invalid shard.")
            return None
        intents = data.get("intents")
        if not isinstance(intents, int):
            await connection.ws.close(code=4013, message=b"Invalid intent(s).")
            return None
        allowed = self.privileged_intents
        if allowed is not None and intents & PRIVILEGED & ~allowed:
            await connection.ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        if self._too_soon(shard_id):
            self.identify_refusals += 1
            await connection.send({"op": 9, "d": False})
            return None
        session = GatewaySession(secrets.token_hex(16), (shard_id, shard_count))
        session.connection = connection
        session.intents = None if allowed is None else intents
        self.sessions[session.id] = session
        guilds = [g for g in self._world.guilds if shard_of(g.id, shard_count) == shard_id]
        await session.dispatch("READY", self._ready(session, [g.id for g in guilds]))
        for guild in guilds:
            await self._send(session, "GUILD_CREATE", guild.to_wire())
        await self._handshake_done("IDENTIFY")
        return session

    def _too_soon(self, shard_id: int) -> bool:
        """Is an IDENTIFY of ``shard_id`` now too soon after the last of its rate_limit_key?
        If not, it is recorded as accepted."""
        now = time.monotonic()
        key = shard_id % self.max_concurrency
        if self.identify_interval is not None:
            last = [t for t, s in self.identifies if s % self.max_concurrency == key]
            if last and now - last[-1] < self.identify_interval:
                return True
        self.identifies.append((now, shard_id))
        return False

    async def _resume(self, connection: _Connection, data: dict[str, Any]) -> GatewaySession | None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self._token:
            await connection.send({"op": 9, "d": False})
            return None
        session.connection = connection
        for payload in session.after(int(data.get("seq") or 0)):
            await connection.send(payload)
        await session.dispatch("RESUMED", {"_trace": ["local-discord"]})
        await self._handshake_done("RESUME")
        return session

    async def _send_members(
        self, connection: _Connection, session: GatewaySession | None, data: dict[str, Any]
    ) -> None:
        if session is None:
            return
        if session.intents is not None and not whole_list_allowed(data, session.intents):
            return  # Discord does not answer
        guild = self._world.guild(int(data["guild_id"]))
        members = guild.members
        if wanted := data.get("user_ids"):
            ids = {int(i) for i in (wanted if isinstance(wanted, list) else [wanted])}
            members = [m for m in members if m.id in ids]
        elif query := str(data.get("query") or ""):
            members = [m for m in members if m.name.lower().startswith(query.lower())]
        if limit := int(data.get("limit") or 0):
            members = members[:limit]
        chunk = {
            "guild_id": str(guild.id),
            "members": [m.to_wire() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if nonce := data.get("nonce"):
            chunk["nonce"] = nonce
        await session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _ready(self, session: GatewaySession, guild_ids: list[int]) -> dict[str, Any]:
        return {
            "v": 10,
            "user": self._world.bot_user.to_wire_own(),
            "guilds": [{"id": str(gid), "unavailable": True} for gid in guild_ids],
            "session_id": session.id,
            "resume_gateway_url": self._url(),
            "shard": list(session.shard),
            "application": {"id": str(self._world.application_id), "flags": 0},
            "_trace": ["local-discord"],
        }
