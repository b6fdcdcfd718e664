"""Opaque pagination cursors: base64 of a number (the last id shown, or an offset)."""

from __future__ import annotations

import base64
import binascii

from core.pages import WebError


def encode(number: int) -> str:
    return base64.urlsafe_b64encode(str(number).encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int | None:
    """The number of a cursor this API gave (``None`` for none); 400 for any other text."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.isdigit() or len(text) > 18:
        raise WebError(400, "cursor: not one this API gave (pass next_cursor as it came)")
    return int(text)
