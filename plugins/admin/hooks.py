"""The admin plugin's hook implementations: its slash commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.hookspecs import hookimpl
from core.plugin import PluginContext
from plugins.admin.commands import build_commands


@hookimpl
def dbsbm_commands(ctx: PluginContext) -> Sequence[Any]:
    return build_commands(ctx)
