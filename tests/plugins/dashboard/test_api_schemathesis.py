"""schemathesis against ``/api/v1/openapi.json``: generated requests to every endpoint find no
server error and no answer outside the document (status, content type, schema).

schemathesis calls the API synchronously, so the bot and its local Discord run on an event loop
of their own thread here."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from core.app import App
from core.pages import Scope
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from core.testing.visitor import allow_login, dashboard_settings

PLUGINS = ["dashboard", "betting", "admin", "audit"]
T = TypeVar("T")


class BotThread:
    """A bot with the ``PLUGINS`` on a local Discord, on its own thread's event loop."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.loop = asyncio.new_event_loop()
        self.ready: Future[tuple[LocalDiscord, App]] = Future()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> tuple[LocalDiscord, App]:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._main(), self.loop)
        return self.ready.result(timeout=60)

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self.call(asyncio.sleep(0))
        with contextlib.suppress(TimeoutError):
            self.call(self._closed.wait())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    async def _main(self) -> None:
        self._closed = asyncio.Event()
        try:
            settings: dict[str, Any] = {}
            async with LocalDiscord() as discord:
                unlimited = {**dashboard_settings(discord), "api_rate": "1000000/1m"}
                settings = {"plugins": {"dashboard": unlimited}, "ratelimit": {"web": "1000000/1m"}}
                async with run_app(
                    discord, self.data_dir, plugins=PLUGINS, settings=settings
                ) as app:
                    allow_login(discord, app.web.url)
                    self.ready.set_result((discord, app))
                    await self._stop.wait()
        except BaseException as exc:
            if not self.ready.done():
                self.ready.set_exception(exc)
            raise
        finally:
            self._closed.set()


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BotThread, LocalDiscord, App]]:
    thread = BotThread(tmp_path_factory.mktemp("schemathesis"))
    with thread as (discord, app):
        yield thread, discord, app


@pytest.fixture(scope="module")
def token(bot: tuple[BotThread, LocalDiscord, App]) -> str:
    thread, discord, app = bot
    tokens = app.plugins.services.get("dashboard.front").api.tokens
    alice = discord.guild.member("Alice")
    guilds = [{"id": str(discord.guild.id), "name": discord.guild.name, "permissions": "32"}]
    _, secret = thread.call(tokens.create(alice.id, "fuzz", frozenset(Scope), guilds))
    return str(secret)


@pytest.fixture(scope="module")
def api_schema(bot: tuple[BotThread, LocalDiscord, App]) -> Any:
    _, _, app = bot
    document = requests.get(app.web.url + "/api/v1/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    schema.config.base_url = app.web.url
    return schema


def test_the_api_keeps_to_its_description(api_schema: Any, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 3
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def keeps_to_it(case: Any) -> None:
            case.call_and_validate(headers=headers)

        keeps_to_it()
