"""The event loop the bot runs on: uvloop when installed (a dependency), else asyncio's own; and
the garbage collector's thresholds for a long-running bot.

uvloop's loop does the same work with less CPU per socket read, write and timer than the
default selector loop, which is most of what a bot's process does between handlers.

Python's default collector thresholds (700, 10, 10) start a young collection every 700 new
container objects, about every third interaction, and a full one (every object the process holds:
75 ms with the deployed plugins and 10,000 members) every few seconds under load. With
:data:`GC_THRESHOLDS` most of an interaction's objects are freed by their reference counts before
any collection looks at them: in ``benchmarks/betting.py`` at 200 picks/s the collector's CPU fell
from 0.27 s to 0.06 s per 3,000 picks, and no full collection ran in the window.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

GC_THRESHOLDS = (10_000, 20, 20)
"""New container objects before a young collection; young collections before a middle one;
middle ones before a full one (which Python also holds back until a quarter of the long-lived
objects are new)."""


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's ``new_event_loop``, or ``None`` (asyncio's default) without uvloop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the bot's event loop, with :data:`GC_THRESHOLDS` (see the module
    docstring)."""
    gc.set_threshold(*GC_THRESHOLDS)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
