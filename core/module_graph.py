"""Which of a plugin's modules a hot reload executes again, from the imports in their sources.

A module is **stale** when its source file changed, when it imports a stale module of the same
plugin (an import anywhere in its source counts, in a function body too), or when it is a
package holding a stale submodule; the plugin's package module and modules without a source
file (namespace packages) are always stale. The reloader executes the stale modules again and
keeps the others: the new version uses the same module objects (so their module-level state
carries over), as it would find them in ``sys.modules``.

An import of another plugin's module that the same reload executes again (the reloader says
which) makes the importer stale too. Only an edit of the sources of loaded modules is reloaded
that way: when nothing changed, or a
file that is no loaded module's source changed (a new or deleted module, a template, a
migration), every module is stale, as in a full re-import. ``from package import name`` counts
as an import of ``package.name`` when that is a module of the plugin, else of ``package``;
a module imported by a computed name (``importlib.import_module(f"...")``) is not seen.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType

Imports = frozenset[tuple[str, str | None]]
"""``(module, name)`` of each ``from module import name``; ``(module, None)`` of an ``import``."""

_STATEMENT = re.compile(
    rb"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import[ \t]*\([^)]*\)"
    rb"|(?:from[ \t]+[\w.]+[ \t]+)?import[ \t][^\n]*(?:\\\n[^\n]*)*)",
    re.MULTILINE,
)
"""A line starting an import statement, with its continuation lines."""
_WORD = re.compile(rb"\bimport\b")


def _import_nodes(source: bytes) -> Iterator[ast.AST]:
    """The nodes of the import statements in ``source``. Parsing only the lines that start one
    is several times faster than parsing the module; when the word ``import`` appears outside
    them (``if x: import y``, a docstring), the whole module is parsed."""
    statements = list(_STATEMENT.finditer(source))
    seen = sum(len(_WORD.findall(match.group())) for match in statements)
    try:
        if seen == len(_WORD.findall(source)):
            return ast.walk(ast.parse(b"\n".join(match.group().strip() for match in statements)))
    except SyntaxError:  # e.g. a comment holding ")" in a parenthesised import
        pass
    return ast.walk(ast.parse(source))


def imports_of(name: str, is_package: bool, source: bytes) -> Imports:
    """What the module ``name`` imports, relative imports made absolute."""
    here = name if is_package else name.rpartition(".")[0]
    found: set[tuple[str, str | None]] = set()
    for node in _import_nodes(source):
        if isinstance(node, ast.Import):
            found.update((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = here.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            found.update((module, alias.name) for alias in node.names)
    return frozenset(found)


def source_file(module: ModuleType) -> str | None:
    """The absolute path of the module's source file (``None`` for a namespace package)."""
    spec = module.__spec__
    origin = spec.origin if spec is not None else None
    return os.path.abspath(origin) if origin and origin.endswith(".py") else None


class ImportGraph:
    """The imports of plugin modules, parsed once per version of each source file."""

    def __init__(self) -> None:
        self._parsed: dict[str, tuple[str, Imports]] = {}  # path -> (digest, imports)

    def stale(
        self,
        root: str,
        modules: Mapping[str, ModuleType],
        before: Mapping[str, str],
        now: Mapping[str, str],
        replaced: Callable[[str], bool],
    ) -> set[str]:
        """The names in ``modules`` (the running ones of the plugin whose package is ``root``)
        to execute again, given the fingerprints ``before`` and ``now`` (path -> digest) of
        the plugin's files; ``replaced`` tells whether a module outside them is executed
        again."""
        changed = {
            os.path.abspath(p) for p in before.keys() | now.keys() if before.get(p) != now.get(p)
        }
        files = {n: source_file(m) for n, m in modules.items()}
        sources = {f for f in files.values() if f is not None}
        digests = {os.path.abspath(p): d for p, d in now.items()}
        if not changed or not changed <= sources or not sources <= digests.keys():
            return set(modules)
        stale = {root, *(n for n, f in files.items() if f is None or f in changed)}
        importers: dict[str, set[str]] = {}
        for name, file in files.items():
            if name in stale or file is None:
                continue
            is_package = modules[name].__spec__.submodule_search_locations is not None  # type: ignore[union-attr]
            for module, attr in self._imports(name, is_package, file, digests[file]):
                target = f"{module}.{attr}" if attr and f"{module}.{attr}" in modules else module
                if target in modules:
                    importers.setdefault(target, set()).add(name)
                elif replaced(target):
                    stale.add(name)
        queue = list(stale)
        while queue:
            name = queue.pop()
            parent = name.rpartition(".")[0]
            for other in (*importers.get(name, ()), parent):
                if other in modules and other not in stale:
                    stale.add(other)
                    queue.append(other)
        return stale

    def _imports(self, name: str, is_package: bool, file: str, digest: str) -> Imports:
        known = self._parsed.get(file)
        if known is None or known[0] != digest:
            known = self._parsed[file] = (
                digest,
                imports_of(name, is_package, Path(file).read_bytes()),
            )
        return known[1]
