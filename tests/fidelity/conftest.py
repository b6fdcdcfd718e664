"""Fixtures of the fidelity suite: client libraries nobody here wrote, run unmodified against the
local Discord (``local_discord``, from the ``dbsbm`` pytest plugin, on loopback).

Beyond the plugin's own checks (a request that Discord's OpenAPI description rejects fails the
test), a call to a route the local Discord does not serve fails it too: a real client calling
one means the local Discord lacks something Discord has.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.testing.server import LocalDiscord


@pytest.fixture(autouse=True)
def every_route_served(local_discord: LocalDiscord) -> Iterator[None]:
    yield
    assert not local_discord.unknown_routes, "the client called routes the local Discord lacks"
