"""Fixtures of the tests in this folder (defined in audit_support.py)."""

from audit_support import audit_db, audit_world, audit_world_at  # noqa: F401
