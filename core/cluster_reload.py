"""Reloads that every process of a cluster takes together, or none does.

With Redis (``[cache] backend = "redis"``), a reload asked of any process — ``/reload``, the
dashboard's button, or its file watcher seeing a plugin's files change — becomes a **round**
announced on the Redis channel ``<[cluster] key>:reload``. Every live process (those the
cluster view shows ready, :mod:`core.cluster`) runs phase 1 of the reload (import and validate
the new version, :mod:`core.reloader`) and votes: prepared, with the version it would run, or
failed, with why. The first process to see every vote in favour — the same version everywhere —
writes the decision "swap"; the first to see a vote against, or to wait longer than
``ROUND_TIMEOUT`` for a missing one, writes "keep" with the reason and the stage that failed
(the refusing process's, :class:`core.reloader.ReloadStage`; the cluster vote for the others).
The decision is written once (``SET NX``), so every process takes the same one: all swap, or
all keep the old version and report the same stage. Each then reports its result, and the
process that asked collects them all for its reply.

A round's id is a digest of what it reloads and the versions on disk, so the watchers of every
process that sees the same saved files join one round instead of starting several; an ask of
the same after that round has ended (every result collected) starts a new one.

``config.toml`` edits are rounds too (unit :data:`core.reloader.CONFIG`): every process
validates its own file and votes with a digest of its text, so the files must be the same for a
swap; then every process applies it.

A process that starts while the cluster runs a version its own files do not give (a change the
cluster refused, a machine deployed later) loads the cluster's version from the copy of its files
every process keeps in Redis (:mod:`core.cluster_code`).

Phase 2 ends with a second vote: a process whose swap failed (a plugin's ``setup`` failing
there only) rolls back and votes against, and then every process rolls back to the old version
(the schema stays migrated: a migration another process committed is not undone). A process
silent after voting for the swap does not hold the others: after ``ROUND_TIMEOUT`` they keep the
new version. A ``config.toml`` round applies the plugin changes in each process on its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from loguru import logger

from core.breaker import redis_client, redis_down
from core.cluster import ProcessState
from core.cluster_code import CodeShelf, copy_folders
from core.reloader import ReloadAction, ReloadResult, ReloadStage

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from core.app import App
    from core.reloader import Failure

ROUND_TIMEOUT = 10.0
"""Seconds a process waits for the others' votes; the asker waits three times as long for
their results (a swap may apply migrations)."""
SEEN = 1024
"""Rounds remembered, so that a round announced twice is taken part in once."""
POLL = 0.005
"""Seconds between two looks at a round's votes while waiting."""
KEEP = "keep"
SWAP = "swap"
"""The decision to swap; any other decision keeps the old version (a JSON object with its
reason under ``keep`` and its ``stage``; an older process's ``keep: <why>``)."""
ROUND_TTL = 3600
"""Seconds a round's votes, decision and results stay in Redis (for the logs' sake)."""

Runner = Callable[[list[str], "Gate"], Awaitable[list[ReloadResult]]]


class Gate(Protocol):
    """A round's decisions, asked by the reloader after each of its phases for one unit."""

    async def prepared(
        self, unit: list[str], versions: dict[str, str], failure: Failure | None
    ) -> Failure | None:
        """After phase 1, with the versions prepared, or why not (``failure``): ``None`` to
        swap, or the failure every process keeps the old version for."""

    async def swapped(self, unit: list[str], failure: Failure | None) -> Failure | None:
        """After phase 2, with why this process could not swap (it rolled back), or ``None``:
        ``None`` to keep the new version, or the failure every process rolls back for."""


