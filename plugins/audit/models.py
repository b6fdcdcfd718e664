"""The audit plugin's tables: entries (hash-chained per guild), chain heads, sessions, searches.

Timestamps are integer microseconds since the Unix epoch (exact on every dialect, so hashes
recomputed from stored rows match); ``options`` and ``data`` hold the canonical JSON text that
was hashed.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    """One recorded event. ``hash`` = sha256 of the canonical JSON of the other columns
    (``id`` excluded), which include ``prev_hash``, the hash of the chain's previous entry."""

    id = fields.BigIntField(primary_key=True)
    chain = fields.CharField(max_length=32)
    seq = fields.BigIntField()
    ts = fields.BigIntField(db_index=True)
    category = fields.CharField(max_length=16)
    action = fields.CharField(max_length=100)
    user_id = fields.BigIntField(null=True, db_index=True)
    guild_id = fields.BigIntField(null=True, db_index=True)
    channel_id = fields.BigIntField(null=True)
    command = fields.CharField(max_length=100, null=True)
    options = fields.TextField()
    outcome = fields.CharField(max_length=16, null=True)
    latency_us = fields.BigIntField(null=True)
    error_id = fields.CharField(max_length=32, null=True)
    detail = fields.TextField()
    client_address = fields.CharField(max_length=64, null=True)
    owner_only = fields.BooleanField(default=False)
    target = fields.CharField(max_length=100, null=True)
    data = fields.TextField()
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "audit_entry"
        unique_together = (("chain", "seq"),)


class AuditChain(Model):
    """The head of one chain (``guild:<id>`` or ``global``) and its base after pruning.

    The first kept entry must have ``seq == base_seq + 1`` and ``prev_hash == base_hash``; the
    last one ``seq == head_seq`` and ``hash == head_hash``.
    """

    chain = fields.CharField(max_length=32, primary_key=True)
    head_seq = fields.BigIntField(default=0)
    head_hash = fields.CharField(max_length=64)
    base_seq = fields.BigIntField(default=0)
    base_hash = fields.CharField(max_length=64)

    class Meta:
        table = "audit_chain"


class AuditSession(Model):
    """A run of activity of one member in one guild (``guild_id`` null: direct messages)."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.BigIntField()
    guild_id = fields.BigIntField(null=True)
    started_ts = fields.BigIntField()
    ended_ts = fields.BigIntField(db_index=True)
    command_count = fields.IntField(default=0)

    class Meta:
        table = "audit_session"
        indexes = (("user_id", "guild_id", "ended_ts"),)


class AuditSearch(Model):
    """The filters of one ``/audit search``, so its page and export buttons survive restarts."""

    id = fields.BigIntField(primary_key=True)
    guild_id = fields.BigIntField()
    user_id = fields.BigIntField()
    filters = fields.TextField()
    created_ts = fields.BigIntField(db_index=True)

    class Meta:
        table = "audit_search"
