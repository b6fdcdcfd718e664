"""core.bytecode: a plugin's modules imported again reuse the code of unchanged files and
compile changed ones, with no .pyc written or read."""

from __future__ import annotations

import importlib
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.bytecode import CodeCache


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"codecache_{secrets.token_hex(4)}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("from . import a, b\n")
    (tmp_path / name / "a.py").write_text("def f():\n    return 'a1'\n")
    (tmp_path / name / "b.py").write_text("def g():\n    return 'b1'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    yield name
    for key in [k for k in sys.modules if k == name or k.startswith(f"{name}.")]:
        del sys.modules[key]


def fresh_import(cache: CodeCache, name: str) -> object:
    for key in [k for k in sys.modules if k == name or k.startswith(f"{name}.")]:
        del sys.modules[key]
    importlib.invalidate_caches()
    with cache.importing(name):
        return importlib.import_module(name)


def test_unchanged_files_reuse_their_code_and_changed_ones_compile(
    package: str, tmp_path: Path
) -> None:
    cache = CodeCache()
    first = fresh_import(cache, package)
    assert len(cache) == 3  # the package and both modules
    (tmp_path / package / "b.py").write_text("def g():\n    return 'b2'\n")
    second = fresh_import(cache, package)
    assert second is not first
    assert second.a.f.__code__ is first.a.f.__code__  # type: ignore[attr-defined]
    assert second.b.g() == "b2"  # type: ignore[attr-defined]
    assert not list(tmp_path.rglob("*.pyc"))


def test_other_packages_import_as_usual(package: str) -> None:
    cache = CodeCache()
    with cache.importing(package):
        importlib.import_module("json.tool")
    assert len(cache) == 0
    assert not any(type(f).__module__ == "core.bytecode" for f in sys.meta_path)
