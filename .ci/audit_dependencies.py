"""Dependency audit of uv.lock with pip-audit, where its vulnerability source answers.

Exports the locked requirements (``uv export --frozen --no-hashes --no-emit-local``: every
package pinned, the project and its local test packages left out) and runs pip-audit on them
with ``--no-deps --disable-pip`` (the export is already complete, nothing is resolved) and a
timeout. Then:

- a known vulnerability fails the check (exit status 1), one line per vulnerability;
- a source that cannot be reached is reported, not failed: ``pip-audit: vulnerability source
  unreachable, not audited``. So is one that knows none of the packages (a registry mirror
  without PyPI's JSON API answers 404 for each, which pip-audit reports as "not audited" and
  then prints "No known vulnerabilities found": that is no audit, and is not called clean).

Usage (``.ci/checks`` runs it; ``tests/deploy/test_deploy_audit.py`` tests :func:`verdict`)::

    uv run python .ci/audit_dependencies.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120.0  # seconds pip-audit may take before the source counts as unreachable
UNREACHABLE = "pip-audit: vulnerability source unreachable, not audited"


def verdict(report: dict[str, Any]) -> tuple[int, list[str]]:
    """The exit status and the lines to print for pip-audit's JSON report."""
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if "skip_reason" in d]
    audited = len(deps) - len(skipped)
    found = [(d, v) for d in deps for v in d.get("vulns", [])]
    if found:
        lines = [
            f"{d['name']} {d['version']}: {v['id']} (fixed in: {', '.join(v['fix_versions'])})"
            for d, v in found
        ]
        return 1, [*lines, f"pip-audit: {len(found)} known vulnerabilities in uv.lock"]
    if deps and not audited:
        return 0, [f"{UNREACHABLE} (the source knows none of the {len(deps)} locked packages)"]
    lines = [f"pip-audit: {audited} locked packages audited, no known vulnerabilities"]
    if skipped:
        names = ", ".join(sorted(d["name"] for d in skipped))
        lines.append(f"pip-audit: {len(skipped)} not audited (unknown to the source): {names}")
    return 0, lines


def run_audit(requirements: Path, report: Path) -> dict[str, Any] | None:
    """pip-audit's JSON report, or ``None`` when the source did not answer in time."""
    command = [
        *("uv", "run", "--frozen", "pip-audit", "-r", str(requirements)),
        *("--no-deps", "--disable-pip", "--progress-spinner", "off", "--timeout", "15"),
        *("-f", "json", "-o", str(report)),
    ]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None
    if not report.exists() or not report.read_text(encoding="utf-8").strip():
        error = done.stderr.strip().splitlines()
        print(f"pip-audit: {error[-1] if error else f'exit status {done.returncode}'}")
        return None
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return data


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dbsbm-audit-") as tmp:
        requirements, report = Path(tmp) / "requirements.txt", Path(tmp) / "report.json"
        exported = subprocess.run(
            ["uv", "export", "--frozen", "--no-hashes", "--no-emit-local", "--quiet"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        requirements.write_text(exported.stdout, encoding="utf-8")
        data = run_audit(requirements, report)
    if data is None:
        print(UNREACHABLE)
        return 0
    status, lines = verdict(data)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
