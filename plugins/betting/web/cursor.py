"""Opaque pagination cursors: base64 of a number (the last id shown, or an offset)."""

from __future__ import annotations

import base64
import binascii
from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from core.pages import WebError

M = TypeVar("M", bound=Model)

LARGEST = 2**31 - 1
"""The largest number a cursor holds (ids of picks and games are 32-bit)."""


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
    if not text.isdigit() or len(text) > 10 or int(text) > LARGEST:
        raise WebError(400, "cursor: not one this API gave (pass next_cursor as it came)")
    return int(text)


async def newest(query: QuerySet[M], after: str | None, limit: int) -> tuple[list[M], str | None]:
    """One page of ``query``'s rows, highest id first, below the id of the cursor ``after``;
    and the cursor of the next page (``None`` on the last)."""
    last = decode(after)
    if last is not None:
        query = query.filter(id__lt=last)
    found = await query.order_by("-id").limit(limit + 1)
    shown = found[:limit]
    return shown, encode(shown[-1].pk) if len(found) > limit else None
