"""A plugin installed as a separate package is discovered through its entry point, loaded,
its table created by its own migration, and its command answers — with no change to core/."""

from __future__ import annotations

import pytest

from core.app import App
from core.testing import LocalDiscord


@pytest.mark.dbsbm(plugins=["hello"], settings={"plugins": {"hello": {"greeting": "Howdy"}}})
async def test_entry_point_plugin_loads_migrates_and_answers(
    dbsbm: App, local_discord: LocalDiscord
) -> None:
    record = dbsbm.plugins.records["hello"]
    assert record.source.origin == "entry point dbsbm-hello 1.0.0"
    assert dbsbm.plugins.loaded() == ["hello"]

    alice = local_discord.member("Alice")
    first = await (await alice.slash("hello", name="@everyone")).wait_reply()
    second = await (await alice.slash("hello", name="DBSBM")).wait_reply()

    assert first.message is not None and second.message is not None
    assert first.message.content == "Howdy, @everyone! (greeting #1)"  # as typed, no ping:
    [callback, *_] = [r for r in local_discord.requests if r.path.endswith("/callback")]
    assert callback.body["data"]["allowed_mentions"] == {"parse": []}
    assert second.message.content == "Howdy, DBSBM! (greeting #2)"
    rows = await dbsbm.db.connection.execute_query_dict("SELECT text FROM hello_greeting")
    assert [r["text"] for r in rows] == ["@everyone", "DBSBM"]
