"""``dbsbm backup`` and ``dbsbm restore FILE``: database backups from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.backup import BackupError, backup, restore
from plugins.admin.settings import AdminSettings

if TYPE_CHECKING:
    from core.app import App


def _settings(app: App) -> AdminSettings:
    return AdminSettings.model_validate(app.settings.plugin_section("admin"))


async def cmd_backup(app: App, args: argparse.Namespace) -> int:
    """Write a backup file and print its path."""
    directory = args.dir or _settings(app).backup_folder(app.settings.data_dir)
    try:
        made = await backup(app.settings.database_url, directory)
    except BackupError as exc:
        print(f"error: {exc}")
        return 1
    heads = ", ".join(f"{a} {v}" for a, v in sorted(made.meta.heads.items())) or "none"
    print(f"Backup written to {made.path} ({made.size / 1024:.1f} KiB in {made.duration:.1f} s)")
    print(f"Migrations: {heads}")
    return 0


async def cmd_restore(app: App, args: argparse.Namespace) -> int:
    """Replace the database with a backup (the bot must be stopped)."""
    specs = app.app_specs(app.prepare_enabled())
    try:
        meta = await restore(args.file, app.settings.database_url, specs, force=args.force)
    except BackupError as exc:
        print(f"error: {exc}")
        return 1
    print(f"Restored {args.file.name} ({meta.dialect}, taken {meta.created_at}).")
    print("Run `dbsbm migrate` (or start the bot) to apply migrations newer than the backup.")
    return 0


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``dbsbm backup [--dir DIR]`` and ``dbsbm restore FILE [--force]``."""
    parser = sub.add_parser("backup", help="back the database up to a file")
    parser.add_argument(
        "--dir", type=Path, help="folder for the file (default: [plugins.admin] backup_dir)"
    )
    parser.set_defaults(func=cmd_backup)
    parser = sub.add_parser("restore", help="replace the database with a backup (bot stopped)")
    parser.add_argument("file", type=Path, help="a file written by dbsbm backup or /backup")
    parser.add_argument(
        "--force", action="store_true", help="restore even a backup from a newer migration state"
    )
    parser.set_defaults(func=cmd_restore)
