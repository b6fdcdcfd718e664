"""The ``[plugins.audit]`` settings (documented in config.toml and docs/plugins/audit.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AuditSettings(BaseModel):
    """How the audit log queues, groups, keeps and shows its entries."""

    model_config = ConfigDict(extra="forbid")

    queue_size: int = Field(default=10_000, ge=10, le=1_000_000)
    """Entries waiting to be written; beyond this they are dropped and counted."""
    batch_size: int = Field(default=500, ge=1, le=10_000)
    """Entries written per transaction."""
    flush_interval: float = Field(default=1.0, gt=0, le=60)
    """Seconds between background writes while entries wait."""
    retry_delay: float = Field(default=0.5, gt=0, le=60)
    """First wait after a failed write (database down); doubles up to ``max_retry_delay``."""
    max_retry_delay: float = Field(default=30.0, gt=0, le=600)
    session_gap: float = Field(default=1800.0, gt=0)
    """Seconds of inactivity after which a member's next command starts a new session."""
    retention_days: int = Field(default=365, ge=0)
    """Entries older than this are pruned daily; 0 keeps everything."""
    text_limit: int = Field(default=200, ge=16, le=2000)
    """Free text in options and details is truncated to this many characters."""
    page_size: int = Field(default=10, ge=1, le=25)
    """Entries per page of ``/audit search``."""
    export_limit: int = Field(default=10_000, ge=1, le=100_000)
    """Most rows in one CSV export."""
