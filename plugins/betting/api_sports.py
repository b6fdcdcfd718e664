"""API-Sports (API-Football v3) as a schedule source: a real aiohttp client.

API-Sports answers most errors inside HTTP 200: ``errors`` is an object (``token``, ``plan``,
``requests`` for the daily quota, ``rateLimit`` for the per-minute limit, or a parameter name)
instead of ``[]``. The per-minute limit and HTTP 429/5xx are retried with backoff
(:func:`core.recovery.retrying`); everything else raises :class:`ApiSportsError`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import aiohttp

from core.recovery import RetryableStatus, Sleep, retrying
from plugins.betting.games import GameStatus, GameUpdate
from plugins.betting.settings import ApiSportsSettings, FollowedLeague

SOURCE = "api-sports"
MAX_PAGES = 20

_STATUS = {
    **dict.fromkeys(("TBD", "NS"), GameStatus.SCHEDULED),
    **dict.fromkeys(("1H", "HT", "2H", "ET", "BT", "P", "SUSP", "INT", "LIVE"), GameStatus.LIVE),
    **dict.fromkeys(("FT", "AET", "PEN", "AOT"), GameStatus.FINAL),
    "PST": GameStatus.POSTPONED,
    **dict.fromkeys(("CANC", "ABD", "AWD", "WO"), GameStatus.CANCELLED),
}


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


def game_status(status: dict[str, Any]) -> GameStatus:
    """Our status from API-Sports' ``status`` object (``short`` may be null: read ``long``)."""
    short = status.get("short")
    if short in _STATUS:
        return _STATUS[short]
    long = str(status.get("long") or "")
    if long.startswith("Final"):
        return GameStatus.FINAL
    return GameStatus.SCHEDULED if short is None else GameStatus.LIVE


def parse_fixture(item: dict[str, Any], league: str) -> GameUpdate:
    """One ``response`` entry of ``GET /fixtures`` as a :class:`GameUpdate`.

    The score is ``goals`` (after extra time, without a penalty shoot-out).
    """
    fixture, teams, goals = item["fixture"], item["teams"], item.get("goals") or {}
    stamp = fixture.get("timestamp")
    starts = (
        datetime.fromtimestamp(stamp, UTC)
        if stamp is not None
        else datetime.fromisoformat(fixture["date"]).astimezone(UTC)
    )
    status = game_status(fixture.get("status") or {})
    final = status is GameStatus.FINAL
    return GameUpdate(
        source=SOURCE,
        external_id=str(fixture["id"]),
        league=league,
        home=teams["home"]["name"],
        away=teams["away"]["name"],
        starts_at=starts,
        status=status,
        home_score=goals.get("home") if final else None,
        away_score=goals.get("away") if final else None,
    )


class ApiSportsClient:
    """``GET /fixtures`` for the followed leagues, with retries on 429, 5xx and ``rateLimit``."""

    name = SOURCE

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: ApiSportsSettings,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if settings.key is None:
            raise ValueError("API-Sports needs a key ([plugins.betting.api_sports] key)")
        self.session = session
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self._sleep = sleep

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        assert self.settings.key is not None
        headers = {"x-apisports-key": self.settings.key.get_secret_value()}
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout)
        body: dict[str, Any] = {}
        async for attempt in retrying(
            attempts=self.settings.retry_attempts,
            what=f"API-Sports {path}",
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

    async def fixtures(self, follow: FollowedLeague) -> list[GameUpdate]:
        """Every fixture of one followed league (or team) and season, all pages."""
        params = {"season": str(follow.season)}
        if follow.league is not None:
            params["league"] = str(follow.league)
        if follow.team is not None:
            params["team"] = str(follow.team)
        updates: list[GameUpdate] = []
        page = 1
        while True:
            body = await self._get("/fixtures", params | ({"page": str(page)} if page > 1 else {}))
            updates.extend(parse_fixture(item, follow.name) for item in body.get("response", []))
            paging = body.get("paging") or {}
            if page >= int(paging.get("total") or 1) or page >= MAX_PAGES:
                return updates
            page += 1

    async def fetch(self) -> list[GameUpdate]:
        """Every followed league's fixtures (a :class:`~plugins.betting.games.ScheduleSource`)."""
        updates: list[GameUpdate] = []
        for follow in self.settings.follow:
            updates.extend(await self.fixtures(follow))
        return updates
