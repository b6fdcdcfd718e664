"""The test harness's settings: ``plugins=[...]`` alone decides what loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.testing import LocalDiscord
from core.testing.harness import test_settings as harness_settings


async def test_enabled_beside_plugins_is_refused_with_what_to_do(tmp_path: Path) -> None:
    async with LocalDiscord() as discord:
        with pytest.raises(ValueError, match=r"sets 'enabled' for quotes, but plugins=\[\.\.\.\]"):
            harness_settings(
                discord,
                tmp_path,
                plugins=["quotes"],
                available=["quotes", "betting"],
                settings={"plugins": {"quotes": {"enabled": True, "max_length": 40}}},
            )
        made = harness_settings(
            discord,
            tmp_path,
            plugins=["quotes"],
            available=["quotes", "betting"],
            settings={"plugins": {"quotes": {"max_length": 40}}},
        )
    assert made.plugin_enabled("quotes", default=False)
    assert not made.plugin_enabled("betting", default=True)
    assert made.plugin_section("quotes") == {"max_length": 40}
