"""App.close stops the web server before it unloads plugins: the security event of a rate-limit
window that the shutdown closes still reaches a plugin's listener (the audit plugin stores it)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import aiohttp

from core.testing import LocalDiscord
from tests.web.support import running_app


async def test_the_last_rate_limit_event_reaches_the_audit_plugin(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    async with running_app(
        local_discord, tmp_path, ("audit",), connect=False, ratelimit={"web": "2/60s"}
    ) as app:
        async with aiohttp.ClientSession() as http:
            statuses = []
            for _ in range(4):
                async with http.get(app.web.url + "/health") as r:
                    statuses.append(r.status)
    assert statuses == [200, 200, 429, 429]
    with sqlite3.connect(tmp_path / "dbsbm.sqlite3") as db:
        rows = db.execute(
            "SELECT action, data FROM audit_entry WHERE category = 'security' ORDER BY id"
        ).fetchall()
    assert [action for action, _ in rows] == ["web_rate_limited", "web_rate_limit_ended"]
    assert json.loads(rows[1][1])["refused"] == 2  # the window closed by the shutdown