class ClusterReload:
    """This process's part in the cluster's reload rounds (see the module docstring)."""

    def __init__(self, app: App, run: Runner) -> None:
        self.app = app
        url = app.settings.cache.redis_url
        self.redis: aioredis.Redis = redis_client(url)
        self._subscriber: aioredis.Redis = redis_client(url, read_timeout=None)
        self.down = redis_down()
        self._failures: tuple[type[BaseException], ...] = (ValueError, *self.down)
        """What keeping or fetching a version's files may meet: a corrupt or too large archive,
        or Redis down (logged, never raised: the process runs its own files)."""
        self.run = run
        self.key = app.settings.cluster.key
        self.channel = f"{self.key}:reload"
        self._seen: deque[str] = deque(maxlen=SEEN)
        self._rounds: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self.shelf = CodeShelf(self.redis, self.key)

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="cluster:reload")
        await self._subscribed.wait()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await self.redis.aclose()
        await self._subscriber.aclose()

    # --- the versions' files -------------------------------------------------------------

    async def load_cluster_versions(self) -> None:
        """Before this process loads its plugins: pin each local plugin of which the ready
        processes run one version that this process's files do not give to the cluster's copy
        of that version (:meth:`core.plugin_manager.PluginManager.pin`)."""
        plugins = self.app.plugins
        running = (await self.app.cluster.view()).versions()
        names = [n for n in plugins.enabled_names() if plugins.records[n].source.origin == "local"]
        here = self.app.reloader.disk_versions(names)
        for name in names:
            (version, *others) = running.get(name) or {here[name]}
            if others or _digest(version) == _digest(here[name]):
                continue
            try:
                copy = await self._copy(name, version)
            except self._failures as exc:
                logger.warning("cluster: plugin {} {}: files not fetched: {}", name, version, exc)
                copy = None
            if copy is None:
                logger.warning(
                    "cluster: plugin {}: the cluster runs {}, this process loads {} (its files)",
                    name,
                    version,
                    here[name],
                )
                continue
            plugins.pin(name, copy)
            logger.info(
                "cluster: plugin {} loads {}, the version the cluster runs, from {} "
                "(this process's files give {})",
                name,
                version,
                copy,
                here[name],
            )

    async def _copy(self, name: str, version: str) -> Path | None:
        """The folder of ``name`` at ``version`` fetched from Redis and checked, or ``None``."""
        root = self.app.settings.data_dir / "cluster-code"
        root.mkdir(parents=True, exist_ok=True)
        unpacked = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
        try:
            if not await self.shelf.fetch(name, version, copy_folders(unpacked, name)):
                return None
            found = self.app.reloader.version_in(name, copy_folders(unpacked, name))
            if _digest(found) != _digest(version):
                logger.error("cluster: the files kept for {} {} give {}", name, version, found)
                return None
            for older in root.glob(f"{name}-*"):  # nothing runs from them before the load
                shutil.rmtree(older, ignore_errors=True)
            copy = root / f"{name}-{_digest(version)}"
            os.replace(unpacked, copy)
            return copy
        finally:
            shutil.rmtree(unpacked, ignore_errors=True)

    async def keep_code(self, names: list[str]) -> None:
        """Keep the files of the running version of each loaded plugin of ``names`` in Redis
        (for the processes that start later); a failure is logged, nothing more."""
        reloader = self.app.reloader
        for name in names:
            if not self.app.plugins.is_loaded(name):
                continue
            version = reloader.version(name)
            try:
                await self.shelf.keep(name, version, reloader.running_folders(name))
            except self._failures as exc:
                logger.warning("cluster: plugin {} {}: files not kept: {}", name, version, exc)

    # --- asking -----------------------------------------------------------------------

    async def request(self, names: list[str], versions: dict[str, str]) -> list[ReloadResult]:
        """Announce a round reloading ``names`` (at ``versions``, what this process's files
        give) and return every process's results."""
        digest = hashlib.sha256(json.dumps([names, versions], sort_keys=True).encode())
        base = f"{digest.hexdigest()[:16]}-{int(time.time() // ROUND_TIMEOUT)}"
        round_id = base
        for again in itertools.count(1):  # a round that ended is not joined: ask anew
            if not await self.redis.exists(f"{self.key}:round:{round_id}:done"):
                break
            round_id = f"{base}.{again}"
        voters = await self._voters()
        await self.redis.publish(
            self.channel, json.dumps({"round": round_id, "plugins": names, "voters": voters})
        )
        found = await self._results(round_id, voters)
        await self.redis.set(f"{self.key}:round:{round_id}:done", 1, ex=ROUND_TTL)
        out: list[ReloadResult] = []
        for process in voters:
            rows = found.get(process)
            if rows is None:
                out.extend(
                    ReloadResult(
                        n,
                        False,
                        0.0,
                        "no result from this process in time",
                        stage=ReloadStage.CLUSTER,
                        process=process,
                    )
                    for n in names
                )
                continue
            for row in rows:
                stage, action = row.pop("stage"), ReloadAction(row.pop("action"))
                migrations = tuple(row.pop("migrations"))
                out.append(
                    ReloadResult(
                        **row,
                        action=action,
                        migrations=migrations,
                        stage=_stage(stage) if stage else None,
                        process=process,
                    )
                )
        return out

    async def _voters(self) -> list[str]:
        view = await self.app.cluster.view()
        return [p.id for p in view.processes if view.state_of(p) is ProcessState.READY]

    async def _results(self, round_id: str, voters: list[str]) -> dict[str, list[dict[str, Any]]]:
        key = f"{self.key}:round:{round_id}:results"
        deadline = time.monotonic() + 3 * ROUND_TIMEOUT
        while True:
            raw = await self.redis.hgetall(key)
            found = {_text(k): json.loads(v) for k, v in raw.items()}
            if set(voters) <= set(found) or time.monotonic() > deadline:
                return found
            await asyncio.sleep(POLL)

    # --- taking part ------------------------------------------------------------------

    async def _listen(self) -> None:
        """Take part in every round announced, resubscribing after Redis comes back."""
        while True:
            try:
                pubsub = self._subscriber.pubsub()
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._announced(json.loads(message["data"]))
            except self.down as exc:
                logger.warning("cluster: reload rounds not heard, Redis does not answer: {}", exc)
                self._subscribed.set()  # start() must not wait for Redis
                await asyncio.sleep(1.0)

    def _announced(self, body: dict[str, Any]) -> None:
        if body["round"] in self._seen:
            return
        self._seen.append(body["round"])
        task = asyncio.create_task(self._take_part(body), name=f"cluster:round {body['round']}")
        self._rounds.add(task)
        task.add_done_callback(self._rounds.discard)

    async def _take_part(self, body: dict[str, Any]) -> None:
        round_id, voters = body["round"], body["voters"]
        me = self.app.cluster.id
        if me not in voters:  # not ready when the round began: it loads what is on disk
            return
        try:
            results = await self.run(body["plugins"], self._gate(round_id, voters))
        except Exception:
            logger.opt(exception=True).error("cluster: round {} failed here", round_id)
            results = []
        await self.app.cluster.beat()  # the view shows the version it runs now
        await self.keep_code([r.name for r in results if r.ok])
        rows = [_row(r) for r in results]
        key = f"{self.key}:round:{round_id}:results"
        await self.redis.hset(key, me, json.dumps(rows))
        await self.redis.expire(key, ROUND_TTL)

    def _gate(self, round_id: str, voters: list[str]) -> Gate:
        return _RoundGate(self, f"{self.key}:round:{round_id}", voters)

    async def decide(
        self, base: str, vote: dict[str, Any], voters: list[str], verdict: Verdict
    ) -> str:
        """Vote ``vote`` at ``base`` and return the decision, once every process takes the same
        one (written once, by the first process whose ``verdict`` of the votes decides)."""
        await self.redis.hset(f"{base}:votes", self.app.cluster.id, json.dumps(vote))
        await self.redis.expire(f"{base}:votes", ROUND_TTL)
        deadline = time.monotonic() + ROUND_TIMEOUT
        while True:
            decided = await self.redis.get(f"{base}:decision")
            if decided is not None:
                return _text(decided)
            raw = await self.redis.hgetall(f"{base}:votes")
            votes = {_text(k): json.loads(v) for k, v in raw.items()}
            found = verdict(votes, voters, time.monotonic() > deadline)
            if found is not None:
                await self.redis.set(f"{base}:decision", found, nx=True, ex=ROUND_TTL)
            else:
                await asyncio.sleep(POLL)


