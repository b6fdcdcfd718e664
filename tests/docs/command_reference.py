"""The slash commands of running plugins, as the API reference documents them.

The docs test walks the commands the bot registered (their Discord payload: sub-command groups,
sub-commands, options) and checks that ``docs/API_REFERENCE.md`` has a section for each. Run this
module to print the Markdown of every first-party command, to paste into the reference::

    uv run python tests/docs/command_reference.py [plugin ...]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import disnake

from core.app import App

SUB_COMMAND = disnake.OptionType.sub_command
SUB_COMMAND_GROUP = disnake.OptionType.sub_command_group
PERMISSION_NAMES = {"manage_guild": "Manage Server", "administrator": "Administrator"}
"""Discord's own names where disnake's differ."""


@dataclass(frozen=True)
class OptionDoc:
    name: str
    type: str
    required: bool
    description: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommandDoc:
    """One invocable slash command (a top-level command or a sub-command)."""

    plugin: str
    qualified_name: str
    description: str
    permissions: str
    options: tuple[OptionDoc, ...] = field(default_factory=tuple)

    @property
    def heading(self) -> str:
        return f"#### `/{self.qualified_name}`"


def permissions_text(command: disnake.ext.commands.InvokableSlashCommand) -> str:
    """Who may run the command, as Discord and the bot enforce it."""
    body = command.body
    parts = []
    perms = body.default_member_permissions
    if perms is not None and perms.value:
        names = [
            PERMISSION_NAMES.get(name, name.replace("_", " ").title()) for name, on in perms if on
        ]
        parts.append(
            f"members with {', '.join(names)} (Discord default; server admins may change it)"
        )
    if "owner only" in (body.description or "").lower():
        parts.append("bot owners only (checked by the bot)")
    if not parts:
        parts.append("everyone")
    contexts = getattr(body, "contexts", None)
    if (
        contexts is not None
        and contexts.guild
        and not (contexts.bot_dm or contexts.private_channel)
    ):
        parts.append("in servers only")
    return "; ".join(parts)


def _options(options: Iterable[disnake.Option]) -> tuple[OptionDoc, ...]:
    return tuple(
        OptionDoc(
            o.name,
            o.type.name,
            bool(o.required),
            o.description if o.description != "-" else "",
            tuple(str(c.name) for c in o.choices),
        )
        for o in options
    )


def _walk(
    plugin: str, prefix: str, description: str, permissions: str, options: list[disnake.Option]
) -> Iterator[CommandDoc]:
    nested = [o for o in options if o.type in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not nested:
        yield CommandDoc(plugin, prefix, description, permissions, _options(options))
        return
    for option in nested:
        yield from _walk(
            plugin, f"{prefix} {option.name}", option.description, permissions, option.options
        )


def slash_commands(app: App, plugins: Iterable[str] | None = None) -> list[CommandDoc]:
    """Every invocable slash command of ``plugins`` (default: all loaded), sorted by name."""
    wanted = set(plugins) if plugins is not None else None
    out: list[CommandDoc] = []
    for command in app.bot.slash_commands:
        owner = app.pipeline.command_owner(command.name) or "?"
        if wanted is not None and owner not in wanted:
            continue
        body = command.body
        out.extend(
            _walk(owner, command.name, body.description, permissions_text(command), body.options)
        )
    return sorted(out, key=lambda c: c.qualified_name)


def render(command: CommandDoc) -> str:
    """The reference section of one command."""
    lines = [
        command.heading,
        "",
        f"{command.description}",
        "",
        f"Plugin: `{command.plugin}`. Permissions: {command.permissions}.",
        "",
    ]
    if command.options:
        lines += ["| option | type | required | description |", "|---|---|---|---|"]
        for o in command.options:
            text = o.description.rstrip(".") + "." if o.description else ""
            if o.choices:
                text += f" Choices: {', '.join(o.choices)}."
            required = "yes" if o.required else "no"
            lines.append(f"| `{o.name}` | {o.type} | {required} | {text.strip()} |")
    else:
        lines.append("No options.")
    return "\n".join(lines) + "\n"


def first_party(app: App) -> list[str]:
    """The plugins of the repository's ``plugins/`` folder."""
    return sorted(n for n, r in app.plugins.records.items() if r.source.origin == "local")


async def _main(names: list[str]) -> None:
    from core.settings import Settings
    from core.testing import LocalDiscord
    from core.testing.harness import run_app

    discovered = App(Settings()).plugins.discover()
    local = names or sorted(n for n, s in discovered.items() if s.origin == "local")
    with tempfile.TemporaryDirectory() as tmp:
        async with LocalDiscord() as discord, run_app(discord, Path(tmp), plugins=local) as app:
            for command in slash_commands(app, local):
                print(render(command))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
