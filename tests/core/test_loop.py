"""core.loop: the bot's event loop is uvloop's (a dependency), and ``run`` returns the result."""

from __future__ import annotations

import asyncio

from core.loop import loop_factory, run


def test_run_uses_uvloop_and_returns_the_result() -> None:
    async def main() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert loop_factory() is not None
    assert run(main()).startswith("uvloop")