Verdict = Callable[[dict[str, dict[str, Any]], list[str], bool], str | None]
"""The votes so far, the voters, whether the wait is over -> the decision, or ``None``."""


@dataclass(frozen=True)
class _RoundGate:
    """One process's votes in one round (see :class:`Gate`)."""

    rounds: ClusterReload
    base: str
    voters: list[str]

    async def prepared(
        self, unit: list[str], versions: dict[str, str], failure: Failure | None
    ) -> Failure | None:
        vote = {**_vote(failure), "versions": versions}
        base = f"{self.base}:{','.join(unit)}"
        return _refusal(await self.rounds.decide(base, vote, self.voters, _verdict))

    async def swapped(self, unit: list[str], failure: Failure | None) -> Failure | None:
        base = f"{self.base}:{','.join(unit)}:swapped"
        return _refusal(await self.rounds.decide(base, _vote(failure), self.voters, _swap_verdict))


def _vote(failure: Failure | None) -> dict[str, Any]:
    """A vote for (``failure`` ``None``) or against, with the stage that failed and why."""
    stage, error = failure if failure is not None else (None, None)
    return {"ok": failure is None, "stage": stage, "error": error}


def _stage(value: str | None) -> ReloadStage:
    """The stage a vote, decision or result names; the cluster vote when it names none (an
    older process's vote) or one this process does not know (a newer process's)."""
    try:
        return ReloadStage(value or ReloadStage.CLUSTER)
    except ValueError:
        return ReloadStage.CLUSTER


