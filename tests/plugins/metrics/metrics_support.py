"""Helpers of the metrics plugin's tests: scraping ``/metrics`` and waiting for events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from core.app import App
from core.events import CommandEvent
from core.hookspecs import hookimpl

METRICS_PLUGINS = Path(__file__).parent / "metrics_plugins"


class Scrape:
    """One parsed scrape of ``/metrics``."""

    def __init__(self, text: str) -> None:
        self.families = {f.name: f for f in text_string_to_metric_families(text)}
        self.samples: list[Sample] = [s for f in self.families.values() for s in f.samples]

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples called ``name`` whose labels include ``labels`` (0 if none)."""
        return sum(
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )


async def scrape(app: App, path: str = "/metrics") -> Scrape:
    async with aiohttp.ClientSession() as http, http.get(app.web.url + path) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return Scrape(await response.text())


class Completions:
    """Waits for the pipeline's events; runs last, so metrics have seen the event already."""

    def __init__(self) -> None:
        self.events: list[CommandEvent] = []
        self._changed = asyncio.Condition()

    async def _add(self, event: CommandEvent) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    @hookimpl(trylast=True)
    async def dbsbm_command_completed(self, event: CommandEvent) -> None:
        await self._add(event)

    @hookimpl(trylast=True)
    async def dbsbm_command_failed(self, event: CommandEvent) -> None:
        await self._add(event)

    async def wait(self, match: Callable[[CommandEvent], bool], within: float = 2.0) -> Any:
        async def find() -> CommandEvent:
            async with self._changed:
                while True:
                    for event in self.events:
                        if match(event):
                            return event
                    await self._changed.wait()

        return await asyncio.wait_for(find(), within)
