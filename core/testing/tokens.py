"""Bot tokens shaped like Discord's: ``<base64 user id>.<base64 timestamp>.<HMAC>``.

Client libraries read the bot's id out of the first part (hikari does, before it connects), so
the local Discord issues tokens of that shape and accepts only the one it issued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

#: Discord's token epoch (2011-01-01), from which the timestamp part counts seconds.
TOKEN_EPOCH = 1293840000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def bot_token(user_id: int, *, key: bytes | None = None, issued_at: float | None = None) -> str:
    """A token for the bot ``user_id``: its id in base64, the issue time in base64 (4 bytes of
    seconds since :data:`TOKEN_EPOCH`) and a 27-character HMAC-SHA1 of both under ``key``
    (random when not given)."""
    seconds = int(time.time() if issued_at is None else issued_at) - TOKEN_EPOCH
    head = f"{_b64(str(user_id).encode())}.{_b64(seconds.to_bytes(4, 'big'))}"
    mac = hmac.new(key or secrets.token_bytes(32), head.encode(), hashlib.sha1).digest()
    return f"{head}.{_b64(mac)}"
