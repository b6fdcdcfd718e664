"""``run_sandbox`` end to end: the real App with first-party plugins on the local Discord,
driven by a script and by typed lines; the transcript is what the user reads."""

from __future__ import annotations

import argparse
import builtins
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import CacheSettings, DatabaseSettings, RateLimitSettings, Settings
from core.testing.sandbox import run_sandbox

SCRIPT = """\
# set-up
/setup picks_channel:#picks
/game add league:NFL home:"Buffalo Bills" away:"New York Jets" starts:"2030-09-14 17:00"
?/bet straight league:NFL game:
as Alice
/bet straight league:NFL game:"New York Jets" market:Spread \
selection:"Buffalo Bills" line:-3.5 odds:-110 units:2
as Bob
/bet new
choose NFL
pick 1
choose moneyline
choose "New York Jets"
modal odds:+135 Units:1
press "Place pick"
as Owner
/game result game:Jets home_score:27 away_score:20 override:True
/stats member:Alice
as Bob
/audit verify
/leaderboard
/bet straight league:NFL odds:-110
/nope
pick 7
"""


def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database=DatabaseSettings(url="sqlite://{data_dir}/sandbox.sqlite3", connect_retries=0),
        cache=CacheSettings(backend="memory"),
        ratelimit=RateLimitSettings(backend="memory"),
        plugins={
            "betting": {"enabled": True},
            "audit": {"enabled": True},
            "admin": {"enabled": True},
            "weather": {"enabled": False},
            "metrics": {"enabled": False},
        },
    )


def args(tmp_path: Path, script: Path | None) -> argparse.Namespace:
    return argparse.Namespace(script=script, config=tmp_path / "config.toml")


def between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_a_script_runs_through_the_local_discord_and_prints_a_transcript(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "session.txt"
    script.write_text(SCRIPT, encoding="utf-8")

    code = run_sandbox(settings(tmp_path), args(tmp_path, script))

    out = capsys.readouterr().out
    assert code == 1  # the last three lines fail on purpose
    assert "Plugins: admin 0.1.0, audit 0.1.0, betting 0.1.0, dashboard 0.1.0" in out
    assert "Dashboard: http://127.0.0.1:" in out  # logs in through the local Discord
    assert f"Running {script}" in out
    assert "# set-up\nOwner> /setup picks_channel:#picks\n" in out
    assert "    Picks channel: #picks" in out
    # autocomplete lists the bot's choices; the typed name then sends the choice's value
    assert "  choices for game:\n    New York Jets @ Buffalo Bills" in out
    alice = between(out, "Alice> /bet straight", "Bob> /bet new")
    assert "  bot in #picks:\n    ╭─ Pick #1 · Straight" in alice
    assert "(only Alice sees this)" in alice and "Posted in #picks" in alice
    # menus are numbered, a form is filled in, a button pressed
    flow = between(out, "Bob> /bet new", "Owner> /game result")
    assert "▾ League (choose one)\n       1) NFL" in flow
    assert 'bot opened a form "Moneyline · New York Jets @ Buffalo Bills":' in flow
    assert "    fill it in with:  modal odds:... units:..." in flow
    assert "[1 Place pick] [2 Cancel]" in flow
    assert "Pick #2 placed: risk 1.00u to win 1.35u. Posted in #picks." in flow
    graded = between(out, "Owner> /game result", "Owner> /stats")
    assert "WON (+1.82u)" in graded and "LOST (-1.00u)" in graded
    assert "final 20-27. 2 pick(s) changed." in graded
    # the chart is saved as a file and its path shown
    chart = next((tmp_path / "data" / "sandbox").glob("*-units.png"))
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert f"image: units.png (saved: {chart})" in out
    assert "Record (W-L-P): 1-0-0" in out
    # refusals are answers, not failures; broken lines are failures with a reason
    assert "You need the Manage Server permission" in out
    assert "  ! missing game, market, selection, units; usage: /bet straight" in out
    assert "  ! /nope is not a command here; type help for the list" in out
    assert "[1 Previous (disabled)] [2 Page 1/1 (disabled)] [3 Next (disabled)]" in out
    assert "  ! the latest message has no item 7 (it has 1 to 3)" in out
    summary = out[out.index("3 line(s) failed:") :]
    assert "line 21: /bet straight league:NFL odds:-110" in summary
    assert "line 22: /nope" in summary and "line 23: pick 7" in summary
    assert (tmp_path / "data" / "sandbox" / "sandbox.log").stat().st_size > 0


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Lines 'typed' at the prompt; the prompts shown are collected in the same list."""
    lines = ["help", "/plugins", "as bob", "in picks", "/stats", "as Nobody", "quit", "/never"]
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return lines.pop(0)

    monkeypatch.setattr(builtins, "input", fake_input)
    yield prompts


def test_interactive_lines_until_quit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], typed: list[str]
) -> None:
    code = run_sandbox(settings(tmp_path), args(tmp_path, None))

    out = capsys.readouterr().out
    assert code == 0
    assert typed == [
        "Owner> ",
        "Owner> ",
        "Owner> ",
        "Bob> ",
        "Bob in #picks> ",
        "Bob in #picks> ",
        "Bob in #picks> ",
    ]
    assert "hot reload: on" in out and "Type help for what you can do" in out
    assert "  press <n | label>" in out and "  /bet" in out  # help: the forms and commands
    assert "╭─ Plugins" in out
    assert "  (now acting as Bob)" in out and "  (now in #picks)" in out
    assert "  bot:\n    ╭─ Bob · all" in out
    assert "  ! no member 'Nobody'; members: Owner, Alice, Bob" in out
