"""An aiohttp client for WeatherAPI.com's ``current.json``, ``forecast.json`` and ``search.json``.

Errors become :class:`WeatherAPIError` subclasses. They are :class:`~core.recovery.UserError`\\ s:
the pipeline shows their message to the member as it is, ephemerally. WeatherAPI answers errors
with real HTTP statuses and ``{"error": {"code": N, "message": "..."}}``; we match on the code.
429, 5xx, code 9999, timeouts and refused connections are retried with backoff (honouring
``Retry-After``) before giving up.

The API key travels in the query string, so no URL of ours ever reaches a log or an exception
message: aiohttp's errors (which carry the URL) are replaced by ours.

Example::

    client = WeatherAPIClient(settings)
    body = await client.forecast("London", days=2)
    await client.close()
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from loguru import logger

from core.recovery import RetryableStatus, UserError, retrying
from core.validation import escape_markdown
from plugins.weather.settings import ENV_KEY, WeatherSettings

USER_AGENT = "dbsbm-weather"
UNKNOWN_LOCATION = 1006
INTERNAL_ERROR = 9999
KEY_CODES = {
    1002: "no API key was sent",
    2006: "the API key is invalid",
    2007: "the API key is over its monthly quota",
    2008: "the API key has been disabled",
    2009: "the API key's plan does not include this data",
}


class WeatherAPIError(UserError):
    """A WeatherAPI call failed; ``str()`` is the member-facing message."""

    healthy = True
    """Whether the service itself worked (an unknown place is the member's problem, not ours)."""


class MissingKey(WeatherAPIError):
    healthy = False

    def __init__(self) -> None:
        super().__init__(
            "The weather service is not set up yet: a bot admin needs to set a WeatherAPI.com "
            f"API key (`{ENV_KEY}` in the bot's environment or .env, or `api_key` under "
            "`[plugins.weather]`), then reload the plugin."
        )


class UnknownLocation(WeatherAPIError):
    def __init__(self, query: str) -> None:
        shown = escape_markdown(query)
        super().__init__(
            f"WeatherAPI.com knows no place called “{shown}”. Check the spelling, add the "
            "country (`Paris, France`) or pick one of the suggestions as you type."
        )


class KeyRejected(WeatherAPIError):
    healthy = False

    def __init__(self, status: int, code: int | None) -> None:
        reason = KEY_CODES.get(code or 0, f"it answered HTTP {status}")
        super().__init__(
            f"The weather service refused the bot's API key ({reason}). Weather is unavailable "
            "until a bot admin checks the WeatherAPI.com key and plan."
        )
        self.status = status
        self.code = code


class ServiceUnavailable(WeatherAPIError):
    """The service answered with a server error or not at all (``detail`` says which)."""

    healthy = False
    problem = "is busy or down right now"

    def __init__(self, detail: str) -> None:
        super().__init__(f"The weather service {self.problem}. Please try again in a minute.")
        self.detail = detail


class ServiceTimeout(ServiceUnavailable):
    """No answer within the configured timeout."""

    problem = "did not answer in time"

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer in {seconds:g} s")
        self.seconds = seconds


class BadRequest(WeatherAPIError):
    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(
            f"The weather service could not answer that request (code {code}: "
            f"{escape_markdown(message)}). Try a different place or time."
        )
        self.code = code


def _error_of(body: Any) -> tuple[int | None, str]:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, ""
    code = error.get("code")
    return (code if isinstance(code, int) else None), str(error.get("message", ""))


class WeatherAPIClient:
    """Calls WeatherAPI.com. Without a ``session`` the client opens its own on the first request
    (so building one costs nothing) and :meth:`close` closes it. ``on_result(ok, detail)`` is
    told after every call whether the service worked (for the health check); ``sleep`` is the
    backoff's sleep (tests speed it up)."""

    def __init__(
        self,
        settings: WeatherSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        on_result: Callable[[bool, str], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._session = session
        self._own_session: aiohttp.ClientSession | None = None
        self._on_result = on_result
        self._sleep = sleep

    def _http(self) -> aiohttp.ClientSession:
        if self._session is not None:
            return self._session
        if self._own_session is None or self._own_session.closed:
            self._own_session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        return self._own_session

    async def close(self) -> None:
        """Close the session the client opened itself (a given session is the caller's)."""
        if self._own_session is not None:
            await self._own_session.close()
            self._own_session = None

    @property
    def configured(self) -> bool:
        return self._settings.key is not None

    async def current(self, q: str) -> dict[str, Any]:
        """``current.json``: the weather now at ``q``."""
        return await self._get("current.json", q, {"aqi": "no"})

    async def forecast(self, q: str, days: int) -> dict[str, Any]:
        """``forecast.json``: ``days`` days of hourly forecast (day 1 = the place's today)."""
        return await self._get("forecast.json", q, {"days": str(days), "aqi": "no", "alerts": "no"})

    async def search(self, q: str) -> list[dict[str, Any]]:
        """``search.json``: places matching ``q`` (``id``, ``name``, ``region``, ``country``...)."""
        body = await self._get("search.json", q, {})
        return body if isinstance(body, list) else []

    async def _get(self, endpoint: str, q: str, params: dict[str, str]) -> Any:
        key = self._settings.key
        if key is None:
            self._report(False, "no API key configured")
            raise MissingKey()
        url = f"{self._settings.base_url}/{endpoint}"
        query = {"key": key, "q": q, **params}
        timeout = aiohttp.ClientTimeout(total=self._settings.timeout)
        started = time.perf_counter()
        try:
            async for attempt in retrying(
                attempts=self._settings.attempts,
                base_delay=self._settings.retry_base_delay,
                max_delay=self._settings.retry_max_delay,
                what=f"weatherapi {endpoint}",
                sleep=self._sleep,
            ):
                async with attempt:
                    return await self._once(url, query, timeout, q)
        except WeatherAPIError as exc:
            self._report(exc.healthy, f"{endpoint}: {type(exc).__name__}")
            raise
        except RetryableStatus as exc:
            self._report(False, f"{endpoint}: HTTP {exc.status}")
            logger.warning("weatherapi {} gave up after retries: HTTP {}", endpoint, exc.status)
            raise ServiceUnavailable(f"HTTP {exc.status}") from None
        except TimeoutError:
            self._report(False, f"{endpoint}: timeout")
            logger.warning(
                "weatherapi {} timed out ({}s) after retries", endpoint, self._settings.timeout
            )
            raise ServiceTimeout(self._settings.timeout) from None
        except aiohttp.ClientError as exc:
            self._report(False, f"{endpoint}: {type(exc).__name__}")
            logger.warning("weatherapi {} unreachable: {}", endpoint, type(exc).__name__)
            raise ServiceUnavailable(type(exc).__name__) from None
        finally:
            logger.debug(
                "weatherapi {} took {:.0f} ms", endpoint, (time.perf_counter() - started) * 1000
            )
        raise AssertionError("retrying() ended without a result or an error")  # pragma: no cover

    async def _once(
        self, url: str, query: dict[str, str], limits: aiohttp.ClientTimeout, q: str
    ) -> Any:
        try:
            async with self._http().get(url, params=query, timeout=limits) as resp:
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
        # aiohttp's errors name the URL, key included: re-raise them without it.
        except TimeoutError:
            raise TimeoutError() from None
        except aiohttp.ClientError as exc:
            raise aiohttp.ClientConnectionError(type(exc).__name__) from None
        code, message = _error_of(body)
        if status == 429 or status >= 500 or code == INTERNAL_ERROR:
            raise RetryableStatus(status, retry_after, f"code {code}" if code else "")
        if status in (401, 403) or code in KEY_CODES:
            logger.warning("weatherapi refused the key: HTTP {} code {}", status, code)
            raise KeyRejected(status, code)
        if code == UNKNOWN_LOCATION:
            raise UnknownLocation(q)
        if status >= 400 or code is not None or body is None:
            raise BadRequest(code, message or f"HTTP {status}")
        self._report(True, "ok")
        return body

    def _report(self, ok: bool, detail: str) -> None:
        if self._on_result is not None:
            self._on_result(ok, detail)
