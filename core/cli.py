"""The ``dbsbm`` command line: run, sandbox, migrate, makemigrations, plugins, check, config.

Plugins add their own sub-commands through ``Plugin.cli`` (e.g. ``dbsbm audit verify``).
Every failure prints a one-line reason and exits non-zero; no traceback for expected errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import disnake
from loguru import logger

from core import __version__
from core.app import App
from core.compat import CompatError, mismatches
from core.database import DatabaseError
from core.logging import setup_logging
from core.plugin import PluginError
from core.plugin_manager import Prepared
from core.settings import (
    ConfigError,
    Settings,
    load_settings,
    settings_summary,
    unknown_variables,
)
from core.testing.script import GRAMMAR as SANDBOX_GRAMMAR

Handler = Callable[[App, argparse.Namespace], Awaitable[int]]

NO_TOKEN = """No Discord token is configured, so there is nothing to connect to.

  * To try the bot without Discord:   uv run dbsbm sandbox
  * To run it on Discord: create an application at https://discord.com/developers/applications,
    add a bot, copy its token, and set it in .env as  DBSBM_DISCORD__TOKEN=...
    (or [discord] token in config.toml), then run  uv run dbsbm run  again.
"""  # nosec B105 # a message, not a password

TOKEN_REFUSED = (  # nosec B105 # a message, not a password
    "Discord refused the token ([discord] token / DBSBM_DISCORD__TOKEN): copy it again "
    "from the Bot page of your application at https://discord.com/developers/applications"
)


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [list(map(str, header)), *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- commands --------------------------------------------------------------------------


async def cmd_run(app: App, args: argparse.Namespace) -> int:
    token = app.settings.discord.token
    if token is None or not token.get_secret_value():
        print(NO_TOKEN, file=sys.stderr)
        return 2
    await app.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await app.bot.login(token.get_secret_value())
    except disnake.LoginFailure:
        await app.close()
        raise ConfigError(TOKEN_REFUSED) from None
    runner = asyncio.create_task(app.bot.connect())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    await app.close()
    if runner.done() and runner.exception() is not None:
        raise runner.exception()  # type: ignore[misc]
    return 0


async def cmd_migrate(app: App, args: argparse.Namespace) -> int:
    from core.migrations import upgrade

    prepared = app.prepare_enabled()
    specs = app.app_specs(prepared)

    def progress(label: str, version: str) -> None:
        print(f"  {label}: applied {version}", flush=True)

    print(f"Migrating {len(specs)} apps: {', '.join(s.label for s in specs)}", flush=True)
    applied = await upgrade(app.settings.database_url, specs, progress=progress)
    total = sum(len(v) for v in applied.values())
    print(f"Done: {total} migration(s) applied." if total else "Done: everything was up to date.")
    return 0


async def cmd_makemigrations(app: App, args: argparse.Namespace) -> int:
    from core.migrations import make_migrations

    app.plugins.scan()
    if args.plugin not in app.plugins.records:
        raise PluginError(f"unknown plugin {args.plugin!r} (see: dbsbm plugins list)")
    prepared = app.plugins.prepare(args.plugin)
    specs = app.app_specs([prepared])
    if not specs:
        raise PluginError(f"plugin {args.plugin!r} declares no models")
    path = await make_migrations(specs[0], args.name)
    print(f"Created {path}" if path else f"No changes in {args.plugin}'s models.")
    return 0


async def cmd_plugin_new(app: App, args: argparse.Namespace) -> int:
    from core.scaffold import first_migration, new_plugin

    root = new_plugin(args.name, args.path)
    migration = await first_migration(root, args.name)
    print(f"Created {root} (first migration: {migration.name})")
    print(f"Next: cd {root} && uv run pytest")
    return 0


async def cmd_plugins_list(app: App, args: argparse.Namespace) -> int:
    app.plugins.scan()
    rows = []
    for name, record in sorted(app.plugins.records.items()):
        enabled = app.plugins.enabled(name)
        version, deps, state = "?", "", "disabled"
        try:
            prepared = app.plugins.prepare(name)
            version = prepared.plugin.version
            deps = ", ".join(prepared.plugin.depends_on) or "-"
            if prepared.plugin.optional_depends_on:
                deps += f" (optional: {', '.join(prepared.plugin.optional_depends_on)})"
            state = "ready" if enabled else "disabled"
        except (PluginError, ConfigError) as exc:
            state = f"error: {exc}"
        rows.append((name, version, "yes" if enabled else "no", record.source.origin, deps, state))
    print(_table(rows, ("name", "version", "enabled", "source", "depends on", "state")))
    return 0


async def cmd_check(app: App, args: argparse.Namespace) -> int:
    results: list[tuple[str, bool, str]] = []
    unchecked = mismatches()
    results.append(("libraries", not unchecked, "; ".join(unchecked) or "checked versions"))
    try:
        prepared = app.prepare_enabled()
    except ConfigError as exc:
        results.append(("config and plugins", False, str(exc)))
        # Connecting would create the SQLite file (and data folder) of a config being fixed.
        results.append(("database", False, "not checked: the config is invalid"))
    else:
        failed = [n for n, r in app.plugins.records.items() if r.error]
        detail = f"{len(prepared)} plugins ready" + (
            f"; failed: {', '.join(failed)}" if failed else ""
        )
        results.append(("config and plugins", not failed, detail))
        results.append(("database", *await _check_database(app, prepared)))
    cache_health = await app.cache.health()
    results.append(("cache", cache_health.healthy, cache_health.detail))
    token = app.settings.discord.token
    if token is not None and token.get_secret_value():
        http = disnake.http.HTTPClient(loop=asyncio.get_running_loop())
        try:
            user = await http.static_login(token.get_secret_value())
            results.append(("discord", True, f"logged in as {user['username']}"))
        except disnake.HTTPException as exc:
            results.append(("discord", False, f"login failed: {exc}"))
        finally:
            await http.close()
    else:
        results.append(("discord", True, "no token configured (sandbox only)"))
    for component, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'}  {component}: {detail}")
    return 0 if all(ok for _, ok, _ in results) else 1


async def _check_database(app: App, prepared: list[Prepared]) -> tuple[bool, str]:
    """Connect once (no retries) and ping: (healthy, detail)."""
    app.db.retries = 0
    try:
        await app.db.connect(app.app_specs(prepared))
        health = await app.db.ping()
    except DatabaseError as exc:
        return False, str(exc)
    return health.healthy, f"{app.db.masked_url}: {health.detail}"


async def cmd_config_show(app: App, args: argparse.Namespace) -> int:
    """Print the effective settings; exit 2 if an enabled plugin's settings are invalid."""
    print(json.dumps(settings_summary(app.settings), indent=2, default=str))
    errors = _plugin_settings_errors(app)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    return 2 if errors else 0


