"""The files of the plugin versions a cluster runs, kept in Redis for processes that start later.

A cluster swaps to a version only when every process prepared it, and keeps the old one when
any refused it (:mod:`core.cluster_reload`). The files on disk may then hold a version the
cluster does not run: a change one process refused, or a machine deployed later than the
others. So that a process starting then runs what the others run, every process keeps the
files of each plugin version it loads in Redis (``<[cluster] key>:code:<plugin>:<version>``, a
zip of the plugin's package and migrations folders, written once per version); a process
starting while the cluster runs one version of a plugin whose files here give another fetches
that version's files, unpacks them below ``<data_dir>/cluster-code/``, checks that they give
the version's name and loads the plugin from there (``Prepared.copy``). Its next reload reads
the plugin's own folders again.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis.asyncio as aioredis

CODE_TTL = 30 * 86400
"""Seconds a version's files stay in Redis after the last process that loaded it kept them."""
MAX_ARCHIVE = 64 * 1024 * 1024
"""Bytes of a version's files at the most, zipped (Redis takes 512 MiB per value)."""


def copy_folders(copy: Path, name: str) -> list[Path]:
    """The folders of a copy at ``copy``, in the order of the plugin's own folders: its
    package, then its migrations."""
    return [copy / name, copy / "migrations" / name]


def pack(folders: list[Path]) -> bytes:
    """A zip of the files a version's name covers (:func:`core.reloader.fingerprint`), each
    named ``<i>/<path inside folder i>``."""
    from core.reloader import fingerprint

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(fingerprint(folders)):
            file = Path(path)
            i = next(i for i, f in enumerate(folders) if file.is_relative_to(f))
            archive.write(file, f"{i}/{file.relative_to(folders[i]).as_posix()}")
    return out.getvalue()


def unpack(data: bytes, folders: list[Path]) -> None:
    """Write the files of :func:`pack`'s ``data`` into ``folders`` (``<i>/...`` into folder
    ``i``); raises :class:`ValueError` for data that is no zip or a name that would leave its
    folder."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValueError(f"not a zip archive: {exc}") from None
    with archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            index, _, inside = member.filename.partition("/")
            if not index.isdigit() or int(index) >= len(folders):
                raise ValueError(f"archive member {member.filename!r}: no such folder")
            folder = folders[int(index)]
            target = (folder / inside).resolve()
            if not target.is_relative_to(folder.resolve()):
                raise ValueError(f"archive member {member.filename!r} leaves its folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))


class CodeShelf:
    """The versions' files in Redis (see the module docstring)."""

    def __init__(self, redis: aioredis.Redis, key: str) -> None:
        self.redis = redis
        self.key = key

    def _key(self, name: str, version: str) -> str:
        return f"{self.key}:code:{name}:{version}"

    async def keep(self, name: str, version: str, folders: list[Path]) -> None:
        """Keep the files of ``name`` at ``version`` (read from ``folders``) unless kept."""
        key = self._key(name, version)
        if await self.redis.expire(key, CODE_TTL):
            return
        data = pack(folders)
        if len(data) > MAX_ARCHIVE:
            raise ValueError(f"{len(data)} bytes zipped, at most {MAX_ARCHIVE}")
        await self.redis.set(key, data, ex=CODE_TTL, nx=True)

    async def fetch(self, name: str, version: str, folders: list[Path]) -> bool:
        """Unpack the files of ``name`` at ``version`` into ``folders``; ``False``: not kept."""
        data = await self.redis.get(self._key(name, version))
        if data is None:
            return False
        unpack(data if isinstance(data, bytes) else data.encode(), folders)
        return True
