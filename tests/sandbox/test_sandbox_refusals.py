"""A sandbox session shows what Discord would refuse: a request the local Discord refuses
(over Discord's limits) is printed in Discord's words with the line, which fails; so is a request
that Discord's OpenAPI description rejects, which the local Discord serves."""

from __future__ import annotations

import io
import re
from pathlib import Path

from core.testing.harness import run_app
from core.testing.sandbox import LISTENER_NAME, Session
from core.testing.server import LocalDiscord

PLUGINS = Path(__file__).parent / "sandbox_plugins"


async def session_output(tmp_path: Path, line: str) -> tuple[str | None, str]:
    """Run one sandbox line against the ``oversized`` plugin: (its failure, the transcript)."""
    async with (
        LocalDiscord() as discord,
        run_app(discord, tmp_path, plugins=["oversized"], local_plugins=PLUGINS) as app,
    ):
        out = io.StringIO()
        session = Session(discord, tmp_path / "files", out)
        app.pm.register(session.listener, name=LISTENER_NAME)
        _, failure = await session.run(line)
        discord.spec_violations.clear()  # seen by the session, the point of the test
    return failure, out.getvalue()


async def test_an_answer_over_discords_limits_is_shown_refused(tmp_path: Path) -> None:
    failure, out = await session_output(tmp_path, "/oversized embed")
    refusal = re.escape(
        "/{token}/callback: 50035 Invalid Form Body: "
        "data.embeds.0.description: Must be 4096 or fewer in length."
    )
    assert re.search(rf"  ! Discord refused POST /interactions/\d+{refusal}\n", out), out
    assert failure is not None and failure.startswith("the bot failed")


async def test_a_request_discords_description_rejects_is_shown(tmp_path: Path) -> None:
    failure, out = await session_output(tmp_path, "/oversized nonce")
    would = (
        "Discord would refuse POST /channels/{id}/messages: "
        "nonce: maxLength: 26 characters, at most 25"
    )
    shown = re.sub(r"/channels/\d+/", "/channels/{id}/", out)
    assert shown.endswith(f"  bot:\n    done\n  ! {would}\n"), out  # served, then flagged
    assert failure is not None and re.sub(r"/channels/\d+/", "/channels/{id}/", failure) == would
