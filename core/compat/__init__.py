"""The one place per library where DBSBM reaches a private internal.

``core.compat.disnake``, ``.aiohttp``, ``.tortoise``, ``.aerich`` and ``.aiosqlite`` each wrap
what the project needs of one library beyond its public API, and name in ``CHECKED`` the release
series their code was read and tested against. :func:`check_versions` (run by ``App.start`` and
``dbsbm check``) refuses to start on another series, naming the library, the version found and
what to do, instead of failing later in the middle of a reload or a migration.
"""

from __future__ import annotations

from importlib import import_module, metadata

LIBRARIES = ("disnake", "aiohttp", "tortoise", "aerich", "aiosqlite")
"""The modules of this package, each named for the library it wraps."""


class CompatError(RuntimeError):
    """An installed library is of a release series its compatibility module was not checked
    against."""


def mismatches() -> list[str]:
    """One line per installed library whose version its module was not checked against."""
    lines = []
    for name in LIBRARIES:
        module = import_module(f"core.compat.{name}")
        package: str = module.PACKAGE
        checked: tuple[str, ...] = module.CHECKED
        installed = metadata.version(package)
        if not any(installed == series or installed.startswith(f"{series}.") for series in checked):
            lines.append(
                f"{package} {installed} is installed, but core/compat/{name}.py was checked "
                f"against {', '.join(checked)}: install a checked version (`uv sync --locked`), "
                f"or check that module's internals against {installed} and add it to CHECKED"
            )
    return lines


def check_versions() -> None:
    """Raise :class:`CompatError` listing every library of an unchecked version."""
    if found := mismatches():
        raise CompatError("; ".join(found))
