"""``dbsbm sandbox``: the bot and a local Discord in the terminal, typed or scripted.

The real :class:`~core.app.App` starts with the operator's settings (their database and cache,
the enabled plugins) and connects to a :class:`~core.testing.LocalDiscord` on loopback; the user
acts as the guild's owner, who is also the bot's owner, and can switch to the members Alice
(Managers) and Bob. Lines use the syntax of :mod:`core.testing.script`; the bot's answers are
rendered by :mod:`core.testing.render`, and files the bot sends are saved under
``<data_dir>/sandbox/``. See ``docs/SANDBOX.md``.

Each line waits until the pipeline has finished the interaction (its completed/failed event),
so everything the handler sent is shown with the line that caused it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import re
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from loguru import logger

from core.app import App
from core.database import DatabaseError
from core.events import CommandEvent, Outcome
from core.hookspecs import hookimpl
from core.logging import HUMAN_FORMAT, setup_logging
from core.plugin import PluginError
from core.settings import ConfigError, Settings
from core.testing.client import bot_kwargs, connect_bot
from core.testing.driver import Actor, Message, Modal, Response
from core.testing.interactions import BotDidNotAnswer
from core.testing.limits import refusal_text
from core.testing.render import BUTTON, Numbered, Renderer, form_fields, numbered
from core.testing.script import (
    GRAMMAR,
    ActAs,
    ActIn,
    Blank,
    Choose,
    Comment,
    Help,
    Line,
    Pick,
    Press,
    Quit,
    ScriptError,
    Slash,
    SubmitModal,
    command_options,
    convert_options,
    parse_line,
    usage_lines,
)
from core.testing.server import LocalDiscord
from core.testing.spec import default_spec_path
from core.testing.state import EPHEMERAL, Member
from core.testing.visitor import allow_login, dashboard_settings

if TYPE_CHECKING:
    from loguru import Record

#: Seconds a line may take, from sending the interaction to the pipeline's finished event.
ANSWER_TIMEOUT = 15.0
LISTENER_NAME = "core.sandbox"


class _Listener:
    """Hook listener: the pipeline's finished events by interaction id."""

    def __init__(self) -> None:
        self._finished: dict[int, asyncio.Future[CommandEvent]] = {}

    def finished(self, interaction_id: int) -> asyncio.Future[CommandEvent]:
        """The future of the interaction's finished event (it may have come already)."""
        future = self._finished.get(interaction_id)
        if future is None:
            future = self._finished[interaction_id] = asyncio.get_running_loop().create_future()
        return future

    def forget(self, interaction_id: int) -> None:
        self._finished.pop(interaction_id, None)

    @hookimpl
    def dbsbm_command_completed(self, event: CommandEvent) -> None:
        """The interaction finished, completed or failed alike."""
        future = self.finished(event.info.interaction_id)
        if not future.done():
            future.set_result(event)

    dbsbm_command_failed = dbsbm_command_completed


