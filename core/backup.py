"""Database backups and restores for SQLite, PostgreSQL and MariaDB/MySQL.

A backup is one ``.tar.gz`` file holding ``meta.json`` and the database itself:

- SQLite: ``database.sqlite3``, a copy made with SQLite's online backup API in one step, so it is a
  consistent snapshot even while the bot writes (the read transaction sees one state of the WAL).
- PostgreSQL: ``dump.sql`` from ``pg_dump`` (one repeatable-read snapshot), restored with ``psql``
  in a single transaction, so a failed restore changes nothing.
- MariaDB/MySQL: ``dump.sql`` from ``mariadb-dump --single-transaction`` (``mysqldump`` if that
  is what is installed), restored with ``mariadb`` (``mysql``).

``meta.json`` records the dialect, the time, the DBSBM version and the migrations applied per app
(aerich's ``aerich`` table). :func:`restore` refuses a backup whose migrations this installation
does not have (a backup from a newer version of a plugin: upgrade the bot first) and a backup of
another dialect. Passwords go to the tools through the environment, never the command line.

Example::

    made = await backup(settings.database_url, Path("data/backups"))
    print(made.path, made.meta.heads)
    await restore(made.path, settings.database_url, specs)
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core import __version__
from core.database import AppSpec, dialect_of, mask_url
from core.migrations import migration_files

FORMAT = 1
META = "meta.json"
SQLITE_PAYLOAD = "database.sqlite3"
SQL_PAYLOAD = "dump.sql"
TOOLS = {
    "postgres": (("pg_dump",), ("psql",)),
    "mysql": (("mariadb-dump", "mysqldump"), ("mariadb", "mysql")),
}
INSTALL_HINT = {
    "postgres": "install the PostgreSQL client tools (Debian: apt-get install postgresql-client)",
    "mysql": "install the MariaDB client tools (Debian: apt-get install mariadb-client)",
}


class BackupError(Exception):
    """A backup or restore could not be made; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupMeta:
    """What ``meta.json`` of a backup holds.

    ``applied`` maps each app (plugin) to its applied migration files, oldest first.
    """

    dialect: str
    created_at: str
    dbsbm_version: str
    applied: dict[str, list[str]] = field(default_factory=dict)
    format: int = FORMAT

    @property
    def heads(self) -> dict[str, str]:
        """The last applied migration of each app."""
        return {app: versions[-1] for app, versions in self.applied.items() if versions}

    @property
    def payload(self) -> str:
        return SQLITE_PAYLOAD if self.dialect == "sqlite" else SQL_PAYLOAD


@dataclass(frozen=True, slots=True)
class BackupFile:
    """A backup written on the host."""

    path: Path
    meta: BackupMeta
    size: int
    duration: float  # seconds


# --- connection details ---------------------------------------------------------------------


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite://`` URL (refuses ``:memory:``)."""
    path = url.split("://", 1)[1].split("?", 1)[0]
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(path)


@dataclass(frozen=True, slots=True)
class _Server:
    host: str
    port: int | None
    user: str
    password: str
    database: str

    @classmethod
    def from_url(cls, url: str) -> _Server:
        parts = urllib.parse.urlsplit(url)
        database = parts.path.lstrip("/")
        if not database:
            raise BackupError(f"{mask_url(url)} names no database")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port,
            user=urllib.parse.unquote(parts.username or ""),
            password=urllib.parse.unquote(parts.password or ""),
            database=database,
        )

    def postgres_args(self) -> tuple[list[str], dict[str, str]]:
        args = ["--host", self.host, "--dbname", self.database]
        if self.port:
            args += ["--port", str(self.port)]
        if self.user:
            args += ["--username", self.user]
        return args, {"PGPASSWORD": self.password} if self.password else {}

    def mysql_args(self) -> tuple[list[str], dict[str, str]]:
        args = ["--host", self.host, "--protocol", "tcp"]
        if self.port:
            args += ["--port", str(self.port)]
        if self.user:
            args += ["--user", self.user]
        return args, {"MYSQL_PWD": self.password} if self.password else {}


def _tool(dialect: str, restore: bool) -> str:
    names = TOOLS[dialect][1 if restore else 0]
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise BackupError(f"{' or '.join(names)} is not installed: {INSTALL_HINT[dialect]}")


