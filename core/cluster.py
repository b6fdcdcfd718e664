"""The processes of one bot: each tells Redis what it runs, and any of them shows them all.

The processes of a deployment that share one Redis (``[cache] backend = "redis"``) form a
cluster. Each writes a heartbeat every ``[cluster] heartbeat`` seconds into one Redis hash
(``[cluster] key``): its id, host and pid, its shards, the version and content hash of each
plugin it runs, its state and the time. A process whose heartbeat is older than
``[cluster] down_after`` seconds is shown down (it stopped without saying so: killed, its
machine gone, cut off from Redis), and is forgotten after ``[cluster] forget_after``; one that
stops cleanly says so in its last heartbeat. With the memory backend the cluster is this
process alone. ``/status``, ``/plugins`` and ``/health/detailed`` show the view.

Redis being away never stops the bot: a failed heartbeat is logged once per outage and retried,
and the view then holds this process alone, marked as such.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from loguru import logger

from core.breaker import redis_client, redis_down
from core.events import HealthResult
from core.hookspecs import hookimpl
from core.plugin_manager import PluginState

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from core.app import App

Clock = Callable[[], float]


class ProcessState(StrEnum):
    """What a process says of itself (``down`` is what the others conclude)."""

    STARTING = "starting"
    READY = "ready"
    STOPPED = "stopped"
    DOWN = "down"


@dataclass(frozen=True)
class ProcessInfo:
    """One process as its last heartbeat described it."""

    id: str
    """``host:pid:random`` (random: a restarted process with a reused pid is another one)."""
    host: str
    pid: int
    shards: tuple[int, ...]
    shard_count: int
    plugins: dict[str, str]
    """Each loaded plugin's ``version+content hash`` (the same files give the same hash)."""
    state: ProcessState
    started: float
    heartbeat: float
    """Wall-clock time (``time.time()``) of the heartbeat."""

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "shards": list(self.shards)})

    @classmethod
    def from_json(cls, raw: str | bytes) -> ProcessInfo:
        data = json.loads(raw)
        return cls(
            id=data["id"],
            host=data["host"],
            pid=int(data["pid"]),
            shards=tuple(data["shards"]),
            shard_count=int(data["shard_count"]),
            plugins=dict(data["plugins"]),
            state=ProcessState(data["state"]),
            started=float(data["started"]),
            heartbeat=float(data["heartbeat"]),
        )


@dataclass(frozen=True)
class ClusterView:
    """Every process known, as seen from this one at ``at``."""

    processes: tuple[ProcessInfo, ...]
    at: float
    shared: bool
    """Whether the view comes from Redis (``False``: this process alone, by configuration or
    because Redis does not answer)."""
    problem: str = ""
    down: frozenset[str] = field(default_factory=frozenset)
    """The ids of processes shown down."""

    def state_of(self, process: ProcessInfo) -> ProcessState:
        return ProcessState.DOWN if process.id in self.down else process.state

    def versions(self) -> dict[str, set[str]]:
        """``{plugin: the versions the live processes run}`` (two or more: a split cluster)."""
        out: dict[str, set[str]] = {}
        for process in self.processes:
            if self.state_of(process) is ProcessState.READY:
                for name, version in process.plugins.items():
                    out.setdefault(name, set()).add(version)
        return out


