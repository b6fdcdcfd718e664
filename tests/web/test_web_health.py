"""The core web server's health endpoints, bearer token, rate limit and plugin routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from core.app import App
from core.events import HealthResult
from core.hookspecs import hookimpl
from core.testing import FaultProxy
from core.testing.server import LocalDiscord
from tests.web.support import SecurityLog, backend_url, fresh_postgres, running_app


async def get(app: App, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(app.web.url + path, **kwargs) as r:
        return r.status, await r.json()


async def test_liveness_touches_nothing(local_discord: LocalDiscord, tmp_path: Path) -> None:
    async with running_app(local_discord, tmp_path, ()) as app:
        await app.db.close()
        status, body = await get(app, "/health")
    assert (status, body) == (200, {"status": "ok"})


async def test_ready_and_detailed_healthy(local_discord: LocalDiscord, tmp_path: Path) -> None:
    async with running_app(local_discord, tmp_path, ("metrics",)) as app:
        ready_status, ready = await get(app, "/health/ready")
        status, body = await get(app, "/health/detailed")
    assert ready_status == 200, ready
    assert set(ready["components"]) == {"gateway", "database"}
    assert status == 200, body
    components = body["components"]
    assert {"database", "cache", "gateway", "plugins", "ratelimit"} <= set(components)
    assert components["plugins"]["data"]["metrics"]["state"] == "loaded"
    assert components["gateway"]["data"]["guilds"] == 1
    assert "0" in components["gateway"]["data"]["shards"]
    assert all(c["duration_ms"] >= 0 for c in components.values())


async def test_not_ready_before_the_gateway_connects(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    async with running_app(local_discord, tmp_path, (), connect=False) as app:
        status, body = await get(app, "/health/ready")
    assert status == 503
    assert body["failing"] == ["gateway"]


async def test_sqlite_database_down(local_discord: LocalDiscord, tmp_path: Path) -> None:
    async with running_app(local_discord, tmp_path, ()) as app:
        await app.db.close()
        ready_status, ready = await get(app, "/health/ready")
        status, body = await get(app, "/health/detailed")
        alive, _ = await get(app, "/health")
    assert (ready_status, ready["failing"]) == (503, ["database"])
    assert (status, body["failing"]) == (503, ["database"])
    assert body["components"]["database"]["detail"] == "not connected"
    assert alive == 200


async def test_plugin_health_checks_are_reported(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    class Broken:
        @hookimpl
        async def dbsbm_health_check(self) -> Any:
            raise RuntimeError("feed unreachable")

    async with running_app(local_discord, tmp_path, ()) as app:
        app.pm.register(Broken(), name="feeds")
        status, body = await get(app, "/health/detailed")
    assert status == 503
    assert body["failing"] == ["feeds"]
    assert "feed unreachable" in body["components"]["feeds"]["detail"]


async def test_a_component_not_configured_does_not_fail_the_report(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    class Optional:
        @hookimpl
        async def dbsbm_health_check(self) -> HealthResult:
            return HealthResult("api", True, "not configured: set FEED_KEY", configured=False)

    async with running_app(local_discord, tmp_path, ()) as app:
        app.pm.register(Optional(), name="feeds")
        status, body = await get(app, "/health/detailed")
    assert (status, body["status"], body["failing"]) == (200, "ok", [])
    feed = body["components"]["feeds.api"]
    assert (feed["status"], feed["detail"]) == ("not_configured", "not configured: set FEED_KEY")


@pytest.mark.backend
async def test_postgres_down(local_discord: LocalDiscord, tmp_path: Path) -> None:
    async with fresh_postgres(backend_url("postgres")) as url:
        proxy = await FaultProxy.for_url(url).start()
        try:
            async with running_app(
                local_discord, tmp_path, (), database={"url": proxy.url(url)}
            ) as app:
                assert (await get(app, "/health/ready"))[0] == 200
                proxy.cut()
                ready_status, ready = await get(app, "/health/ready")
                status, body = await get(app, "/health/detailed")
                await proxy.restore()
                assert await app.db.recover()
                recovered, _ = await get(app, "/health/ready")
        finally:
            await proxy.close()
    assert (ready_status, ready["failing"]) == (503, ["database"])
    assert (status, body["failing"]) == (503, ["database"])
    assert body["components"]["database"]["data"]["dialect"] == "postgres"
    assert recovered == 200


@pytest.mark.backend
async def test_redis_down(local_discord: LocalDiscord, tmp_path: Path) -> None:
    url = backend_url("redis")
    proxy = await FaultProxy.for_url(url).start()
    redis = proxy.url(url)
    try:
        async with running_app(
            local_discord,
            tmp_path,
            (),
            cache={"backend": "redis", "redis_url": redis, "breaker_failures": 1},
            ratelimit={"backend": "redis", "redis_url": redis},
        ) as app:
            before, _ = await get(app, "/health/detailed")
            proxy.cut()
            status, body = await get(app, "/health/detailed")
            ready_status, _ = await get(app, "/health/ready")
    finally:
        await proxy.close()
    assert before == 200
    assert status == 503
    assert "cache" in body["failing"]
    cache = body["components"]["cache"]
    assert cache["data"]["breaker"] in ("open", "half_open")
    assert "Redis unreachable" in cache["detail"]
    assert ready_status == 200  # serving from memory: still ready


async def test_detailed_needs_the_token_beyond_loopback(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    log = SecurityLog()
    web_settings = {"host": "0.0.0.0", "token": "s3cret-token"}
    async with running_app(local_discord, tmp_path, (), web=web_settings) as app:
        app.pm.register(log, name="test.security")
        base = f"http://127.0.0.1:{app.web.port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/health/detailed") as r:
                missing = r.status
            bad = {"Authorization": "Bearer wrong"}
            async with http.get(base + "/health/detailed", headers=bad) as r:
                wrong = r.status
            good = {"Authorization": "Bearer s3cret-token"}
            async with http.get(base + "/health/detailed", headers=good) as r:
                right = r.status
            async with http.get(base + "/health") as r:
                alive = r.status
    assert (missing, wrong, right, alive) == (401, 401, 200, 200)
    assert [e.kind for e in log.events] == ["web_unauthorized", "web_unauthorized"]
    assert log.events[0].client_address == "127.0.0.1"


async def test_detailed_refused_beyond_loopback_without_a_token(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    async with running_app(local_discord, tmp_path, (), web={"host": "0.0.0.0"}) as app:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{app.web.port}/health/detailed"
            async with http.get(url) as r:
                status, body = r.status, await r.json()
    assert status == 403
    assert "[web] token" in body["detail"]


async def test_web_rate_limit_per_address(local_discord: LocalDiscord, tmp_path: Path) -> None:
    log = SecurityLog()
    async with running_app(
        local_discord, tmp_path, (), connect=False, ratelimit={"web": "2/60s"}
    ) as app:
        app.pm.register(log, name="test.security")
        async with aiohttp.ClientSession() as http:
            statuses = []
            for _ in range(3):
                async with http.get(app.web.url + "/health") as r:
                    statuses.append(r.status)
                    retry_after = r.headers.get("Retry-After")
        assert log.kinds() == ["web_rate_limited"]
    assert statuses == [200, 200, 429]
    assert retry_after is not None and int(retry_after) > 0
    assert log.kinds() == ["web_rate_limited", "web_rate_limit_ended"]  # closed at shutdown
    assert log.events[1].data["refused"] == 1


async def test_plugin_routes_come_and_go(local_discord: LocalDiscord, tmp_path: Path) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"hello": "world"})

    async with running_app(local_discord, tmp_path, (), connect=False) as app:
        remove = app.web.add_routes("greeter", [web.get("/greeter/hello", hello)])
        status, body = await get(app, "/greeter/hello")
        remove()
        async with aiohttp.ClientSession() as http:
            async with http.get(app.web.url + "/greeter/hello") as r:
                gone = r.status
        with pytest.raises(ValueError, match="served by the core"):
            app.web.add_routes("greeter", [web.get("/health/ready", hello)])
    assert (status, body) == (200, {"hello": "world"})
    assert gone == 404