def _client(url: str, dialect: str, *, restore: bool) -> tuple[_Server, list[str], dict[str, str]]:
    """The server, the client tool (the dump tool, or with ``restore`` the SQL client) with its
    connection arguments, and the environment carrying the password."""
    server = _Server.from_url(url)
    args, env = server.postgres_args() if dialect == "postgres" else server.mysql_args()
    return server, [_tool(dialect, restore), *args], env


async def _run(args: list[str], env: dict[str, str], stdin: Path | None = None) -> bytes:
    """Run a client tool; its stdout, or :class:`BackupError` with its stderr."""
    handle = stdin.open("rb") if stdin is not None else None
    try:
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=handle if handle is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **env},
        )
        out, err = await proc.communicate()
    finally:
        if handle is not None:
            handle.close()
    if proc.returncode != 0:
        reason = " ".join(err.decode(errors="replace").split()) or f"exit status {proc.returncode}"
        raise BackupError(f"{Path(args[0]).name} failed: {reason}")
    return out


# --- applied migrations ---------------------------------------------------------------------


def _group(rows: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for app, version in rows:
        out.setdefault(app, []).append(version)
    return out


def _sqlite_applied(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as conn:
        found = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'aerich'"
        ).fetchone()
        if found is None:
            return {}
        rows = conn.execute("SELECT app, version FROM aerich ORDER BY id").fetchall()
    return _group(rows)


async def _server_applied(url: str, dialect: str) -> dict[str, list[str]]:
    server, client, env = _client(url, dialect, restore=True)
    if dialect == "postgres":
        probe = "SELECT to_regclass('aerich') IS NOT NULL"
        query = "SELECT app, version FROM aerich ORDER BY id"
        base = [*client, "--no-psqlrc", "--tuples-only", "--no-align", "--field-separator=\t"]
    else:
        probe = (
            "SELECT COUNT(*) > 0 FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_name = 'aerich'"
        )
        query = "SELECT app, version FROM aerich ORDER BY id"
        base = [*client, "--batch", "--skip-column-names", server.database]
    exists = (await _run([*base, "-c" if dialect == "postgres" else "-e", probe], env)).strip()
    if exists not in (b"t", b"1"):
        return {}
    out = await _run([*base, "-c" if dialect == "postgres" else "-e", query], env)
    rows = [line.split("\t", 1) for line in out.decode().splitlines() if "\t" in line]
    return _group([(app, version) for app, version in rows])


# --- backup ---------------------------------------------------------------------------------


def backup_name(dialect: str, now: datetime | None = None) -> str:
    """``dbsbm-<dialect>-<UTC time>.tar.gz``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"dbsbm-{dialect}-{stamp}.tar.gz"


def _sqlite_snapshot(source: Path, target: Path) -> None:
    """Copy ``source`` with the online backup API in one step (one consistent snapshot)."""
    if not source.exists():
        raise BackupError(f"the SQLite database {source} does not exist")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()


async def backup(url: str, directory: Path) -> BackupFile:
    """Back the database of ``url`` up into a new file in ``directory``; see the module doc."""
    started = time.perf_counter()
    dialect = dialect_of(url)
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".backup-") as tmp:
        work = Path(tmp)
        if dialect == "sqlite":
            payload = work / SQLITE_PAYLOAD
            await asyncio.to_thread(_sqlite_snapshot, sqlite_path(url), payload)
            applied = await asyncio.to_thread(_sqlite_applied, payload)
        else:
            payload = work / SQL_PAYLOAD
            applied = await _server_applied(url, dialect)
            await _dump(url, dialect, payload)
        meta = BackupMeta(
            dialect=dialect,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            dbsbm_version=__version__,
            applied=applied,
        )
        path = directory / backup_name(dialect)
        partial = work / path.name
        await asyncio.to_thread(_pack, partial, meta, payload)
        os.replace(partial, path)
    return BackupFile(path, meta, path.stat().st_size, time.perf_counter() - started)


async def _dump(url: str, dialect: str, target: Path) -> None:
    server, client, env = _client(url, dialect, restore=False)
    if dialect == "postgres":
        flags = ["--no-owner", "--no-privileges", "--clean", "--if-exists", "--file", str(target)]
    else:
        flags = ["--single-transaction", "--routines", "--triggers", "--add-drop-table"]
        flags += ["--result-file", str(target), server.database]
    await _run([*client, *flags], env)


def _pack(path: Path, meta: BackupMeta, payload: Path) -> None:
    with tarfile.open(path, "w:gz") as tar:
        data = json.dumps(asdict(meta), indent=2).encode()
        info = tarfile.TarInfo(META)
        info.size, info.mtime = len(data), int(time.time())
        tar.addfile(info, io.BytesIO(data))
        tar.add(payload, arcname=payload.name)


# --- restore --------------------------------------------------------------------------------


def read_meta(path: Path) -> BackupMeta:
    """The metadata of a backup file (:class:`BackupError` if it is not one)."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile(META)
            if member is None:
                raise KeyError(META)
            raw = json.loads(member.read())
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{path} is not a DBSBM backup ({type(exc).__name__}: {exc})") from None
    if raw.get("format") != FORMAT:
        raise BackupError(f"{path}: backup format {raw.get('format')!r} is not supported")
    return BackupMeta(**raw)


def newer_migrations(meta: BackupMeta, specs: Sequence[AppSpec]) -> list[str]:
    """Why the backup is from a newer migration state than this installation (``[]``: it is
    not): applied migrations this installation does not have, and apps it does not know."""
    known = {spec.label: {p.name for p in migration_files(spec)} for spec in specs}
    problems = []
    for app, versions in sorted(meta.applied.items()):
        if app not in known:
            if app != "core":
                problems.append(f"{app}: the plugin is not installed or not enabled here")
            continue
        unknown = [v for v in versions if v not in known[app]]
        if unknown:
            problems.append(f"{app}: migration {unknown[-1]} is newer than this installation")
    return problems


async def restore(
    path: Path, url: str, specs: Sequence[AppSpec], *, force: bool = False
) -> BackupMeta:
    """Replace the database of ``url`` with the backup at ``path``.

    ``specs`` are the apps this installation runs (with their migration folders); a backup with
    migrations they lack is refused unless ``force``. Stop the bot first. For SQLite the old file
    is kept as ``<file>.before-restore``.
    """
    meta = read_meta(path)
    dialect = dialect_of(url)
    if meta.dialect != dialect:
        raise BackupError(
            f"{path.name} is a {meta.dialect} backup; it cannot be restored into {dialect}"
        )
    problems = newer_migrations(meta, specs)
    if problems and not force:
        raise BackupError(
            "the backup is from a newer migration state than this installation: "
            + "; ".join(problems)
            + ". Upgrade the bot (and enable those plugins) first, or pass --force."
        )
    with tempfile.TemporaryDirectory(prefix="dbsbm-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(path, "r:gz") as tar:
            tar.extract(meta.payload, work, filter="data")
        payload = work / meta.payload
        if dialect == "sqlite":
            await asyncio.to_thread(_sqlite_replace, payload, sqlite_path(url))
        else:
            await _load(url, dialect, payload)
    return meta


def _sqlite_replace(payload: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(payload, staged)
    with sqlite3.connect(staged) as conn:
        if conn.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            staged.unlink()
            raise BackupError("the backup's database fails SQLite's integrity check")
    if target.exists():
        os.replace(target, target.with_name(target.name + ".before-restore"))
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)


async def _load(url: str, dialect: str, payload: Path) -> None:
    """Empty the database, then load the dump: tables the backup lacks must not survive."""
    server, client, env = _client(url, dialect, restore=True)
    if dialect == "postgres":
        command = [
            *client,
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set",
            "ON_ERROR_STOP=1",
            "--command",
            "DROP SCHEMA IF EXISTS public CASCADE",
            "--command",
            "CREATE SCHEMA public",
            "--file",
            str(payload),
        ]
        await _run(command, env)
        return
    base = [*client, "--batch", "--skip-column-names", server.database]
    listed = await _run(
        [
            *base,
            "-e",
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()",
        ],
        env,
    )
    tables = [name for name in listed.decode().split() if name]
    if tables:
        names = ", ".join(f"`{name}`" for name in tables)
        await _run([*base, "-e", f"SET FOREIGN_KEY_CHECKS = 0; DROP TABLE {names}"], env)
    await _run([*client, server.database], env, stdin=payload)
