"""Helpers of the metrics plugin's tests: scraping and parsing ``/metrics``."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from core.app import App

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
