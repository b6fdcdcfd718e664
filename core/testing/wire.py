"""HTTP replies in Discord's format (disnake parses JSON only for ``application/json`` exactly)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON reply with ``Content-Type: application/json`` and no charset parameter."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_reply(status: int, message: str, code: int = 0) -> web.Response:
    """An error in Discord's format: ``{"message": ..., "code": ...}``."""
    return json_reply({"message": message, "code": code}, status)


def no_content() -> web.Response:
    return web.Response(status=204)