def _keep(reason: str, stage: ReloadStage = ReloadStage.CLUSTER) -> str:
    """The decision to keep the old version, for ``reason``, failed at ``stage``."""
    return json.dumps({KEEP: reason, "stage": stage})


def _refusal(decision: str) -> Failure | None:
    """``None`` to swap, or the failure every process keeps the old version for: the stage
    that failed, and an error saying that the cluster vote refused it."""
    if decision == SWAP:
        return None
    try:
        kept = json.loads(decision)
    except ValueError:  # an older process's decision
        kept = {KEEP: decision.removeprefix(f"{KEEP}: ")}
    return _stage(kept.get("stage")), f"{ReloadStage.CLUSTER}: {kept[KEEP]}"


def _against(votes: dict[str, dict[str, Any]], could_not: str) -> str | None:
    """Keep, for the first process (by id) that voted against and at its stage, or ``None``."""
    against = sorted((p, v) for p, v in votes.items() if not v["ok"])
    if not against:
        return None
    process, vote = against[0]
    return _keep(
        f"process {process} could not {could_not}: {vote['error']}", _stage(vote.get("stage"))
    )


def _verdict(votes: dict[str, dict[str, Any]], voters: list[str], late: bool) -> str | None:
    """After phase 1: swap, keep (:func:`_keep`), or ``None`` while the votes so far decide
    nothing."""
    refused = _against(votes, "prepare it")
    if refused is not None:
        return refused
    if set(voters) <= set(votes):
        versions = {json.dumps(v["versions"], sort_keys=True) for v in votes.values()}
        if len(versions) > 1:
            return _keep(f"the processes' files differ ({len(versions)} versions)")
        return SWAP
    if late:
        missing = ", ".join(sorted(set(voters) - set(votes)))
        return _keep(f"no vote in {ROUND_TIMEOUT:g}s from {missing}")
    return None


def _swap_verdict(votes: dict[str, dict[str, Any]], voters: list[str], late: bool) -> str | None:
    """After phase 2: keep (every process rolls back) when one could not swap;
    ``swap`` once all did, or when the wait is over (a process silent since its vote in favour
    stopped or lags: it shows in the cluster view)."""
    refused = _against(votes, "swap to it")
    if refused is not None:
        return refused
    return SWAP if late or set(voters) <= set(votes) else None


def _row(result: ReloadResult) -> dict[str, Any]:
    """A result as JSON, as the asking process reads it back (without ``process``)."""
    row = asdict(result)
    del row["process"]
    row["stage"] = str(result.stage) if result.stage else None
    row["action"] = str(result.action)
    row["migrations"] = list(result.migrations)
    return row


def _digest(version: str) -> str:
    """The content part of a version's name (``<declared>+<digest>``)."""
    return version.rpartition("+")[2]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
