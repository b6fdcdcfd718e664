"""Fixtures of the tests in this folder (defined in audit_support.py; ``discord`` for the
dashboard's pages in tests/fixtures/dashboard_site.py)."""

from audit_support import audit_db, audit_world, audit_world_at  # noqa: F401
from dashboard_site import discord  # noqa: F401