class Cluster:
    """This process's heartbeat and its view of the others (see the module docstring)."""

    def __init__(self, app: App, *, clock: Clock = time.time) -> None:
        self.app = app
        self.settings = app.settings.cluster
        self.id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.started = clock()
        self.state = ProcessState.STARTING
        self._clock = clock
        self._redis: aioredis.Redis | None = None
        self._down: tuple[type[BaseException], ...] = ()
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        if app.settings.cache.backend == "redis":
            self._down = redis_down()
            self._redis = redis_client(app.settings.cache.redis_url)

    @property
    def shared(self) -> bool:
        return self._redis is not None

    def me(self) -> ProcessInfo:
        """This process now."""
        discord = self.app.settings.discord
        count = discord.shard_count or 1
        shards = tuple(discord.shard_ids) if discord.shard_ids is not None else tuple(range(count))
        plugins = {
            name: self.app.reloader.version(name)
            for name, record in sorted(self.app.plugins.records.items())
            if record.state is PluginState.LOADED
        }
        return ProcessInfo(
            id=self.id,
            host=socket.gethostname(),
            pid=os.getpid(),
            shards=shards,
            shard_count=count,
            plugins=plugins,
            state=self.state,
            started=self.started,
            heartbeat=self._clock(),
        )

    async def start(self) -> None:
        """Say this process is here and keep saying it (with Redis)."""
        if self._redis is None:
            return
        await self.beat()
        self._task = asyncio.create_task(self._beat_forever(), name="cluster:heartbeat")

    async def ready(self) -> None:
        """This process serves now."""
        self.state = ProcessState.READY
        await self.beat()

    async def close(self) -> None:
        """Stop the heartbeat and say this process stopped."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.state = ProcessState.STOPPED
        if self._redis is not None:
            await self.beat()
            await self._redis.aclose()

    async def beat(self) -> None:
        """Write this process's heartbeat now (a failure is logged once per outage)."""
        if self._redis is None:
            return
        try:
            await self._redis.hset(self.settings.key, self.id, self.me().to_json())
        except self._down as exc:
            if not self._failing:
                logger.warning("cluster: heartbeat not written, Redis does not answer: {}", exc)
            self._failing = True
            return
        if self._failing:
            logger.info("cluster: heartbeat written again")
        self._failing = False

    async def view(self) -> ClusterView:
        """Every process, ordered by first shard; those whose heartbeat is too old are down."""
        now = self._clock()
        if self._redis is None:
            return ClusterView((self.me(),), now, shared=False)
        try:
            raw = await self._redis.hgetall(self.settings.key)
        except self._down as exc:
            return ClusterView((self.me(),), now, shared=False, problem=f"Redis: {exc}")
        processes: list[ProcessInfo] = []
        forgotten = []
        for key, value in raw.items():
            process = ProcessInfo.from_json(value)
            if now - process.heartbeat > self.settings.forget_after:
                forgotten.append(key)
            else:
                processes.append(process)
        if forgotten:
            await self._redis.hdel(self.settings.key, *forgotten)
        processes.sort(key=lambda p: (p.shards[:1], p.started))
        down = frozenset(
            p.id
            for p in processes
            if p.state is not ProcessState.STOPPED and now - p.heartbeat > self.settings.down_after
        )
        return ClusterView(tuple(processes), now, shared=True, down=down)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat)
            try:
                await self.beat()
            except Exception:  # a refused command: the next beat tries again
                logger.opt(exception=True).error("cluster: heartbeat failed")

    @hookimpl
    async def dbsbm_health_check(self) -> HealthResult:
        """``cluster``: every process with its state; unhealthy only while the ready ones run
        different versions of a plugin (a split this process takes part in). A process down is
        told in the detail and in the metrics, and leaves this one healthy: it still serves."""
        started = time.perf_counter()
        view = await self.view()
        ms = (time.perf_counter() - started) * 1000
        data: dict[str, Any] = {
            "shared": view.shared,
            "processes": [
                {
                    "id": p.id,
                    "shards": list(p.shards),
                    "state": str(view.state_of(p)),
                    "heartbeat_age": round(view.at - p.heartbeat, 1),
                    "plugins": p.plugins,
                }
                for p in view.processes
            ],
        }
        split = sorted(name for name, versions in view.versions().items() if len(versions) > 1)
        problems = []
        if view.problem:
            problems.append(view.problem)
        if view.down:
            problems.append(f"{len(view.down)} process(es) down")
        if split:
            problems.append(f"versions differ: {', '.join(split)}")
        states = [view.state_of(p) for p in view.processes]
        stopped = states.count(ProcessState.STOPPED)
        up = f"{states.count(ProcessState.READY)} process(es) up"
        detail = "; ".join(problems) or (f"{up}, {stopped} stopped" if stopped else up)
        healthy = not split
        return HealthResult("cluster", healthy, detail, ms, data)