class Session:
    """One sandbox session: who acts where, what was shown, and how each line runs."""

    def __init__(self, discord: LocalDiscord, files_dir: Path, out: TextIO) -> None:
        self.discord = discord
        self.out = out
        self.renderer = Renderer(discord.world, files_dir)
        self.actor: Actor = discord.member(discord.owner.name)
        self.listener = _Listener()
        #: Whether a member types at a prompt (then a notice redraws it).
        self.interactive = False
        #: Messages shown, oldest first, with the member who alone sees it (ephemeral) or None.
        self._shown: list[tuple[int, int | None]] = []
        #: The form the bot last opened for each member.
        self._modals: dict[int, Modal] = {}

    def print(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.out)
        self.out.flush()

    def notice(self, record: Record) -> None:
        """Show a plugin lifecycle record (:data:`core.reloader.lifecycle`) once, in the log's
        words, then redraw the prompt a member may be typing at."""
        self.print(f"\n  ({record['message']})" if self.interactive else f"  ({record['message']})")
        if self.interactive:
            print(self.prompt, end="", file=self.out, flush=True)

    @contextlib.contextmanager
    def showing_lifecycle(self) -> Iterator[None]:
        """Show every plugin lifecycle record logged in the block as a :meth:`notice`."""
        sink = logger.add(
            lambda message: self.notice(message.record),
            level="INFO",
            filter=_is_lifecycle,
            format="{message}",
        )
        try:
            yield
        finally:
            logger.remove(sink)

    @property
    def prompt(self) -> str:
        channel = self.actor.channel.name
        suffix = "" if channel == "general" else f" in #{channel}"
        return f"{self.actor.member.name}{suffix}> "

    async def run(self, text: str) -> tuple[bool, str | None]:
        """Run one line and print its outcome; returns (go on, failure or None)."""
        try:
            return await self._run(parse_line(text))
        except (ScriptError, BotDidNotAnswer) as exc:
            self.print(f"  ! {exc}")
            return True, str(exc)

    async def _run(self, line: Line) -> tuple[bool, str | None]:
        if isinstance(line, Quit):
            return False, None
        if isinstance(line, Blank | Comment):
            return True, None
        if isinstance(line, Help):
            self.print(*self._help(line.command))
        elif isinstance(line, ActAs):
            self.actor = Actor(self.discord, self._member(line.member), self.actor.channel)
            self.print(f"  (now acting as {self.actor.member.name})")
        elif isinstance(line, ActIn):
            self.actor = self.actor.in_channel(self._channel(line.channel))
            self.print(f"  (now in #{self.actor.channel.name})")
        elif isinstance(line, Slash):
            return True, await self._slash(line)
        elif isinstance(line, Press):
            return True, await self._press(line.target)
        elif isinstance(line, Choose):
            return True, await self._choose(line.targets)
        elif isinstance(line, Pick):
            return True, await self._pick(line.numbers)
        elif isinstance(line, SubmitModal):
            return True, await self._submit(dict(line.values))
        return True, None

    # --- who and where -----------------------------------------------------------------

    def _member(self, name: str) -> Member:
        members = self.actor.member.guild.members
        found = [m for m in members if m.name.lower() == name.lower() and not m.user.bot]
        if not found:
            known = ", ".join(m.name for m in members if not m.user.bot)
            raise ScriptError(f"no member {name!r}; members: {known}")
        return found[0]

    def _channel(self, name: str) -> int:
        channels = self.actor.member.guild.channels
        found = [c for c in channels if c.name.lower() == name.lower()]
        if not found:
            raise ScriptError(
                f"no channel #{name}; channels: {', '.join(c.name for c in channels)}"
            )
        return found[0].id

    def _help(self, command: str | None) -> list[str]:
        guild_id = self.actor.member.guild.id
        world = self.discord.world
        if command is not None:
            body = self._command_body(command.split()[0])
            return [f"  {line}" for line in usage_lines(body, descriptions=True)]
        registered = sorted(
            [*world.commands_of(None), *world.commands_of(guild_id)], key=lambda c: c.name
        )
        lines = ["Lines:", GRAMMAR, "", "Commands (help /name shows one's options):"]
        lines += [f"  /{c.name:<14} {c.body.get('description', '')}" for c in registered]
        return lines

    # --- slash commands ----------------------------------------------------------------

    def _command_body(self, name: str) -> dict[str, Any]:
        try:
            return self.discord.world.find_command(self.actor.member.guild.id, name).body
        except LookupError:
            raise ScriptError(f"/{name} is not a command here; type help for the list") from None

    async def _slash(self, line: Slash) -> str | None:
        body = self._command_body(line.path[0])
        if line.autocomplete:
            focused = line.options[-1][0]
            options = convert_options(body, line, focused=focused)
            choices = await self._driver(
                lambda: self.actor.autocomplete(
                    *line.path, focused=focused, within=ANSWER_TIMEOUT, **options
                )
            )
            self.print(*self.renderer.choices(focused, choices))
            return None
        options = convert_options(body, line)
        for option in command_options(body, line.path):
            if option.get("autocomplete") and option["name"] in options:
                options[option["name"]] = await self._suggested(line, option["name"], options)
        return await self._interact(lambda: self.actor.slash(*line.path, **options))

    async def _suggested(self, line: Slash, name: str, options: dict[str, Any]) -> Any:
        """What a member in Discord sends after typing ``options[name]``: the value of the
        bot's choice named exactly so, else of its only choice, else the typed text."""
        typed = str(options[name])
        others = {k: v for k, v in options.items() if k != name}
        choices = await self._driver(
            lambda: self.actor.autocomplete(
                *line.path, focused=name, within=ANSWER_TIMEOUT, **others, **{name: typed}
            )
        )
        exact = [c for c in choices if c.name.lower() == typed.lower()]
        found = exact or (choices if len(choices) == 1 else [])
        return found[0].value if found else options[name]

    @staticmethod
    async def _driver(call: Callable[[], Awaitable[Any]]) -> Any:
        """Run a driver call; its refusals (unknown option, bad value) become line errors."""
        try:
            return await call()
        except (LookupError, ValueError, TypeError, AssertionError) as exc:
            raise ScriptError(str(exc).strip("'\"")) from None

    # --- buttons, menus and forms ------------------------------------------------------

    def _latest(self, has: Callable[[list[Numbered]], bool], what: str) -> Message:
        """The latest shown message the actor can see whose numbered items satisfy ``has``."""
        me = self.actor.member.id
        for message_id, viewer in reversed(self._shown):
            raw = self.discord.world.messages.get(message_id)
            if raw is None or viewer not in (None, me):
                continue
            message = Message.from_wire(raw, self.discord)
            if has(numbered(message)):
                return message
        raise ScriptError(f"no message with {what} that {self.actor.member.name} can see")

    async def _press(self, target: str) -> str | None:
        message = self._latest(lambda items: any(i.option_value is None for i in items), "buttons")
        buttons = [i for i in numbered(message) if i.option_value is None]
        found = [b for b in buttons if str(b.number) == target or b.label.lower() == target.lower()]
        if not found:
            known = ", ".join(f"{b.number} {b.label}" for b in buttons)
            raise ScriptError(f"no button {target!r} on the latest message; its buttons: {known}")
        return await self._click(message, found[0])

    async def _click(self, message: Message, button: Numbered) -> str | None:
        if button.component.disabled:
            raise ScriptError(f"the button {button.label!r} is disabled")
        custom_id = button.component.custom_id
        return await self._interact(lambda: self.actor.click(message, custom_id=custom_id))

    async def _choose(self, targets: tuple[str, ...]) -> str | None:
        message = self._latest(lambda items: any(i.option_value for i in items), "a menu")
        options = [i for i in numbered(message) if i.option_value is not None]
        chosen: list[Numbered] = []
        for target in targets:
            found = [
                o
                for o in options
                if target == str(o.number)
                or target.lower() in (o.label.lower(), (o.option_value or "").lower())
            ]
            if not found:
                known = ", ".join(f"{o.number} {o.label}" for o in options)
                raise ScriptError(f"no option {target!r} in the latest menu; options: {known}")
            chosen.append(found[0])
        return await self._select(message, chosen)

    async def _pick(self, numbers: tuple[int, ...]) -> str | None:
        message = self._latest(bool, "numbered buttons or menus")
        items = {i.number: i for i in numbered(message)}
        if missing := [n for n in numbers if n not in items]:
            raise ScriptError(
                f"the latest message has no item {missing[0]} (it has 1 to {len(items)})"
            )
        picked = [items[n] for n in numbers]
        if picked[0].component.type == BUTTON:
            if len(picked) > 1:
                raise ScriptError("pick one button at a time")
            return await self._click(message, picked[0])
        return await self._select(message, picked)

    async def _select(self, message: Message, chosen: list[Numbered]) -> str | None:
        menu = chosen[0].component
        if any(c.component != menu for c in chosen):
            raise ScriptError("choose options of one menu at a time")
        low, high = menu.raw.get("min_values", 1), menu.raw.get("max_values", 1)
        if not low <= len(chosen) <= high:
            raise ScriptError(f"this menu takes {low} to {high} option(s), not {len(chosen)}")
        if menu.disabled:
            raise ScriptError("this menu is disabled")
        values = [str(c.option_value) for c in chosen]
        return await self._interact(
            lambda: self.actor.select(message, values, custom_id=menu.custom_id)
        )

    async def _submit(self, given: dict[str, str]) -> str | None:
        modal = self._modals.get(self.actor.member.id)
        if modal is None:
            raise ScriptError(
                f"no form is open for {self.actor.member.name}; a command or button opens one"
            )
        fields = form_fields(modal.raw)
        values: dict[str, str] = {}
        for name, value in given.items():
            field = next(
                (f for f in fields if name.lower() in (f.custom_id.lower(), f.label.lower())),
                None,
            )
            if field is None:
                known = ", ".join(f.custom_id for f in fields)
                raise ScriptError(f"the form has no field {name!r}; its fields: {known}")
            values[field.custom_id] = value
        if missing := [f.custom_id for f in fields if f.required and f.custom_id not in values]:
            raise ScriptError(f"fill in the required field(s): {', '.join(missing)}")
        del self._modals[self.actor.member.id]
        return await self._interact(lambda: self.actor.submit_modal(modal, **values))

    # --- one interaction -----------------------------------------------------------------

    async def _interact(self, send: Callable[[], Awaitable[Response]]) -> str | None:
        """Send an interaction, wait until the pipeline finished it, print what changed.

        Returns a failure (the bot crashed, never answered, or did not finish) or None.
        """
        world = self.discord.world
        before = copy.deepcopy(world.messages)
        requests, violations = len(self.discord.requests), len(self.discord.spec_violations)
        response: Response = await self._driver(send)
        record = response.record
        failure: str | None = None
        try:
            event = await asyncio.wait_for(self.listener.finished(record.id), ANSWER_TIMEOUT)
        except TimeoutError:
            event = None
            failure = f"the bot did not finish within {ANSWER_TIMEOUT:g}s (see the log)"
        finally:
            self.listener.forget(record.id)
        shown = self._print_changes(before)
        callback = record.callback
        if callback is not None and callback["type"] == 9:
            reply = await response.wait_reply()
            if reply.modal is not None:
                self._modals[self.actor.member.id] = reply.modal
                self.print(*self.renderer.modal(reply.modal.raw))
        elif not shown and callback is not None:
            self.print("  (nothing visible changed)")
        refusals = self._refusals(requests, violations)
        for refusal in refusals:
            self.print(f"  ! {refusal}")
        if event is not None and event.outcome is Outcome.FAILED:
            failure = f"the bot failed ({event.error_type}, error id {event.error_id})"
        elif callback is None and failure is None:
            failure = "the bot never answered (Discord would say: This interaction failed)"
        if failure:
            self.print(f"  ! {failure}")
        return failure or (refusals[0] if refusals else None)

    def _refusals(self, requests: int, violations: int) -> list[str]:
        """What Discord would refuse of the bot's requests after the first ``requests`` (and
        ``violations`` of the OpenAPI check): the local Discord's refusals (a 4xx answer, but
        for a 429 the client waits out) in Discord's words, then the requests it served that
        Discord's OpenAPI description rejects."""
        made = [r for r in self.discord.requests[requests:] if r.status != 429]
        refused = [(r.method, r.path, r.refusal) for r in made if r.refusal is not None]
        lines = [
            f"Discord refused {method} {_route(path)}: {refusal_text(body)}"
            for method, path, body in refused
        ]
        said = {(method, path) for method, path, _ in refused}
        lines += [
            f"Discord would refuse {v.method} {_route(v.path)}: {v.error}"
            for v in self.discord.spec_violations[violations:]
            if (v.method, v.path) not in said
        ]
        return lines

    def _print_changes(self, before: dict[int, dict[str, Any]]) -> bool:
        """Print the messages that are new, edited or deleted since ``before``; any?"""
        world = self.discord.world
        me = self.actor.member
        viewers = dict(self._shown)
        changed = False
        for message_id in sorted(world.messages):
            raw = world.messages[message_id]
            if before.get(message_id) == raw:
                continue
            changed = True
            if message_id in viewers:
                viewer = viewers[message_id]
            else:  # sent during this line, or in the background since the last one
                viewer = me.id if raw["flags"] & EPHEMERAL else None
                self._shown.append((message_id, viewer))
            message = Message.from_wire(raw, self.discord)
            header = self._header(raw, message_id not in before, viewer)
            self.print(*self.renderer.message(message, header))
        for message_id in before.keys() - world.messages.keys():
            if message_id in viewers:
                changed = True
                self.print("  bot deleted a message it had sent")
        return changed

    def _header(self, raw: dict[str, Any], new: bool, viewer: int | None) -> str:
        world = self.discord.world
        author = (
            "bot" if int(raw["author"]["id"]) == world.bot_user.id else raw["author"]["username"]
        )
        parts = [f"  {author}" if new else f"  {author} edited a message"]
        channel = world.find_channel(int(raw["channel_id"]))
        if channel is not None and channel.id != self.actor.channel.id:
            parts.append(
                f"in DM to {channel.name}" if channel.guild is None else f"in #{channel.name}"
            )
        if viewer is not None:
            user = world.find_user(viewer)
            parts.append(f"(only {user.name if user else 'you'} sees this)")
        return " ".join(parts) + ":"


