"""The capper profile's units-over-time chart as inline SVG, drawn on the server (no JavaScript).

The points are the capper's cumulative units after each graded pick (the ``series`` of a
:class:`~plugins.betting.records.Record`); the chart has a title and a description for screen
readers, a zero line, and its lowest and highest units and first and last dates as labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from plugins.betting.web.models import SeriesPoint

WIDTH, HEIGHT = 600, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 28
"""Room for the labels around the plot."""


def units_svg(series: Sequence[SeriesPoint], name: str) -> Markup:
    """The chart of ``series`` (at least one point) for the capper ``name``."""
    values = [Decimal(0), *(p.units for p in series)]
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    steps = max(len(values) - 1, 1)

    def x(i: int) -> float:
        return LEFT + plot_w * i / steps

    def y(value: Decimal) -> float:
        return TOP + plot_h * float((high - value) / span)

    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    first, last = series[0].at, series[-1].at
    summary = (
        f"{len(series)} graded picks from {first:%Y-%m-%d} to {last:%Y-%m-%d}, "
        f"ending at {series[-1].units:+.2f} units (lowest {low:+.2f}, highest {high:+.2f})."
    )
    zero = y(Decimal(0))
    bottom = HEIGHT - BOTTOM
    return Markup(  # nosec B704 # the texts are escaped, the rest are numbers and dates
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">{escape(name)}: cumulative units</title>'
        f'<desc id="chart-desc">{escape(summary)}</desc>'
        f'<line x1="{LEFT}" y1="{zero:.1f}" x2="{WIDTH - RIGHT}" y2="{zero:.1f}" '
        f'stroke="currentColor" stroke-opacity="0.4" stroke-dasharray="4 4"/>'
        f'<polyline points="{points}" fill="none" stroke="#2e86de" stroke-width="2"/>'
        f'<g fill="currentColor" font-size="12">'
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end">{high:+.2f}u</text>'
        f'<text x="{LEFT - 6}" y="{bottom}" text-anchor="end">{low:+.2f}u</text>'
        f'<text x="{LEFT}" y="{HEIGHT - 8}">{first:%Y-%m-%d}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end">{last:%Y-%m-%d}</text>'
        f"</g></svg>"
    )
