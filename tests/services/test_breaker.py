"""The one circuit breaker of the core (cache and rate limiter): states, the single probe, and
the outage's start kept across failed probes."""

from __future__ import annotations

import json

from core.breaker import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_the_failures_and_lets_one_probe_through_after_the_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(2, 5.0, clock)
    assert not breaker.failure() and breaker.state is BreakerState.CLOSED and breaker.allow()
    assert breaker.failure() and breaker.state is BreakerState.OPEN and breaker.down_since == 1000.0
    assert not breaker.allow()
    clock.now += 5.0
    assert breaker.allow() and not breaker.allow()  # one probe only
    assert breaker.state is BreakerState.HALF_OPEN


def test_a_failed_probe_reopens_silently_and_keeps_the_outage_start() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 5.0, clock)
    assert breaker.failure()
    clock.now += 5.0
    assert breaker.allow()
    assert not breaker.failure()  # reported once, when it opened
    assert breaker.state is BreakerState.OPEN and breaker.down_since == 1000.0
    clock.now += 5.0
    assert breaker.allow()
    assert breaker.success() and breaker.state is BreakerState.CLOSED and breaker.down_since is None
    assert not breaker.success()  # closing is reported once


def test_the_states_read_as_the_health_data_and_status_have_always_shown_them() -> None:
    assert [str(s) for s in BreakerState] == ["closed", "open", "half_open"]
    assert json.dumps({"breaker": BreakerState.HALF_OPEN}) == '{"breaker": "half_open"}'
    assert f"breaker {BreakerState.OPEN}" == "breaker open"
