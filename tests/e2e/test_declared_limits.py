"""Limits a plugin's commands declare (``@rate_limit``) are enforced like the core's own: the
``rate_limited`` outcome and the "try again" reply, blocks with their security event, owners
exempt, shared by processes through Redis; config.toml's ``[ratelimit.commands]`` overrides them;
an unload withdraws them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import E2E_PLUGINS
from test_services_e2e import delete_test_keys, redis_test_url, say  # type: ignore[import-not-found]

from core.app import App
from core.events import CommandEvent, Outcome, SecurityEvent
from core.ratelimit.limits import LimitError, rate_limit
from core.testing import LocalDiscord
from core.testing.events import EventRecorder
from core.testing.harness import run_app

TOO_OFTEN = "You're doing that too often."


@pytest.fixture(params=["memory", "redis"])
async def limited(
    request: pytest.FixtureRequest, local_discord: LocalDiscord, tmp_path: Path
) -> AsyncIterator[App]:
    backend = str(request.param)
    redis_url = redis_test_url() if backend == "redis" else None
    where: dict[str, Any] = {"backend": backend} | ({"redis_url": redis_url} if redis_url else {})
    ratelimit = where | {"default": "100/60s", "block_after": 2, "block_seconds": 60}
    try:
        async with run_app(
            local_discord,
            tmp_path,
            plugins=["limited"],
            local_plugins=E2E_PLUGINS,
            settings={"ratelimit": ratelimit, "web": {"enabled": False}},
        ) as app:
            assert app.plugins.is_loaded("limited"), app.plugins.records["limited"].error
            yield app
    finally:
        if redis_url:
            await delete_test_keys(redis_url, local_discord)


async def test_a_declared_limit_refuses_and_blocks_like_the_cores(
    limited: App, local_discord: LocalDiscord
) -> None:
    events = EventRecorder.attach(limited)
    bob = local_discord.member("Bob")
    assert [await say(bob, "karma", "give") for _ in range(2)] == ["given", "given"]
    assert (await say(bob, "karma", "give")).startswith(TOO_OFTEN)
    assert await say(bob, "karma", "show") == "shown"  # undeclared: the default applies
    refused = [
        e for e in events.events if isinstance(e, CommandEvent) and e.info.command == "karma give"
    ]
    assert refused[-1].outcome is Outcome.RATE_LIMITED
    assert (await say(bob, "karma", "give")).startswith("You have been temporarily blocked")
    block = await events.wait(
        lambda e: isinstance(e, SecurityEvent) and e.kind == "rate_limit_block"
    )
    assert block.data["command"] == "karma give"

    owner = local_discord.member("Owner")
    assert [await say(owner, "thanks") for _ in range(3)] == ["thanked"] * 3


async def test_config_overrides_a_declared_limit_and_an_unload_withdraws_it(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    settings = {"ratelimit": {"default": "100/60s", "commands": {"karma give": "3/60s"}}}
    async with run_app(
        local_discord, tmp_path, plugins=["limited"], local_plugins=E2E_PLUGINS, settings=settings
    ) as app:
        alice = local_discord.member("Alice")
        assert [await say(alice, "karma", "give") for _ in range(3)] == ["given"] * 3
        assert (await say(alice, "karma", "give")).startswith(TOO_OFTEN)
        assert app.limiter.command_limit("thanks")[1].count == 1
        await app.plugins.unload("limited")
        assert app.limiter.command_limit("thanks")[1].count == 100  # back to the default


def test_a_bad_declared_limit_fails_at_import_naming_the_rule() -> None:
    with pytest.raises(LimitError, match="rate_limit: invalid rate limit 'often'"):
        rate_limit("often")
    with pytest.raises(TypeError, match="above the command decorator"):
        rate_limit("1/1s")(object())