# --- the command -------------------------------------------------------------------------


def sandbox_settings(settings: Settings, discord: LocalDiscord, *, watch: bool) -> Settings:
    """The operator's settings for the sandbox: their database and cache, the web server on a
    free port, the local Discord's owner as a bot owner, the dashboard logging in through the
    local Discord, and hot reload ``watch``."""
    out = settings.model_copy(deep=True)
    owners = [*out.discord.owner_ids, discord.owner.id]
    out.discord = out.discord.model_copy(update={"owner_ids": owners, "guild_ready_timeout": 0.05})
    out.plugins = {
        **out.plugins,
        "dashboard": {**out.plugins.get("dashboard", {}), **dashboard_settings(discord)},
    }
    out.web = out.web.model_copy(update={"port": 0})
    out.reload = out.reload.model_copy(update={"watch": watch})
    return out


def _banner(app: App, discord: LocalDiscord, log_file: Path, script: str | None) -> list[str]:
    guild = discord.guild
    members = []
    for member in guild.members:
        if member.user.bot:
            continue
        roles = ", ".join(r.name for r in member.roles)
        role_text = f" ({roles})" if roles else ""
        owner = " (you: server and bot owner)" if member.user is discord.owner else role_text
        members.append(member.name + owner)
    records = app.plugins.records
    loaded = [
        f"{name} {plugin.version}" if (plugin := records[name].plugin) else name
        for name in app.plugins.loaded()
    ]
    lines = [
        f"DBSBM sandbox: a local Discord at {discord.url} (nothing leaves this machine)",
        f'Server "{guild.name}": channels {", ".join("#" + c.name for c in guild.channels)}; '
        f"members {', '.join(members)}",
        f"Plugins: {', '.join(loaded) or 'none'}",
    ]
    lines += [
        f"  not loaded: {name}: {record.error}"
        for name, record in sorted(records.items())
        if record.error
    ]
    if app.plugins.is_loaded("dashboard") and app.web.port is not None:
        lines.append(f"Dashboard: {app.web.url} (log in as any member on the local Discord's page)")
    watch = "on" if app.settings.reload.watch else "off"
    lines.append(f"Database: {app.db.masked_url}; log: {log_file}; hot reload: {watch}")
    lines.append(f"Running {script}" if script else "Type help for what you can do, quit to leave.")
    return [*lines, ""]


