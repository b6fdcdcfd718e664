"""Fixtures of the audit plugin's tests: a fresh database holding only the audit tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.database import AppSpec, Database

AUDIT_APP = AppSpec("audit", ["plugins.audit.models"])


@pytest.fixture
async def audit_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A connected SQLite database with the audit tables created."""
    db = Database(f"sqlite://{tmp_path / 'audit.sqlite3'}", retries=0)
    await db.connect([AUDIT_APP])
    try:
        await db.context.generate_schemas()
        yield db
    finally:
        await db.close()
