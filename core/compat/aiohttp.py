"""aiohttp internals DBSBM relies on (checked against the series in ``CHECKED``).

- ``TCPSite._server``: the asyncio server of a started site, whose socket tells the port the
  system chose when ``[web] port = 0``.
"""

from __future__ import annotations

from aiohttp import web

PACKAGE = "aiohttp"
CHECKED = ("3.14",)


def bound_port(site: web.TCPSite) -> int | None:
    """The port a started site listens on, or ``None`` when it has no socket."""
    sockets = getattr(site._server, "sockets", None) or []
    return int(sockets[0].getsockname()[1]) if sockets else None
