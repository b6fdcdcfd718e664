"""The cumulative-units chart of ``/stats`` as PNG bytes (matplotlib, Agg backend)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")

from matplotlib import dates
from matplotlib.figure import Figure


def cumulative_units_png(series: Sequence[tuple[str, str]], title: str) -> bytes:
    """A line chart of cumulative units over time; ``series`` is ``(ISO time, units)`` pairs.

    Uses a :class:`~matplotlib.figure.Figure` directly (no pyplot global state), so charts can
    be drawn from any thread.
    """
    times = [dates.date2num(datetime.fromisoformat(t)) for t, _ in series]
    values = [float(u) for _, u in series]  # float only for drawing
    figure = Figure(figsize=(6, 3), dpi=100)
    axes = figure.subplots()
    axes.plot(times, values, marker="o", markersize=3, linewidth=1.5, color="#2e86de")
    axes.xaxis_date()
    axes.axhline(0, color="#888888", linewidth=0.8)
    axes.set_title(title)
    axes.set_ylabel("units")
    axes.grid(True, alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
