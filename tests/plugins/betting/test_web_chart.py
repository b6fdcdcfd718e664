"""The capper profile's units chart (inline SVG) and the thinning of a long series."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from itertools import pairwise

from plugins.betting.web.chart import units_svg
from plugins.betting.web.models import SeriesPoint
from plugins.betting.web.reads import thinned


def test_a_long_series_keeps_its_ends_and_spacing() -> None:
    points = list(range(1000))
    kept = thinned(points, 250)
    assert len(kept) == 250 and kept[0] == 0 and kept[-1] == 999
    assert kept == sorted(set(kept))
    assert max(b - a for a, b in pairwise(kept)) <= 5
    assert thinned(points[:7], 250) == points[:7]


def test_the_chart_draws_every_point_and_escapes_the_name() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    series = [
        SeriesPoint(at=start + timedelta(days=i), units=D(units))
        for i, units in enumerate(["1.00", "-2.50", "0.75"])
    ]
    svg = str(units_svg(series, "<b>Bob</b>"))
    assert svg.startswith('<svg class="chart"') and 'role="img"' in svg
    assert "&lt;b&gt;Bob&lt;/b&gt;: cumulative units" in svg and "<b>" not in svg
    polyline = re.search(r'<polyline points="([^"]+)"', svg)
    assert polyline is not None and len(polyline.group(1).split()) == 4  # zero, then each pick
    assert "+1.00u" in svg and "-2.50u" in svg  # highest and lowest
    assert "2026-01-01" in svg and "2026-01-03" in svg
    assert "3 graded picks from 2026-01-01 to 2026-01-03, ending at +0.75 units" in svg
