"""The path of one interaction: check → rate limit → handler (with recovery) → reply, with events.

Every application command, autocomplete, component and modal interaction passes through
:meth:`Pipeline.handle`. A handler never calls audit or metrics: the pipeline emits
``dbsbm_command_completed`` / ``dbsbm_command_failed`` / ``dbsbm_security_event`` and they listen.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import disnake
from disnake.ext import commands
from disnake.interactions import (
    ApplicationCommandInteraction,
    Interaction,
    MessageInteraction,
    ModalInteraction,
)
from loguru import logger

from core import discord_limits
from core.compat import disnake as compat_disnake
from core.events import (
    CommandEvent,
    InteractionInfo,
    Outcome,
    RateLimitRequest,
    SecurityEvent,
)
from core.hooks import acall, emit
from core.logging import current_interaction
from core.ratelimit.messages import denial_message
from core.recovery import Degraded, HandledFailure, UserError, new_error_id, run_with_recovery
from core.responder import InteractionExpired, Responder, answers_publicly
from core.validation import ValidationError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from core.app import App
    from core.plugin import ComponentHandler

AUTO_DEFER_AFTER = 1.5
"""Seconds after an interaction's creation at which the pipeline defers it if unanswered:
Discord refuses a first answer after 3 s, and a defer from a busy event loop can take a while."""
DATABASE_BUDGET = 2.0
"""Seconds after an interaction's creation within which recovery from a lost database must have
decided, so that a member whose pick could not be stored is told so (with an error id) within
Discord's 3 s."""
DEDUPE_SIZE = 20_000
INTERNAL_ERROR = "Something went wrong on our side. Error id: `{error_id}` (tell an admin)."

#: The plugin whose interaction the current task is handling (``/reload`` pauses without
#: waiting for itself).
running_plugin: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "running_plugin", default=None
)


def _options(data: Any) -> dict[str, Any]:
    """Flatten a command's options (sub-commands become part of the name)."""
    out: dict[str, Any] = {}
    for opt in getattr(data, "options", None) or []:
        if opt.value is not None:
            value = opt.value
            if not isinstance(value, str | int | float):  # a protocol check is slow: plain first
                value = value.id if isinstance(value, disnake.abc.Snowflake) else value
            out[opt.name] = value
        elif opt.options:
            out.update(_options(opt))
    return out


def _qualified_name(data: Any) -> str:
    parts = [data.name]
    opts = getattr(data, "options", None) or []
    while opts and opts[0].type in (
        disnake.OptionType.sub_command,
        disnake.OptionType.sub_command_group,
    ):
        parts.append(opts[0].name)
        opts = opts[0].options
    return " ".join(parts)


