"""The ``dbsbm`` command line: run, sandbox, migrate, makemigrations, plugins, check, config.

Plugins add their own sub-commands through ``Plugin.cli`` (e.g. ``dbsbm audit verify``).
Every failure prints a one-line reason and exits non-zero; no traceback for expected errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import __version__

if TYPE_CHECKING:
    from core.app import App
    from core.plugin_manager import Prepared
    from core.settings import Settings

# Only what every command needs is imported here: ``dbsbm --help`` and ``dbsbm plugins list``
# start without disnake, Tortoise or aerich. Each command imports what it uses.

Handler = Callable[["App", argparse.Namespace], Awaitable[int]]

CORE_COMMANDS = (
    "run",
    "sandbox",
    "migrate",
    "makemigrations",
    "plugins",
    "plugin",
    "check",
    "config",
)
"""The sub-commands of the core; any other is looked for among the plugins' (``Plugin.cli``)."""

_EXPECTED_ERRORS = {
    "core.settings": "ConfigError",
    "core.plugin": "PluginError",
    "core.database": "DatabaseError",
    "core.compat": "CompatError",
}
"""The errors printed as one line, by module (each is looked up only once its module is loaded:
an error of a module never imported cannot have been raised)."""

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
    import asyncio
    import signal

    import disnake

    from core.settings import ConfigError

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


def shard_list(text: str) -> list[int]:
    """``0-3,6`` → ``[0, 1, 2, 3, 6]`` (the ``--shards`` of ``dbsbm run``)."""
    shards: set[int] = set()
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        if not first.isdecimal() or (dash and not last.isdecimal()):
            msg = f"{part.strip()!r} is not a shard id or a range such as 0-3"
            raise argparse.ArgumentTypeError(msg)
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise argparse.ArgumentTypeError(
                f"{part.strip()!r}: a range goes up, as in {high}-{low}"
            )
        shards.update(range(low, high + 1))
    return sorted(shards)


def with_shards(settings: Settings, args: argparse.Namespace) -> Settings:
    """``settings`` with ``dbsbm run``'s ``--shards`` and ``--shard-count`` applied."""
    from core.settings import ConfigError

    discord = settings.discord
    count = args.shard_count if args.shard_count is not None else discord.shard_count
    shards = args.shards if args.shards is not None else discord.shard_ids
    if count is not None and count < 1:
        raise ConfigError(f"--shard-count must be 1 or more, not {count}")
    if shards is not None and count is None:
        raise ConfigError("--shards needs --shard-count (or [discord] shard_count)")
    if shards is not None and count is not None and shards[-1] >= count:
        raise ConfigError(
            f"shard {shards[-1]} is outside a bot of {count} shard(s) (ids 0-{count - 1})"
        )
    changed = discord.model_copy(update={"shard_count": count, "shard_ids": shards})
    return settings.model_copy(update={"discord": changed})


async def cmd_migrate(app: App, args: argparse.Namespace) -> int:
    from core.compat import check_versions
    from core.migrations import upgrade

    check_versions()  # aerich's and tortoise's internals migrate
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
    from core.compat import check_versions
    from core.migrations import make_migrations
    from core.plugin import PluginError

    check_versions()  # aerich's and tortoise's internals diff the models
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
    from core.compat import check_versions
    from core.scaffold import first_migration, new_plugin

    check_versions()  # before writing anything: aerich's internals make the first migration
    root = new_plugin(args.name, args.path)
    migration = await first_migration(root, args.name)
    print(f"Created {root} (first migration: {migration.name})")
    print(f"Next: cd {root} && uv run pytest")
    return 0


def cmd_plugins_list(settings: Settings, args: argparse.Namespace) -> int:
    """The table of plugins, read from their declarations without importing them."""
    from core.discovery import (
        LOCAL_DIR,
        DeclarationError,
        discover,
        is_enabled,
        read_declaration,
        refuse_unknown,
    )
    from core.ratelimit.limiter import configured_limiter
    from core.settings import config_path

    config_file = config_path(args.config)
    configured_limiter(settings.ratelimit, config_file)  # the config's limits must parse too
    sources = discover(LOCAL_DIR)
    refuse_unknown(settings.plugins, sources, config_file)
    enabled = {name for name, source in sources.items() if is_enabled(settings, source)}
    rows = []
    for name, source in sorted(sources.items()):
        version, deps, state = "?", "", "enabled" if name in enabled else "disabled"
        try:
            declared = read_declaration(source)
        except DeclarationError as exc:
            state = f"error: plugin {name!r}: {exc}"
        else:
            version = declared.version
            deps = ", ".join(declared.depends_on) or "-"
            if declared.optional_depends_on:
                deps += f" (optional: {', '.join(declared.optional_depends_on)})"
            missing = [d for d in declared.depends_on if d not in enabled]
            if name in enabled:
                state = f"waits for {', '.join(missing)} (not enabled)" if missing else "ready"
        rows.append((name, version, "yes" if name in enabled else "no", source.origin, deps, state))
    print(_table(rows, ("name", "version", "enabled", "source", "depends on", "state")))
    return 0


