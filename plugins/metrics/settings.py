"""The ``[plugins.metrics]`` settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MetricsSettings(BaseModel):
    """What ``/metrics`` serves and which domain actions count as picks."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(default="/metrics", pattern=r"^/[A-Za-z0-9/_.-]*$")
    shard_label: str | None = None  # default: this process's shard ids, e.g. "0" or "2,3"
    placed_actions: list[str] = Field(default_factory=lambda: ["bet.placed"])
    graded_actions: list[str] = Field(default_factory=lambda: ["bet.graded"])
    query_timing: bool = True  # time every database query (dbsbm_db_query_duration_seconds)
