"""core.loop: the bot's event loop is uvloop's (a dependency), the collector runs with the bot's
thresholds, and ``run`` returns the result."""

from __future__ import annotations

import asyncio
import gc

from core.loop import GC_THRESHOLDS, loop_factory, run


def test_run_uses_uvloop_and_the_bots_collector_thresholds_and_returns_the_result() -> None:
    async def main() -> tuple[str, tuple[int, int, int]]:
        return type(asyncio.get_running_loop()).__module__, gc.get_threshold()

    before = gc.get_threshold()
    assert loop_factory() is not None
    try:
        module, thresholds = run(main())
    finally:
        gc.set_threshold(*before)
    assert module.startswith("uvloop")
    assert thresholds == GC_THRESHOLDS != (700, 10, 10)
