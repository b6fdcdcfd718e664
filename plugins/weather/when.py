"""The ``when`` option of ``/weather``: a day and an hour on the place's own clock.

Accepted (case-insensitive): ``now``; a day — ``today``, ``tomorrow``, a weekday (``sat``,
``saturday``) or a date ``2025-05-01`` — and/or an hour — ``18``, ``18:00``, ``6pm``, ``6:30 pm``,
``noon``. A day without an hour means noon; an hour without a day means today. Minutes are
dropped (forecasts are hourly).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.validation import ValidationError

FIELD = "when"
HELP = "use now, today 18:00, tomorrow 9pm, saturday 15:00 or 2025-05-01 18:00"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NOON = 12

_HOUR = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$")


@dataclass(frozen=True, slots=True)
class When:
    """A parsed ``when``: ``day`` is ``None`` (now), an offset from the place's today (``int``),
    a ``date``, or a weekday name; ``hour`` is 0..23 local time."""

    day: int | date | str | None
    hour: int = NOON

    @property
    def is_now(self) -> bool:
        return self.day is None

    def days_needed(self, today: date, max_days: int) -> int:
        """How many forecast days to ask WeatherAPI for (``today`` is the UTC date; one day of
        margin covers places whose today is already tomorrow or still yesterday)."""
        if isinstance(self.day, int):
            return min(max_days, self.day + 1)
        if isinstance(self.day, date):
            return max(1, min(max_days, (self.day - today).days + 2))
        return max_days

    def key(self) -> str:
        """A stable text form for cache keys."""
        day = self.day.isoformat() if isinstance(self.day, date) else self.day
        return f"{day}@{self.hour:02d}"

    def label(self) -> str:
        if self.day is None:
            return "now"
        if isinstance(self.day, int):
            day = ("today", "tomorrow")[self.day]
        elif isinstance(self.day, date):
            day = self.day.isoformat()
        else:
            day = self.day.capitalize()
        return f"{day} {self.hour:02d}:00"


def _hour(text: str) -> int | None:
    if text == "noon":
        return NOON
    if text == "midnight":
        return 0
    match = _HOUR.match(text)
    if match is None:
        return None
    hour, minute, ampm = int(match["h"]), int(match["m"] or 0), match["ampm"]
    if minute > 59:
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        return hour % 12 + (12 if ampm == "pm" else 0)
    return hour if hour <= 23 else None


def _day(text: str, today: date) -> int | date | str | None:
    if text == "today":
        return 0
    if text == "tomorrow":
        return 1
    for name in WEEKDAYS:
        if len(text) >= 3 and name.startswith(text):
            return name
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    if day < today - timedelta(days=1):
        raise ValidationError(FIELD, "that date is in the past; forecasts look ahead", text)
    return day


def parse_when(text: str | None, today: date, max_days: int) -> When:
    """Parse the member's ``when``; ``today`` is the UTC date. Raises :class:`ValidationError`
    naming the accepted forms, or the forecast range when the day is too far ahead."""
    raw = " ".join((text or "").lower().split())
    if raw in ("", "now"):
        return When(None)
    words = raw.split(" ", 1)
    day = _day(words[0], today)
    if day is None:
        hour = _hour(raw)
        if hour is None:
            raise ValidationError(FIELD, HELP, text)
        return When(0, hour)
    hour = _hour(words[1]) if len(words) > 1 else NOON
    if hour is None:
        raise ValidationError(FIELD, HELP, text)
    if isinstance(day, date) and (day - today).days >= max_days:
        last = today + timedelta(days=max_days - 1)
        raise ValidationError(
            FIELD, f"the forecast reaches {max_days} days ahead, up to {last.isoformat()}", text
        )
    if isinstance(day, int) and day >= max_days:
        raise ValidationError(FIELD, f"the forecast reaches only {max_days} day(s) ahead", text)
    return When(day, hour)


def weekday_number(name: str) -> int:
    return WEEKDAYS.index(name)
