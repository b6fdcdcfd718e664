"""Private internals of disnake, aiohttp, tortoise, aerich and aiosqlite are reached only in
core/compat, whose modules name the versions they were checked against; another version stops
start-up."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import disnake
import pytest
from disnake.ext import commands
from disnake.utils import get_signature_parameters

from core import compat
from core.app import App
from core.compat.disnake import resolve_signatures
from core.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
INTERNALS = re.compile(
    r"_sync_application_commands|_call_relevant_autocompleter|\._cs_response|\._cs_followup"
    r"|\binter\._state|\binter\._session|\bsite\._server|_current_context|EXECUTOR_CACHE"
    r"|\._filters\b|_global_context|from aerich\.migrate import|\._execute\(|\._conn\b"
)


def test_no_module_outside_compat_reaches_the_internals() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("core", "plugins")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "compat" not in path.relative_to(ROOT).parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if INTERNALS.search(line)
    ]
    assert found == []


def test_the_installed_versions_are_the_checked_ones() -> None:
    assert compat.mismatches() == []
    compat.check_versions()


@pytest.fixture
def newer_disnake(monkeypatch: pytest.MonkeyPatch) -> None:
    real = metadata.version
    monkeypatch.setattr(
        metadata, "version", lambda name: "99.0.1" if name == "disnake" else real(name)
    )


@pytest.mark.usefixtures("newer_disnake")
def test_another_version_is_refused_with_what_to_do() -> None:
    with pytest.raises(compat.CompatError) as refused:
        compat.check_versions()
    message = str(refused.value)
    assert "disnake 99.0.1 is installed" in message
    assert "core/compat/disnake.py was checked against 2.12" in message
    assert "uv sync --locked" in message


@pytest.mark.usefixtures("newer_disnake")
async def test_the_app_refuses_to_start_before_touching_the_database(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n[web]\nenabled = false\n')
    app = App(load_settings(config), config_file=config)
    try:
        with pytest.raises(compat.CompatError, match=r"disnake 99\.0\.1"):
            await app.start()
    finally:
        await app.close()
    assert not (tmp_path / "data").exists()


def test_command_signatures_are_evaluated_once_and_local_annotations_keep_disnakes_way() -> None:
    class Local:  # not reachable from the module's globals: eval_str cannot resolve it
        pass

    @commands.slash_command(name="group")
    async def group(inter: disnake.ApplicationCommandInteraction) -> None:
        pass

    @group.sub_command(name="plain")
    async def plain(inter: disnake.ApplicationCommandInteraction, **options: str) -> None:
        pass

    async def local(inter: disnake.ApplicationCommandInteraction, thing: Local) -> None:
        pass

    resolve_signatures(group)
    params = plain.callback.__signature__.parameters
    assert params["inter"].annotation is disnake.ApplicationCommandInteraction
    assert params["options"].annotation is str
    assert get_signature_parameters(plain.callback)["inter"].annotation is (
        disnake.ApplicationCommandInteraction
    )
    assert "__signature__" in vars(group.callback)

    holder = type("Holder", (), {"callback": local, "children": {}})()
    resolve_signatures(holder)  # type: ignore[arg-type]
    assert "__signature__" not in vars(local)
