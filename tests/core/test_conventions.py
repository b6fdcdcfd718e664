"""What a plugin declaration leaves out comes from its package (core.conventions): models,
settings class, setup, teardown, cli and hooks by their usual names; explicit fields win."""

from __future__ import annotations

import importlib
import textwrap
from pathlib import Path

from core.conventions import completed, settings_class
from core.plugin import Plugin

PACKAGE = {
    "__init__.py": """
        from core.plugin import Plugin

        async def setup(ctx):
            pass

        async def teardown(ctx):
            pass

        plugin = Plugin(name="my_notes", version="1")
    """,
    "models.py": "",
    "settings.py": """
        from pydantic import BaseModel

        class Other(BaseModel):
            pass

        class MyNotesSettings(BaseModel):
            pass
    """,
    "cli.py": """
        def register(sub):
            pass
    """,
}


def write_package(root: Path, name: str, files: dict[str, str]) -> None:
    (root / name).mkdir()
    for file, text in files.items():
        (root / name / file).write_text(textwrap.dedent(text), encoding="utf-8")


def test_the_package_fills_every_field_left_out(importable: Path) -> None:
    write_package(importable, "conv_full", PACKAGE)
    module = importlib.import_module("conv_full")
    plugin = completed(module.plugin)
    assert plugin.models == ("conv_full.models",)
    assert plugin.settings_model is importlib.import_module("conv_full.settings").MyNotesSettings
    assert plugin.setup is module.setup and plugin.teardown is module.teardown
    assert plugin.cli is importlib.import_module("conv_full.cli").register
    assert plugin.hooks is module
    assert module.plugin.models == () and module.plugin.setup is None  # the declaration is kept


def test_explicit_fields_are_kept(importable: Path) -> None:
    write_package(importable, "conv_explicit", PACKAGE)

    async def own_setup(ctx: object) -> None:
        pass

    hooks = object()
    declared = Plugin(
        name="my_notes",
        version="1",
        models=("elsewhere.models",),
        settings_model=importlib.import_module("conv_explicit.settings").Other,
        setup=own_setup,
        hooks=hooks,
        declared_in="conv_explicit",  # as if declared there: the package would fill each field
    )
    plugin = completed(declared)
    assert plugin.models == ("elsewhere.models",)
    assert plugin.settings_model.__name__ == "Other"  # type: ignore[union-attr]
    assert plugin.setup is own_setup and plugin.hooks is hooks


def test_a_package_without_those_modules_gets_none_of_them(importable: Path) -> None:
    write_package(importable, "conv_bare", {"__init__.py": PACKAGE["__init__.py"]})
    module = importlib.import_module("conv_bare")
    plugin = completed(module.plugin)
    assert plugin.models == () and plugin.settings_model is None and plugin.cli is None
    assert plugin.setup is module.setup


def test_a_settings_module_without_the_named_class_gives_no_settings(importable: Path) -> None:
    files = dict(
        PACKAGE, **{"settings.py": "from pydantic import BaseModel\nclass Notes(BaseModel): pass\n"}
    )
    write_package(importable, "conv_misnamed", files)
    module = importlib.import_module("conv_misnamed")
    assert completed(module.plugin).settings_model is None


def test_a_single_module_plugin_gets_only_its_own_functions(importable: Path) -> None:
    write_package(importable, "conv_pkg", {"__init__.py": "", "models.py": ""})
    (importable / "conv_pkg" / "single.py").write_text(
        textwrap.dedent(PACKAGE["__init__.py"]), encoding="utf-8"
    )
    module = importlib.import_module("conv_pkg.single")
    plugin = completed(module.plugin)
    assert plugin.setup is module.setup and plugin.models == ()


def test_a_re_exported_plugin_is_completed_from_the_package_declaring_it(
    importable: Path,
) -> None:
    write_package(importable, "conv_origin", PACKAGE)
    write_package(importable, "conv_shim", {"__init__.py": "from conv_origin import plugin\n"})
    shim = importlib.import_module("conv_shim")
    plugin = completed(shim.plugin)
    origin = importlib.import_module("conv_origin")
    assert plugin.setup is origin.setup and plugin.hooks is origin
    assert plugin.models == ("conv_origin.models",)


def test_settings_class_is_the_camel_case_name() -> None:
    assert settings_class("betting") == "BettingSettings"
    assert settings_class("services_probe") == "ServicesProbeSettings"
