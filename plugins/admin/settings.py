"""The ``[plugins.admin]`` settings (documented in config.toml and docs/plugins/admin.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class AdminSettings(BaseModel):
    """Where backups go and which plugins guilds may not switch off."""

    model_config = ConfigDict(extra="forbid")

    backup_dir: str = "{data_dir}/backups"
    """Folder for ``/backup`` and ``dbsbm backup`` files (``{data_dir}`` is filled in)."""
    always_on: list[str] = Field(default_factory=lambda: ["admin"])
    """Plugins whose commands ``/admin plugins`` cannot turn off (admin always stays on)."""

    def backup_folder(self, data_dir: Path) -> Path:
        """``backup_dir`` with ``{data_dir}`` filled in."""
        return Path(self.backup_dir.replace("{data_dir}", str(data_dir)))
