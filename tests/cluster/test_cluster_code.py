"""The files of a plugin version kept in Redis (:mod:`core.cluster_code`): packed as its version's
name covers them, unpacked into the same places, written once per version, refused when too
large or when a name would leave its folder (``DBSBM_TEST_REDIS_URL`` for the Redis part)."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import pytest

from core import cluster_code
from core.breaker import redis_client
from core.cluster_code import CodeShelf, copy_folders, pack, unpack
from core.reloader import fingerprint


def plugin_files(root: Path) -> list[Path]:
    """A package and a migrations folder, with a cache and a hidden file no version covers."""
    package, migrations = copy_folders(root, "greet")
    (package / "__pycache__").mkdir(parents=True)
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0stale")
    (package / ".swp").write_text("editor")
    (package / "__init__.py").write_text("plugin = None\n")
    (package / "sub").mkdir()
    (package / "sub" / "deep.py").write_text("X = 1\n")
    migrations.mkdir(parents=True)
    (migrations / "0_init.py").write_text("async def upgrade(db): ...\n")
    return [package, migrations]


def relative(folders: list[Path]) -> dict[str, str]:
    prints = fingerprint(folders)
    return {
        f"{i}/{Path(p).relative_to(f)}": sha
        for p, sha in prints.items()
        for i, f in enumerate(folders)
        if Path(p).is_relative_to(f)
    }


def test_unpacked_files_are_the_files_a_version_covers(tmp_path: Path) -> None:
    folders = plugin_files(tmp_path / "here")
    copy = copy_folders(tmp_path / "copy", "greet")
    unpack(pack(folders), copy)
    assert relative(copy) == relative(folders)
    assert sorted(relative(copy)) == ["0/__init__.py", "0/sub/deep.py", "1/0_init.py"]


def archive(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zipped:
        for name in names:
            zipped.writestr(name, "x")
    return out.getvalue()


@pytest.mark.parametrize(
    "name", ["0/../../outside.py", "2/x.py", "x/y.py", "/0/abs.py", "0/a/../../../b.py"]
)
def test_a_name_that_would_leave_its_folder_is_refused(tmp_path: Path, name: str) -> None:
    folders = copy_folders(tmp_path / "copy", "greet")
    with pytest.raises(ValueError, match="archive member"):
        unpack(archive("0/ok.py", name), folders)
    assert not (tmp_path / "outside.py").exists() and not (tmp_path / "b.py").exists()


def test_data_that_is_no_zip_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a zip archive"):
        unpack(b"PK\x03\x04 truncated", copy_folders(tmp_path, "greet"))


async def test_a_version_is_kept_once_and_fetched_whole(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis = redis_client(redis_url)
    shelf = CodeShelf(redis, f"test:code:{uuid.uuid4().hex}")
    folders = plugin_files(tmp_path / "here")
    try:
        assert not await shelf.fetch("greet", "0.1.0+abc", copy_folders(tmp_path / "no", "greet"))
        await shelf.keep("greet", "0.1.0+abc", folders)
        (folders[0] / "__init__.py").write_text("plugin = 'changed'\n")
        await shelf.keep("greet", "0.1.0+abc", folders)  # kept already: the first files stay
        copy = copy_folders(tmp_path / "copy", "greet")
        assert await shelf.fetch("greet", "0.1.0+abc", copy)
        assert (copy[0] / "__init__.py").read_text() == "plugin = None\n"
        assert 0 < await redis.ttl(shelf._key("greet", "0.1.0+abc")) <= cluster_code.CODE_TTL

        size = len(pack(folders))
        monkeypatch.setattr(cluster_code, "MAX_ARCHIVE", size - 1)
        with pytest.raises(ValueError, match=f"{size} bytes zipped, at most {size - 1}"):
            await shelf.keep("greet", "0.1.0+def", folders)
        assert not await shelf.fetch("greet", "0.1.0+def", copy)
        monkeypatch.setattr(cluster_code, "MAX_ARCHIVE", size)
        await shelf.keep("greet", "0.1.0+def", folders)  # at the limit: kept
        assert await shelf.fetch("greet", "0.1.0+def", copy)
    finally:
        await redis.delete(shelf._key("greet", "0.1.0+abc"), shelf._key("greet", "0.1.0+def"))
        await redis.aclose()