async def cmd_check(app: App, args: argparse.Namespace) -> int:
    import asyncio

    import disnake

    from core.compat import mismatches
    from core.settings import ConfigError

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
    from core.database import DatabaseError

    app.db.retries = 0
    try:
        await app.db.connect(app.app_specs(prepared))
        health = await app.db.ping()
    except DatabaseError as exc:
        return False, str(exc)
    return health.healthy, f"{app.db.masked_url}: {health.detail}"


async def cmd_config_show(app: App, args: argparse.Namespace) -> int:
    """Print the effective settings; exit 2 if an enabled plugin's settings are invalid."""
    from core.settings import settings_summary

    print(json.dumps(settings_summary(app.settings), indent=2, default=str))
    errors = _plugin_settings_errors(app)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    return 2 if errors else 0


def _plugin_settings_errors(app: App) -> list[str]:
    """Why the plugin sections are invalid: an unknown plugin, or each enabled plugin's bad
    settings. A plugin that fails to import is ``dbsbm check``'s to say."""
    from core.plugin import PluginError
    from core.settings import ConfigError

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


class _Parser(argparse.ArgumentParser):
    """An argument parser whose epilog may be a function, called only to print the help (the
    sandbox's script grammar lives with the local Discord, which ``dbsbm`` need not import)."""

    def format_help(self) -> str:
        if callable(self.epilog):
            self.epilog = self.epilog()
        return super().format_help()


def _sandbox_epilog() -> str:
    from core.testing.script import GRAMMAR

    return f"lines:\n{GRAMMAR}\n\nSee docs/SANDBOX.md."


def _group(
    parser: argparse.ArgumentParser, dest: str, metavar: str = "SUBCOMMAND"
) -> argparse._SubParsersAction[Any]:
    """The sub-commands of ``parser``, one of which must be given."""
    return parser.add_subparsers(dest=dest, required=True, metavar=metavar)


def _command(
    group: argparse._SubParsersAction[Any],
    name: str,
    func: Callable[..., Any] | None,
    help: str,
    **kwargs: Any,
) -> argparse.ArgumentParser:
    """The parser of the sub-command ``name`` of ``group``, which runs ``func``."""
    parser: argparse.ArgumentParser = group.add_parser(name, help=help, **kwargs)
    parser.set_defaults(func=func)
    return parser