class Pipeline:
    """Runs interactions; owns component routing, de-duplication and the reload gate."""

    def __init__(self, app: App):
        self.app = app
        self._components: dict[str, tuple[str, ComponentHandler]] = {}
        self._command_owners: dict[str, str] = {}
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._open = asyncio.Event()
        self._open.set()
        self._in_flight: dict[str, int] = {}
        self._left = asyncio.Event()

    # --- registries used by plugin contexts --------------------------------------------

    def add_component(self, prefix: str, plugin: str, handler: ComponentHandler) -> None:
        if ":" in prefix:
            raise ValueError(f"component prefix {prefix!r} may not contain ':'")
        owner = self._components.get(prefix)
        if owner is not None and owner[0] != plugin:
            raise ValueError(f"component prefix {prefix!r} is taken by plugin {owner[0]!r}")
        self._components[prefix] = (plugin, handler)

    def remove_component(self, prefix: str) -> None:
        self._components.pop(prefix, None)

    def component_prefixes(self) -> dict[str, str]:
        return {p: owner for p, (owner, _) in self._components.items()}

    def command_owner(self, name: str) -> str | None:
        return self._command_owners.get(name)

    def set_command_owner(self, name: str, plugin: str | None) -> None:
        if plugin is None:
            self._command_owners.pop(name, None)
        else:
            self._command_owners[name] = plugin

    # --- the reload gate --------------------------------------------------------------

    @asynccontextmanager
    async def paused(self, plugins: set[str] | None = None) -> AsyncIterator[None]:
        """Hold new interactions while a swap runs; wait for in-flight ones of ``plugins``
        (``None``: of every plugin).

        Interactions that arrive meanwhile wait (no "unknown command" gap) and run on the new
        code once the gate reopens; interactions already running finish on the old code. The
        interaction that asks for the pause (e.g. ``/reload``) is not waited for.
        """
        self._open.clear()
        own = running_plugin.get()
        try:
            names = set(self._in_flight) if plugins is None else plugins
            while any(self._in_flight.get(n, 0) > int(n == own) for n in names):
                self._left.clear()
                await self._left.wait()
            yield
        finally:
            self._open.set()

    def _enter(self, plugin: str) -> None:
        self._in_flight[plugin] = self._in_flight.get(plugin, 0) + 1

    def _leave(self, plugin: str) -> None:
        self._in_flight[plugin] -= 1
        self._left.set()

    # --- entry points (called by the bot) ------------------------------------------------

    async def on_command(self, inter: ApplicationCommandInteraction) -> None:
        received = asyncio.get_running_loop().time()
        await self._open.wait()
        command = self._command_table(inter.data.type).get(inter.data.name)
        name = _qualified_name(inter.data)
        Responder.install(inter, received=received, public=_public(command, name))
        info = self._info(inter, "command", name, _options(inter.data))
        if command is None:
            await self._reply(inter, "This command is not available right now.")
            return

        async def call() -> None:
            try:
                await command.invoke(inter)
                return
            except (commands.CommandInvokeError, commands.ConversionError) as exc:
                original = exc.original
            raise original from None  # outside the except block: no __context__ cycle

        await self.handle(inter, info, call)

    def _command_table(self, kind: disnake.ApplicationCommandType) -> Mapping[str, Any]:
        bot = self.app.bot
        if kind is disnake.ApplicationCommandType.chat_input:
            return bot.all_slash_commands
        if kind is disnake.ApplicationCommandType.user:
            return bot.all_user_commands
        if kind is disnake.ApplicationCommandType.message:
            return bot.all_message_commands
        return {}

    async def on_autocomplete(self, inter: ApplicationCommandInteraction) -> None:
        received = asyncio.get_running_loop().time()
        await self._open.wait()
        Responder.install(inter, received=received, public=False)
        command = self.app.bot.all_slash_commands.get(inter.data.name)
        if command is None:
            return
        token = current_interaction.set(inter.id)
        try:
            inter.application_command = command
            await compat_disnake.run_autocompleter(command, inter)
        except InteractionExpired:
            logger.warning("autocomplete of /{} was not answered within 3 s", inter.data.name)
        except Exception:
            logger.opt(exception=True).warning("autocomplete of /{} failed", inter.data.name)
            if not inter.response.is_done():
                with contextlib.suppress(InteractionExpired, disnake.HTTPException):
                    await inter.response.autocomplete(choices=[])
        finally:
            current_interaction.reset(token)

    async def on_component(self, inter: MessageInteraction | ModalInteraction) -> None:
        received = asyncio.get_running_loop().time()
        custom_id = inter.data.custom_id
        prefix, sep, rest = custom_id.partition(":")
        await self._open.wait()  # before the lookup: a reload removes and re-adds prefixes
        if not sep or prefix not in self._components:
            return  # a disnake View or wait_for() owns it
        plugin, handler = self._components[prefix]
        Responder.install(inter, received=received, public=False)
        kind = "modal" if isinstance(inter, ModalInteraction) else "component"
        values = getattr(inter.data, "values", None)  # a modal's data is a dict: .values()
        options = {"values": list(values) if isinstance(values, list) else []}
        info = self._info(inter, kind, prefix, options, plugin=plugin)
        await self.handle(inter, info, lambda: handler(inter, rest))

    # --- the pipeline itself ------------------------------------------------------------

    def _info(
        self,
        inter: Interaction,
        kind: str,
        command: str,
        options: dict[str, Any],
        plugin: str | None = None,
    ) -> InteractionInfo:
        name = command.split(" ", 1)[0]
        return InteractionInfo(
            interaction_id=inter.id,
            kind=kind,
            plugin=plugin or self._command_owners.get(name),
            command=command,
            user_id=inter.author.id,
            guild_id=inter.guild_id,
            channel_id=inter.channel_id,
            options=options,
            is_owner=self.app.is_owner(inter.author.id),
            shard_id=getattr(inter.guild, "shard_id", None) if inter.guild else None,
        )

    def _first_delivery(self, interaction_id: int) -> bool:
        if interaction_id in self._seen:
            return False
        self._seen[interaction_id] = None
        if len(self._seen) > DEDUPE_SIZE:
            self._seen.popitem(last=False)
        return True

    async def handle(
        self, inter: Interaction, info: InteractionInfo, call: Callable[[], Awaitable[Any]]
    ) -> None:
        """Run ``call`` for ``inter`` through checks, limits and recovery, then emit events.

        The automatic defer is due :data:`AUTO_DEFER_AFTER` seconds after the interaction was
        created, whether the time goes to the handler or to the checks before it (a stalled
        Redis holds the duplicate claim and the rate limit)."""
        token = current_interaction.set(inter.id)
        started = time.perf_counter()
        plugin = info.plugin or "core"
        self._enter(plugin)
        running = running_plugin.set(plugin)
        responder = _responder(inter)
        deferrer = asyncio.get_running_loop().call_at(
            responder.received + AUTO_DEFER_AFTER,
            lambda: asyncio.ensure_future(self._auto_defer(responder)),
        )
        try:
            outcome, message = await self._gate(inter, info)
            if outcome is Outcome.OK:
                await self._invoke(inter, info, call, started)
                return
            deferrer.cancel()  # a duplicate must not answer for the first delivery
            if message:
                await self._reply(inter, message)
            await self._completed(info, outcome, started, message=message)
        finally:
            deferrer.cancel()
            self._leave(plugin)
            running_plugin.reset(running)
            current_interaction.reset(token)

    async def _gate(self, inter: Interaction, info: InteractionInfo) -> tuple[Outcome, str | None]:
        """Duplicate, command-check and rate-limit decisions before the handler runs."""
        if not self._first_delivery(inter.id) or not await self.app.claim_interaction(inter.id):
            logger.info("duplicate delivery of interaction {} ignored", inter.id)
            return Outcome.DUPLICATE, None
        hook = self.app.pm.hook
        denial = await acall(hook.dbsbm_command_check, info=info)
        if denial is not None:
            await self._report("command_refused", info, denial.reason)
            return Outcome.DENIED, denial.message
        bucket = (
            info.command
            if info.kind in ("command", "autocomplete")
            else f"{info.plugin}:{info.command}"
        )
        decision = await acall(
            hook.dbsbm_rate_limit_check, request=RateLimitRequest(info=info, bucket_key=bucket)
        )
        if decision is not None and not decision.allowed:
            return Outcome.RATE_LIMITED, denial_message(decision)
        return Outcome.OK, None

    async def _report(self, kind: str, info: InteractionInfo, why: str) -> None:
        """A security event about the interaction: ``/command: why``."""
        event = SecurityEvent(
            kind=kind,
            user_id=info.user_id,
            guild_id=info.guild_id,
            detail=f"/{info.command}: {why}",
        )
        await emit(self.app.pm.hook.dbsbm_security_event, event=event)

    async def _invoke(
        self,
        inter: Interaction,
        info: InteractionInfo,
        call: Callable[[], Awaitable[Any]],
        started: float,
    ) -> None:
        responder = _responder(inter)
        hook = self.app.pm.hook
        try:
            await run_with_recovery(
                self.app.pm,
                info,
                call,
                reconnect=self.app.reconnect_database,
                deadline=responder.received + DATABASE_BUDGET,
            )
        except InteractionExpired as exc:
            await self._unanswered(info, started, exc)
        except ValidationError as exc:
            await self._reply(inter, exc.user_message)
            await self._report("validation_rejected", info, exc.user_message)
            await self._completed(info, Outcome.REJECTED, started, message=exc.user_message)
        except UserError as exc:
            await self._reply(inter, str(exc))
            await self._completed(info, Outcome.REJECTED, started, message=str(exc))
        except (HandledFailure, Degraded) as failure:
            text = failure.user_message or INTERNAL_ERROR.format(error_id=failure.error_id)
            if failure.error_id not in text:
                text = f"{text} (error id `{failure.error_id}`)"
            await self._reply(inter, text)
            event = CommandEvent(
                info=info,
                outcome=Outcome.UNANSWERED if responder.expired else Outcome.FAILED,
                latency=time.perf_counter() - started,
                error_id=failure.error_id,
                error_type=type(failure.original).__name__,
                message=text,
            )
            await emit(hook.dbsbm_command_failed, event=event)
        else:
            await self._completed(info, Outcome.OK, started)

    async def _unanswered(
        self, info: InteractionInfo, started: float, exc: InteractionExpired
    ) -> None:
        """The interaction could not be acknowledged in time: log it and count it as failed."""
        error_id = new_error_id()
        logger.error(
            "error {} — interaction {} (/{}) was not acknowledged within Discord's 3 s; "
            "the member saw it fail",
            error_id,
            info.interaction_id,
            info.command,
        )
        event = CommandEvent(
            info=info,
            outcome=Outcome.UNANSWERED,
            latency=time.perf_counter() - started,
            error_id=error_id,
            error_type=type(exc).__name__,
        )
        await emit(self.app.pm.hook.dbsbm_command_failed, event=event)

    async def _completed(
        self, info: InteractionInfo, outcome: Outcome, started: float, message: str | None = None
    ) -> None:
        event = CommandEvent(
            info=info, outcome=outcome, latency=time.perf_counter() - started, message=message
        )
        await emit(self.app.pm.hook.dbsbm_command_completed, event=event)

    @staticmethod
    async def _auto_defer(responder: Responder) -> None:
        try:
            await responder.auto_defer()
        except (disnake.HTTPException, InteractionExpired):
            pass  # the handler's own answer meets the same fate and is counted there

    @staticmethod
    async def _reply(inter: Interaction, text: str) -> None:
        """Send an ephemeral message: the answer, the end of a defer, or a followup."""
        if _responder(inter).expired:
            return
        try:
            await inter.send(discord_limits.fit_text(text, discord_limits.CONTENT), ephemeral=True)
        except (disnake.HTTPException, InteractionExpired):
            logger.opt(exception=True).warning("could not reply to interaction {}", inter.id)


def _responder(inter: Interaction) -> Responder:
    """The interaction's responder (installed when the pipeline received it)."""
    response = inter.response
    if not isinstance(response, Responder):
        response = Responder.install(
            inter, received=asyncio.get_running_loop().time(), public=False
        )
    return response


def _public(command: Any, name: str) -> bool:
    """Whether ``command`` (or the sub-command ``name`` names) declares public answers."""
    if command is None:
        return False
    node = command
    for part in name.split(" ")[1:]:
        node = getattr(node, "children", {}).get(part, node)
    return answers_publicly(node) or answers_publicly(command)
