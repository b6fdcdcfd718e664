"""Every failed reload names its stage: an unknown or disabled name, an unload whose undo step
fails; the plugin's last reload keeps it, and the admin plugin's status shows it."""

from __future__ import annotations

from pathlib import Path

from core.reloader import ReloadAction, ReloadStage
from plugins.admin.web import status_of
from tests.reload.conftest import Starter

#: A plugin whose teardown fails: unloading it reports the error.
TORN = """
from core.plugin import Plugin


def teardown(ctx):
    raise RuntimeError("cannot let go")


plugin = Plugin(name="torn", version="1.0.0", teardown=teardown)
"""


def write_torn(package: Path, *, broken: bool = False) -> None:
    (package / "torn").mkdir(exist_ok=True)
    suffix = 'raise RuntimeError("broken")\n' if broken else ""
    (package / "torn" / "__init__.py").write_text(TORN.lstrip() + suffix)


async def test_an_unknown_or_disabled_name_fails_at_its_stage(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_torn(plugin_package)
    bench = await start_bench(plugins="[plugins.torn]\nenabled = false\n")

    unknown, disabled = await bench.app.reloader.reload(["nosuch", "torn"])

    assert (unknown.name, unknown.ok, unknown.stage) == ("nosuch", False, ReloadStage.LOOKUP)
    assert unknown.error is not None and unknown.error.startswith("unknown plugin (known: ")
    assert (disabled.name, disabled.ok, disabled.stage) == ("torn", False, ReloadStage.ENABLED)
    assert disabled.error is not None and "is disabled" in disabled.error


async def test_an_unload_whose_undo_step_fails_names_the_unload_stage(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_torn(plugin_package)
    bench = await start_bench()

    bench.config.write_text(bench.config.read_text() + "\n[plugins.torn]\nenabled = false\n")
    [result] = await bench.app.reloader.apply_config()  # and not loaded again

    assert (result.ok, result.action, result.stage) == (
        False,
        ReloadAction.UNLOADED,
        ReloadStage.UNLOAD,
    )
    assert result.error == "unload: teardown torn: cannot let go"
    assert not bench.app.plugins.is_loaded("torn")  # unloaded all the same


async def test_the_last_reload_keeps_its_stage_and_the_admin_status_shows_it(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_torn(plugin_package)
    bench = await start_bench()
    record = bench.app.plugins.records["torn"]

    write_torn(plugin_package, broken=True)
    [result] = await bench.app.reloader.reload(["torn"])

    assert result.stage is ReloadStage.IMPORT
    assert record.last_reload is not None and record.last_reload["stage"] is ReloadStage.IMPORT
    last = status_of(record).last_reload
    assert last is not None and (last.ok, last.stage) == (False, "import")
    assert last.error == result.error

    write_torn(plugin_package)
    [result] = await bench.app.reloader.reload(["torn"])
    assert result.ok and record.last_reload["stage"] is None