def _plugin_settings_errors(app: App) -> list[str]:
    """Why the plugin sections are invalid: an unknown plugin, or each enabled plugin's bad
    settings. A plugin that fails to import is ``dbsbm plugins list``'s and ``check``'s to say."""
    try:
        app.plugins.scan()
    except ConfigError as exc:
        return [str(exc)]
    errors = []
    for name in app.plugins.enabled_names():
        try:
            app.plugins.prepare(name)
        except ConfigError as exc:
            errors.append(str(exc))
        except PluginError:
            continue
    return errors


# --- parser and dispatch ---------------------------------------------------------------


def build_parser(plugin_clis: Sequence[Callable[[Any], None]] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dbsbm", description="DBSBM: a plugin-based Discord bot framework."
    )
    parser.add_argument("--version", action="version", version=f"dbsbm {__version__}")
    parser.add_argument(
        "--config", type=Path, help="config file (default: ./config.toml or $DBSBM_CONFIG)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="start the bot on Discord (needs a token)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser(
        "sandbox",
        help="run the bot against the local Discord, in the terminal",
        description="Start the local Discord and the bot with config.toml's plugins and database; "
        "type lines at the prompt, or run a script with --script.",
        epilog=f"lines:\n{SANDBOX_GRAMMAR}\n\nSee docs/SANDBOX.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--script", type=Path, metavar="FILE", help="run the lines in FILE and print the transcript"
    )
    p.set_defaults(func=None, sandbox=True)
    p = sub.add_parser("migrate", help="apply pending migrations of every enabled plugin")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("makemigrations", help="create a migration for a plugin's model changes")
    p.add_argument("plugin", help="the plugin whose models changed")
    p.add_argument("--name", default="update", help="a word for the migration file name")
    p.set_defaults(func=cmd_makemigrations)
    p = sub.add_parser("plugins", help="plugin information")
    psub = p.add_subparsers(dest="plugins_command", required=True, metavar="SUBCOMMAND")
    psub.add_parser(
        "list", help="name, version, enabled, source, dependencies, state"
    ).set_defaults(func=cmd_plugins_list)
    p = sub.add_parser("plugin", help="make a plugin")
    psub = p.add_subparsers(dest="plugin_command", required=True, metavar="SUBCOMMAND")
    p = psub.add_parser(
        "new",
        help="write a ready third-party plugin package (dbsbm-NAME) with a passing test",
        description="Write dbsbm-NAME/: pyproject with the dbsbm.plugins entry point, the plugin "
        "object, a command group, a model with its first migration, settings, an end-to-end "
        "test and a README. Then: cd dbsbm-NAME && uv run pytest",
    )
    p.add_argument("name", help="the plugin's name: lowercase letters, digits, underscores")
    p.add_argument(
        "--path", type=Path, default=Path("."), help="the folder to write it in (default: here)"
    )
    p.set_defaults(func=cmd_plugin_new)
    p = sub.add_parser(
        "check", help="validate the config and reach the database, cache and Discord"
    )
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("config", help="configuration")
    csub = p.add_subparsers(dest="config_command", required=True, metavar="SUBCOMMAND")
    csub.add_parser("show", help="the effective settings, secrets masked").set_defaults(
        func=cmd_config_show
    )
    for register in plugin_clis:
        register(sub)
    return parser


def _plugin_clis(settings: Settings, config: Path | None) -> list[Callable[[Any], None]]:
    """The ``cli`` functions of installed plugins (import errors are ignored here)."""
    app = App(settings, config_file=config)
    out = []
    for name in sorted(app.plugins.discover()):
        try:
            app.plugins.records.clear()
            app.plugins.scan()
            plugin = app.plugins.prepare(name).plugin
        except (PluginError, ConfigError):
            continue
        if plugin.cli is not None:
            out.append(plugin.cli)
    return out


async def _dispatch(func: Handler, settings: Settings, args: argparse.Namespace) -> int:
    app = App(settings, config_file=args.config)
    try:
        if getattr(func, "needs_database", False):
            await app.db.connect(app.app_specs(app.prepare_enabled()))
        return await func(app, args)
    finally:
        await app.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dbsbm``; an expected error prints ``error: <one line>`` and exits 2."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except (ConfigError, PluginError, DatabaseError, CompatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _main(argv: list[str]) -> int:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config", type=Path)
    known, _ = pre.parse_known_args(argv)
    settings = load_settings(known.config)
    setup_logging(settings.logging)
    for warning in unknown_variables():
        logger.warning(warning)
    parser = build_parser(_plugin_clis(settings, known.config))
    args = parser.parse_args(argv)
    if getattr(args, "sandbox", False):
        from core.testing.sandbox import run_sandbox

        return run_sandbox(settings, args)
    return asyncio.run(_dispatch(args.func, settings, args))


if __name__ == "__main__":
    sys.exit(main())
