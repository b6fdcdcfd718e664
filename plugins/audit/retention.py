"""Pruning: entries older than the retention age go; each chain's base moves past them."""

from __future__ import annotations

import asyncio
import time

from loguru import logger
from tortoise.transactions import in_transaction

from plugins.audit.chain import chains
from plugins.audit.models import AuditChain, AuditEntry, AuditSearch, AuditSession
from plugins.audit.records import to_micros

DAY = 86_400.0
SEARCH_LIFETIME = DAY


async def prune(cutoff_us: int) -> int:
    """Delete entries older than ``cutoff_us`` (by chain position: everything up to the last
    old entry), with old sessions and saved searches; return how many entries went."""
    removed = 0
    for name in await chains():
        async with in_transaction() as conn:
            last = (
                await AuditEntry.filter(chain=name, ts__lt=cutoff_us)
                .using_db(conn)
                .order_by("-seq")
                .first()
            )
            head = await AuditChain.filter(chain=name).using_db(conn).first()
            if last is None or head is None:
                continue
            removed += (
                await AuditEntry.filter(chain=name, seq__lte=last.seq).using_db(conn).delete()
            )
            head.base_seq, head.base_hash = last.seq, last.hash
            await head.save(using_db=conn, update_fields=["base_seq", "base_hash"])
    await AuditSession.filter(ended_ts__lt=cutoff_us).delete()
    await AuditSearch.filter(created_ts__lt=to_micros(time.time() - SEARCH_LIFETIME)).delete()
    return removed


async def prune_daily(retention_days: int) -> None:
    """The background task: prune once at start, then every day (``0`` days keeps every entry)."""
    while True:
        cutoff = to_micros(time.time() - retention_days * DAY) if retention_days else 0
        try:
            removed = await prune(cutoff)
            if removed:
                logger.info("audit: pruned {} entries older than {} days", removed, retention_days)
        except Exception:
            logger.opt(exception=True).warning("audit: pruning failed; trying again tomorrow")
        await asyncio.sleep(DAY)
