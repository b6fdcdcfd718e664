"""Plugin modules compiled once per version of their source, kept in memory across reloads.

Python reuses a module's compiled code only through a ``.pyc`` file; with
``PYTHONDONTWRITEBYTECODE`` (the image sets it) or a folder it may not write, it compiles every
module at every import, so each hot reload of a plugin compiled all of its modules again. While
:meth:`CodeCache.importing` is active, the modules of one package are loaded by a
:class:`~importlib.machinery.SourceFileLoader` that keeps each file's code object with the
digest of the source it came from and reuses it when the source is unchanged. A ``.pyc`` that
Python can use still wins (the cache is asked only when Python would compile).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

Codes = dict[str, tuple[bytes, CodeType]]
"""Source path -> (digest of the source, its code object)."""


class CodeCache:
    """The code objects of the modules imported under :meth:`importing`, by source file."""

    def __init__(self) -> None:
        self._codes: Codes = {}

    def __len__(self) -> int:
        return len(self._codes)

    @contextmanager
    def importing(self, package: str, folder: Path | None = None) -> Iterator[None]:
        """Within the block, ``package`` and its submodules import through the cache; from
        ``folder`` when given (its submodules then follow the package's ``__path__``)."""
        finder = _Finder(package, self._codes, folder)
        sys.meta_path.insert(0, finder)
        try:
            yield
        finally:
            sys.meta_path.remove(finder)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, package: str, codes: Codes, folder: Path | None) -> None:
        self._package = package
        self._codes = codes
        self._folder = folder

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self._package and not fullname.startswith(f"{self._package}."):
            return None
        if fullname == self._package and self._folder is not None:
            init = str(self._folder / "__init__.py")
            return importlib.util.spec_from_file_location(
                fullname,
                init,
                loader=_CachedLoader(fullname, init, self._codes),
                submodule_search_locations=[str(self._folder)],
            )
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _CachedLoader(fullname, spec.loader.path, self._codes)
        return spec


class _CachedLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, codes: Codes) -> None:
        super().__init__(fullname, path)
        self._codes = codes

    def source_to_code(self, data: Any, path: Any, *, _optimize: int = -1) -> CodeType:  # type: ignore[override]
        digest = hashlib.sha1(data, usedforsecurity=False).digest()
        known = self._codes.get(path)
        if known is not None and known[0] == digest:
            return known[1]
        code = super().source_to_code(data, path)
        self._codes[path] = (digest, code)
        return code