def build_parser(plugin_clis: Sequence[Callable[[Any], None]] = ()) -> argparse.ArgumentParser:
    """The core's commands, then each of ``plugin_clis``' (a plugin's ``cli`` function)."""
    parser = _Parser(
        prog="dbsbm",
        description="DBSBM: a plugin-based Discord bot framework.",
        epilog="Plugins add commands of their own (dbsbm audit verify, say): "
        "dbsbm plugins commands lists them.",
    )
    parser.add_argument("--version", action="version", version=f"dbsbm {__version__}")
    parser.add_argument(
        "--config", type=Path, help="config file (default: ./config.toml or $DBSBM_CONFIG)"
    )
    sub = _group(parser, "command", "COMMAND")
    p = _command(
        sub,
        "run",
        cmd_run,
        "start the bot on Discord (needs a token)",
        description="Start the bot on Discord. A bot that outgrows one process runs its shards "
        "in several: each is started with the shards it owns, all with the same --shard-count "
        "(and one Redis: [cache] backend = 'redis'), e.g. --shards 0-3 --shard-count 8 and "
        "--shards 4-7 --shard-count 8.",
    )
    p.add_argument(
        "--shards",
        type=shard_list,
        metavar="IDS",
        help="the shards this process runs: ids and ranges, e.g. 0-3 or 0,2,4-5 "
        "(default: [discord] shard_ids, else every shard)",
    )
    p.add_argument(
        "--shard-count",
        type=int,
        metavar="N",
        help="the bot's shards in all processes (default: [discord] shard_count)",
    )
    p = _command(
        sub,
        "sandbox",
        None,
        "run the bot against the local Discord, in the terminal",
        description="Start the local Discord and the bot with config.toml's plugins and database; "
        "type lines at the prompt, or run a script with --script.",
        epilog=_sandbox_epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(sandbox=True)
    p.add_argument(
        "--script", type=Path, metavar="FILE", help="run the lines in FILE and print the transcript"
    )
    _command(sub, "migrate", cmd_migrate, "apply pending migrations of every enabled plugin")
    p = _command(
        sub, "makemigrations", cmd_makemigrations, "create a migration for a plugin's model changes"
    )
    p.add_argument("plugin", help="the plugin whose models changed")
    p.add_argument("--name", default="update", help="a word for the migration file name")
    plugins = _group(sub.add_parser("plugins", help="plugin information"), "plugins_command")
    _command(
        plugins,
        "list",
        cmd_plugins_list,
        "name, version, enabled, source, dependencies, state",
        description="Read from each plugin's declaration, without importing it: "
        "dbsbm check imports and validates the enabled plugins.",
    ).set_defaults(needs_app=False)
    _command(
        plugins,
        "commands",
        cmd_plugins_commands,
        "the commands that plugins add to dbsbm (imports the plugins)",
    ).set_defaults(needs_app=False)
    plugin = _group(sub.add_parser("plugin", help="make a plugin"), "plugin_command")
    p = _command(
        plugin,
        "new",
        cmd_plugin_new,
        "write a ready third-party plugin package (dbsbm-NAME) with a passing test",
        description="Write dbsbm-NAME/: pyproject with the dbsbm.plugins entry point, the plugin "
        "object, a command group, a model with its first migration, settings, an end-to-end "
        "test and a README. Then: cd dbsbm-NAME && uv run pytest",
    )
    p.add_argument("name", help="the plugin's name: lowercase letters, digits, underscores")
    p.add_argument(
        "--path", type=Path, default=Path("."), help="the folder to write it in (default: here)"
    )
    _command(
        sub, "check", cmd_check, "validate the config and reach the database, cache and Discord"
    )
    config = _group(sub.add_parser("config", help="configuration"), "config_command")
    _command(config, "show", cmd_config_show, "the effective settings, secrets masked")
    for register in plugin_clis:
        register(sub)
    return parser


def _plugin_clis(
    settings: Settings, config: Path | None
) -> list[tuple[str, Callable[[Any], None]]]:
    """The installed plugins' ``cli`` functions by plugin name (import errors are ignored
    here: ``dbsbm check`` reports them)."""
    from core.app import App
    from core.plugin import PluginError
    from core.settings import ConfigError

    app = App(settings, config_file=config)
    out = []
    for name in sorted(app.plugins.discover()):
        try:
            app.plugins.rescan()
            plugin = app.plugins.prepare(name).plugin
        except (PluginError, ConfigError):
            continue
        if plugin.cli is not None:
            out.append((name, plugin.cli))
    return out


class _Recorder:
    """Sub-parsers that note the name and help of each command a plugin adds."""

    def __init__(self, sub: argparse._SubParsersAction[Any]) -> None:
        self.sub = sub
        self.added: list[tuple[str, str]] = []

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        self.added.append((name, kwargs.get("help") or ""))
        return self.sub.add_parser(name, **kwargs)


def cmd_plugins_commands(settings: Settings, args: argparse.Namespace) -> int:
    """One line per command a plugin adds: the command, its plugin, its help."""
    recorder = _Recorder(argparse.ArgumentParser(prog="dbsbm").add_subparsers())
    rows = []
    for name, register in _plugin_clis(settings, args.config):
        register(recorder)
        rows += [(f"dbsbm {command}", name, text) for command, text in recorder.added]
        recorder.added.clear()
    print(_table(rows, ("command", "plugin", "help")) if rows else "No plugin adds commands.")
    return 0


async def _dispatch(func: Handler, settings: Settings, args: argparse.Namespace) -> int:
    from core.app import App

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
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        expected = tuple(
            getattr(sys.modules[module], name)
            for module, name in _EXPECTED_ERRORS.items()
            if module in sys.modules
        )
        if not isinstance(exc, expected):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _main(argv: list[str]) -> int:
    """Parse with the core's commands alone when the command is one of them (no plugin is
    imported), else with every plugin's too; then load the settings and run the command."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config", type=Path)
    pre.add_argument("command", nargs="?")
    known, _ = pre.parse_known_args(argv)
    if known.command is None or known.command in CORE_COMMANDS:
        args = build_parser().parse_args(argv)
        settings = _settings(known.config)
    else:
        settings = _settings(known.config)
        clis = _plugin_clis(settings, known.config)
        args = build_parser([register for _, register in clis]).parse_args(argv)
    if getattr(args, "sandbox", False):
        from core.testing.sandbox import run_sandbox

        return run_sandbox(settings, args)
    if not getattr(args, "needs_app", True):
        return int(args.func(settings, args))
    from core.loop import run

    if args.func is cmd_run:
        settings = with_shards(settings, args)
    return run(_dispatch(args.func, settings, args))


def _settings(config: Path | None) -> Settings:
    """Load and validate the settings, set up logging, and warn about stray variables."""
    from loguru import logger

    from core.logging import setup_logging
    from core.settings import load_settings, unknown_variables

    settings = load_settings(config)
    setup_logging(settings.logging)
    for warning in unknown_variables():
        logger.warning(warning)
    return settings


if __name__ == "__main__":
    sys.exit(main())