async def _read_line(prompt: str) -> str | None:
    """``input(prompt)`` on a daemon thread (so Ctrl-C and exit never wait for it); None at EOF."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def read() -> None:
        try:
            text: str | None = input(prompt)
        except (EOFError, KeyboardInterrupt):
            text = None

        def deliver() -> None:
            if not future.done():
                future.set_result(text)

        if not loop.is_closed():
            loop.call_soon_threadsafe(deliver)

    threading.Thread(target=read, name="sandbox input", daemon=True).start()
    return await future


async def _interactive(session: Session) -> int:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    while True:
        text = await _read_line(session.prompt)
        if text is None:
            session.print("")
            return 0
        go_on, _ = await session.run(text)
        if not go_on:
            return 0


async def _script(session: Session, lines: list[str]) -> int:
    failures: list[str] = []
    for number, text in enumerate(lines, start=1):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            session.print(stripped)
            continue
        session.print(f"{session.prompt}{stripped}")
        go_on, failure = await session.run(stripped)
        if failure is not None:
            failures.append(f"line {number}: {stripped}\n    {failure}")
        if not go_on:
            break
    session.print("")
    if failures:
        session.print(f"{len(failures)} line(s) failed:", *(f"  {f}" for f in failures))
        return 1
    session.print("Every line ran.")
    return 0


async def run_session(
    settings: Settings,
    *,
    script: list[str] | None,
    script_name: str | None = None,
    config_file: Path | None = None,
    out: TextIO | None = None,
    log_file: Path,
) -> int:
    """Start the local Discord and the App, then run ``script``'s lines (or read lines from
    stdin when it is None); returns the exit code."""
    spec = default_spec_path()  # requests are checked against it where it is installed
    async with LocalDiscord(spec=spec if spec.is_file() else False) as discord:
        configured = sandbox_settings(settings, discord, watch=script is None)
        app = App(configured, config_file=config_file, bot_kwargs=bot_kwargs(discord))
        try:
            await app.start()
            if app.web.port is not None:
                allow_login(discord, app.web.url)
            async with connect_bot(app.bot, discord):
                files = configured.data_dir / "sandbox"
                session = Session(discord, files, out or sys.stdout)
                app.pm.register(session.listener, name=LISTENER_NAME)
                session.print(*_banner(app, discord, log_file, script_name))
                session.interactive = script is None
                with session.showing_lifecycle():
                    if script is None:
                        return await _interactive(session)
                    return await _script(session, script)
        finally:
            await app.close()


def run_sandbox(settings: Settings, args: argparse.Namespace) -> int:
    """``dbsbm sandbox [--script FILE]``: returns the exit code (0: every line ran)."""
    script_file: Path | None = getattr(args, "script", None)
    lines = None
    if script_file is not None:
        try:
            lines = script_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            print(f"error: cannot read the script {script_file}: {exc.strerror}", file=sys.stderr)
            return 2
    log_file = settings.data_dir / "sandbox" / "sandbox.log"
    _log_to_file(settings, log_file)
    try:
        return asyncio.run(
            run_session(
                settings,
                script=lines,
                script_name=str(script_file) if script_file else None,
                config_file=getattr(args, "config", None),
                log_file=log_file,
            )
        )
    except (ConfigError, PluginError, DatabaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        setup_logging(settings.logging)  # the usual logging again


def _log_to_file(settings: Settings, log_file: Path) -> None:
    """Log to ``log_file``, and only errors to stderr, so the log does not mix with the
    transcript."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    setup_logging(settings.logging, sink=log_file)
    logger.add(
        sys.stderr,
        level="ERROR",
        format=HUMAN_FORMAT,
        filter=lambda record: not _is_lifecycle(record),  # the session shows those once
        backtrace=False,
        diagnose=False,
    )


def _route(path: str) -> str:
    """A request's path with its interaction or webhook token shown as ``{token}``."""
    return re.sub(r"/[^/]{33,}(?=/|$)", "/{token}", path)


def _is_lifecycle(record: Record) -> bool:
    return bool(record["extra"].get("lifecycle"))
