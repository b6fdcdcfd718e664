"""The audit log's text cleaning: exactly what its definition says, for any text and limit."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from plugins.audit.records import truncate

REMOVED = ("Cc", "Cf", "Cs")


def by_definition(text: str, limit: int) -> str:
    """Every control, format and surrogate character out (newline and tab kept), then cut."""
    clean = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in REMOVED)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


@given(st.text(), st.integers(min_value=1, max_value=120))
def test_truncate_is_its_definition(text: str, limit: int) -> None:
    assert truncate(text, limit) == by_definition(text, limit)


def test_every_character_alone_and_in_text() -> None:
    """The printable fast path and the filter agree on every code point there is."""
    for point in range(0x110000):
        char = chr(point)
        for text in (char, f"ab{char}cd"):
            assert truncate(text, 4) == by_definition(text, 4)


def test_limits() -> None:
    assert truncate("x" * 100, 100) == "x" * 100
    assert truncate("x" * 101, 100) == "x" * 99 + "…"
    assert truncate("a\u200bb\x00c\nd\te", 100) == "abc\nd\te"
