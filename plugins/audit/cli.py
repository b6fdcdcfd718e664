"""``dbsbm audit verify``: check every chain from the command line (exit 1 when one is broken)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from plugins.audit.chain import verify

if TYPE_CHECKING:
    from core.app import App


async def cmd_verify(app: App, args: argparse.Namespace) -> int:
    """Print one line per chain; the broken ones name their first bad entry."""
    reports = await verify(args.guild)
    if not reports:
        print("No audit entries yet.")
        return 0
    for report in reports:
        print(report.describe())
    broken = [r for r in reports if not r.ok]
    if broken:
        print(f"{len(broken)} of {len(reports)} chain(s) are broken.")
        return 1
    print(f"All {len(reports)} chain(s) are intact.")
    return 0


cmd_verify.needs_database = True  # type: ignore[attr-defined]


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``dbsbm audit verify [--guild ID]``."""
    parser = sub.add_parser("audit", help="the audit log: verify its hash chains")
    audit_sub = parser.add_subparsers(dest="audit_command", required=True, metavar="SUBCOMMAND")
    verify_parser = audit_sub.add_parser(
        "verify", help="check every chain (or one guild's) and name the first broken link"
    )
    verify_parser.add_argument("--guild", type=int, help="only this guild's chain (its id)")
    verify_parser.set_defaults(func=cmd_verify)
