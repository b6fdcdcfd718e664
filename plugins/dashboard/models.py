"""The dashboard's tables: browser sessions and personal API tokens (both stored hashed)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class WebSession(Model):
    """One browser login. The cookie holds a random key; only its SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    user_id = fields.BigIntField(db_index=True)
    username = fields.CharField(max_length=64)
    guilds: Any = fields.JSONField(default=list)
    """The user's guilds as Discord lists them (``/users/@me/guilds``): id, name, permissions,
    owner; read again with ``oauth_token`` when older than ``GUILDS_TTL``."""
    guilds_at = fields.DatetimeField()
    oauth_token = fields.CharField(max_length=200)
    """The user's Discord bearer token (scopes identify and guilds), never sent to the browser."""
    csrf = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    address = fields.CharField(max_length=64, null=True)
    agent = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "dashboard_session"


class ApiToken(Model):
    """A member's personal token for ``/api/v1``; only its SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user_id = fields.BigIntField(db_index=True)
    name = fields.CharField(max_length=64)
    scopes = fields.CharField(max_length=32)
    """Space-separated: ``read``, ``manage``."""
    guilds: Any = fields.JSONField(default=list)
    """The owner's guilds when the token was made; the owner's newest login's list wins while
    one is live (it is kept fresh from Discord)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "dashboard_api_token"
