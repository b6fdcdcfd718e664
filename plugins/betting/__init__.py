"""Betting: picks, parlays, grading, records, leaderboards, game schedules."""

from core.plugin import Plugin

plugin = Plugin(
    name="betting",
    version="0.1.0",
    description="Picks, parlays, grading, records, leaderboards and game schedules.",
)
