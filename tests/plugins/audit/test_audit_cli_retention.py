"""``dbsbm audit verify`` as an operator runs it, and pruning old entries."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from audit_support import OTHER_PLUGINS
from test_audit_chain import GUILD, command, writer

from core.database import Database
from plugins.audit.chain import verify, verify_chain
from plugins.audit.models import AuditChain, AuditEntry, AuditSession
from plugins.audit.records import to_micros
from plugins.audit.retention import prune

DAY = 86_400.0


async def run_cli(config: Path, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "core.cli",
        "--config",
        str(config),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=config.parent,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_cli_verify_names_the_edited_entry(audit_db: Database, tmp_path: Path) -> None:
    w = writer()
    for i in range(6):
        w.submit(command(time.time() + i))
    await w.flush()
    disabled = "\n".join(f"[plugins.{name}]\nenabled = false" for name in OTHER_PLUGINS)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "{audit_db.url}"\nmigrate_on_start = false\n'
        f"[web]\nenabled = false\n{disabled}\n",
        encoding="utf-8",
    )
    code, out = await run_cli(config, "audit", "verify")
    assert code == 0, out
    assert f"guild:{GUILD}: 6 entries, intact" in out

    victim = await AuditEntry.get(chain=f"guild:{GUILD}", seq=4)
    await AuditEntry.filter(id=victim.id).update(command="probe ok")
    code, out = await run_cli(config, "audit", "verify", "--guild", str(GUILD))
    assert code == 1, out
    assert f"BROKEN at entry #{victim.id} (seq 4)" in out and "changed" in out


async def test_prune_keeps_the_chain_verifiable_from_the_first_kept_entry(
    audit_db: Database,
) -> None:
    now = time.time()
    w = writer(session_gap=60.0)
    for days_ago in (400, 380, 370, 10, 2, 0):
        w.submit(command(now - days_ago * DAY))
    await w.flush()
    removed = await prune(to_micros(now - 365 * DAY))
    assert removed == 3
    kept = await AuditEntry.filter(chain=f"guild:{GUILD}").order_by("seq")
    assert [e.seq for e in kept] == [4, 5, 6]
    head = await AuditChain.get(chain=f"guild:{GUILD}")
    assert (head.base_seq, head.base_hash) == (3, kept[0].prev_hash)
    assert (await verify_chain(f"guild:{GUILD}")).ok
    assert await AuditSession.filter(ended_ts__lt=to_micros(now - 365 * DAY)).count() == 0
    assert await AuditSession.all().count() == 3

    w.submit(command(now + 1))
    await w.flush()
    assert all(r.ok for r in await verify())
    await AuditEntry.filter(chain=f"guild:{GUILD}", seq=4).delete()
    report = await verify_chain(f"guild:{GUILD}")
    assert (report.ok, report.seq) == (False, 5) and "missing" in report.reason
