"""API-Sports as a schedule source: a real aiohttp client, one per followed sport.

Each sport is its own API (base URL, quota, format: see :mod:`plugins.betting.api_sports_games`).
API-Sports answers most errors inside HTTP 200: ``errors`` is an object (``token``, ``plan``,
``requests`` for the daily quota, ``rateLimit`` for the per-minute limit, or a parameter name)
instead of ``[]``. The per-minute limit and HTTP 429/5xx are retried with backoff
(:func:`core.recovery.retrying`); everything else raises :class:`ApiSportsError`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from loguru import logger

from core.recovery import RetryableStatus, Sleep, retrying
from plugins.betting.api_sports_games import FORMATS, SOURCE
from plugins.betting.games import GameUpdate
from plugins.betting.settings import ApiSportsSettings, FollowedLeague, Sport

MAX_PAGES = 20


class ApiSportsError(Exception):
    """API-Sports refused a request; ``errors`` is its ``errors`` object."""

    def __init__(self, errors: dict[str, Any]):
        self.errors = errors
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
        super().__init__(f"API-Sports refused the request: {detail}")

    @property
    def quota_exhausted(self) -> bool:
        """The daily request quota is used up: wait for tomorrow, not for a backoff."""
        return "requests" in self.errors


class ApiSportsClient:
    """One sport's API: its games for the followed leagues of that sport, with retries on 429,
    5xx and ``rateLimit``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: ApiSportsSettings,
        sport: Sport = Sport.FOOTBALL,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if settings.key is None:
            raise ValueError("API-Sports needs a key ([plugins.betting.api_sports] key)")
        self.session = session
        self.settings = settings
        self.sport = sport
        self.name = f"{SOURCE} {sport.value}"
        self.format = FORMATS[sport]
        self.base_url = settings.base_urls[sport].rstrip("/")
        self._sleep = sleep

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        assert self.settings.key is not None  # nosec B101 # built only with a key
        headers = {"x-apisports-key": self.settings.key.get_secret_value()}
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout)
        body: dict[str, Any] = {}
        async for attempt in retrying(
            attempts=self.settings.retry_attempts,
            what=f"API-Sports {self.sport.value} {path}",
            sleep=self._sleep,
        ):
            async with attempt:
                async with self.session.get(
                    f"{self.base_url}{path}", params=params, headers=headers, timeout=timeout
                ) as resp:
                    if resp.status == 429 or resp.status >= 500:
                        raise RetryableStatus(resp.status, resp.headers.get("Retry-After"))
                    resp.raise_for_status()
                    body = await resp.json(content_type=None)
                errors = body.get("errors")
                if isinstance(errors, dict) and errors:
                    if "rateLimit" in errors:
                        raise RetryableStatus(429, None, str(errors["rateLimit"]))
                    raise ApiSportsError(errors)
        return body

    async def games(self, follow: FollowedLeague) -> list[GameUpdate]:
        """Every game of one followed league (or team) and season, all pages (only football's
        API pages its answers)."""
        params = {"season": str(follow.season)}
        if follow.league is not None:
            params["league"] = str(follow.league)
        if follow.team is not None:
            params["team"] = str(follow.team)
        updates: list[GameUpdate] = []
        page = 1
        while True:
            body = await self._get(
                self.format.path, params | ({"page": str(page)} if page > 1 else {})
            )
            updates.extend(self._parsed(body.get("response") or [], follow.name))
            paging = body.get("paging") or {}
            if page >= int(paging.get("total") or 1) or page >= MAX_PAGES:
                return updates
            page += 1

    def _parsed(self, items: list[Any], league: str) -> list[GameUpdate]:
        """The entries read; one the format does not fit is logged and skipped (the others
        still sync)."""
        updates: list[GameUpdate] = []
        for item in items:
            try:
                updates.append(self.format.parse(item, league))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                logger.warning("{}: skipped an entry of {}: {!r}", self.name, league, exc)
        return updates

    async def fetch(self) -> list[GameUpdate]:
        """The games of every followed league of this sport (a
        :class:`~plugins.betting.games.ScheduleSource`)."""
        updates: list[GameUpdate] = []
        for follow in self.settings.follow:
            if follow.sport is self.sport:
                updates.extend(await self.games(follow))
        return updates
