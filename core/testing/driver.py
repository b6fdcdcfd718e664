"""Act as a guild member: run slash commands, autocomplete, click, select, submit modals.

    alice = discord.member("Alice")
    response = await alice.slash("bet", "straight", team="X", odds=-110)
    reply = await response.wait_reply()          # the callback: reply.message, reply.deferred...
    edited = await response.wait_edit()          # the next edit of @original
    clicked = await alice.click(edited, "Confirm")

Every ``wait_*`` waits on the local Discord's events (never polls) and fails with
:class:`BotDidNotAnswer` after ``within`` seconds. The defaults follow Discord's deadlines, not a
guess at the bot's speed: an answer (the callback) must come within 3 s, and a deferred answer
counts as one; its content may follow later (``FINISH_WITHIN``), as the pipeline's automatic
defer makes it do on a busy machine.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from core.testing.interactions import BotDidNotAnswer, InteractionRecord
from core.testing.messages import Uploads, created_event, new_message
from core.testing.rest import LOADING
from core.testing.state import (
    ALL_PERMISSIONS,
    EPHEMERAL,
    ApplicationCommand,
    Channel,
    Guild,
    Member,
    Role,
    StoredFile,
    User,
    snowflake,
)

if TYPE_CHECKING:
    from core.testing.server import LocalDiscord

DEFAULT_TIMEOUT = 3.0
"""Discord's deadline for the first answer to an interaction, seconds."""
FINISH_WITHIN = 30.0
"""How long :meth:`Response.wait_reply` waits for a deferred answer's content, seconds."""
_SUBCOMMAND, _GROUP = 1, 2
_STRING, _INTEGER, _BOOLEAN, _USER, _CHANNEL, _ROLE, _MENTIONABLE, _NUMBER, _ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
_BUTTON, _STRING_SELECT, _TEXT_INPUT, _LABEL = 2, 3, 4, 18


# views of what the bot sent


@dataclass(frozen=True)
class SelectOption:
    label: str
    value: str
    description: str | None = None
    default: bool = False


@dataclass(frozen=True)
class Component:
    """A button, select menu or text input, taken out of its action row."""

    type: int
    custom_id: str | None
    label: str | None = None
    style: int | None = None
    url: str | None = None
    disabled: bool = False
    placeholder: str | None = None
    options: tuple[SelectOption, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Component:
        return cls(
            type=data["type"],
            custom_id=data.get("custom_id"),
            label=data.get("label"),
            style=data.get("style"),
            url=data.get("url"),
            disabled=bool(data.get("disabled")),
            placeholder=data.get("placeholder"),
            options=tuple(
                SelectOption(o["label"], o["value"], o.get("description"), bool(o.get("default")))
                for o in data.get("options", [])
            ),
            raw=data,
        )


@dataclass(frozen=True)
class EmbedField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Embed:
    """The parts of an embed a test usually checks; ``raw`` has all of it."""

    title: str | None
    description: str | None
    url: str | None
    color: int | None
    fields: tuple[EmbedField, ...]
    footer: str | None
    author: str | None
    raw: Mapping[str, Any] = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Embed:
        return cls(
            title=data.get("title"),
            description=data.get("description"),
            url=data.get("url"),
            color=data.get("color"),
            fields=tuple(
                EmbedField(f["name"], f["value"], bool(f.get("inline")))
                for f in data.get("fields", [])
            ),
            footer=(data.get("footer") or {}).get("text"),
            author=(data.get("author") or {}).get("name"),
            raw=data,
        )


@dataclass(frozen=True)
class Attachment:
    """A file: one the bot sent, or one a member passes as an attachment option."""

    name: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Message:
    """A message as members see it now (``raw`` is the wire object)."""

    id: int
    channel_id: int
    content: str
    embeds: tuple[Embed, ...]
    components: tuple[Component, ...]
    ephemeral: bool
    files: tuple[Attachment, ...]
    raw: Mapping[str, Any] = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any], discord: LocalDiscord) -> Message:
        files = []
        for attachment in data.get("attachments", []):
            stored = discord.world.files[int(attachment["id"])]
            files.append(Attachment(stored.filename, stored.data, stored.content_type))
        return cls(
            id=int(data["id"]),
            channel_id=int(data["channel_id"]),
            content=data.get("content") or "",
            embeds=tuple(Embed.from_wire(e) for e in data.get("embeds") or []),
            components=tuple(Component.from_wire(c) for c in _walk(data.get("components") or [])),
            ephemeral=bool(data["flags"] & EPHEMERAL),
            files=tuple(files),
            raw=data,
        )

    def component(self, label: str | None = None, *, custom_id: str | None = None) -> Component:
        """The component with this label or custom_id."""
        for component in self.components:
            if (custom_id is None or component.custom_id == custom_id) and (
                label is None or component.label == label
            ):
                return component
        known = [(c.label, c.custom_id) for c in self.components]
        msg = f"No component label={label!r} custom_id={custom_id!r} on the message; has {known}"
        raise LookupError(msg)


@dataclass(frozen=True)
class Choice:
    """An autocomplete choice."""

    name: str
    value: str | int | float


@dataclass(frozen=True)
class Modal:
    """A modal the bot opened; submit it with :meth:`Actor.submit_modal`."""

    custom_id: str
    title: str
    fields: tuple[Component, ...]
    raw: Mapping[str, Any] = field(compare=False, repr=False)
    source: InteractionRecord = field(compare=False, repr=False)


@dataclass(frozen=True)
class Callback:
    """The bot's answer to an interaction (``POST /interactions/.../callback``).

    ``type``: 1 pong, 4 message, 5 deferred message, 6 deferred update, 7 update message,
    8 autocomplete choices, 9 modal.
    """

    type: int
    data: Mapping[str, Any]
    message: Message | None
    choices: tuple[Choice, ...] = ()
    modal: Modal | None = None

    @property
    def deferred(self) -> bool:
        return self.type in (5, 6)

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & EPHEMERAL)


class Response:
    """A handle on one interaction and on everything the bot does in reply."""

    def __init__(self, discord: LocalDiscord, record: InteractionRecord) -> None:
        self._discord = discord
        self.record = record
        self._edits_seen = 0
        self._followups_seen = 0

    @property
    def interaction_id(self) -> int:
        return self.record.id

    async def wait_reply(
        self, within: float = DEFAULT_TIMEOUT, finish_within: float = FINISH_WITHIN
    ) -> Callback:
        """Wait for the bot's answer: its callback, and when that is a deferred message, the
        content that replaces the "thinking" message (``Callback.message`` is then the finished
        message, and ``deferred`` stays true)."""
        callback = await self.wait_callback(within)
        if callback.type == 5:
            await self.record.wait_until(self._finished, finish_within, "finish a deferred reply")
            return replace(callback, message=self.message or self.followups[0])
        return callback

    def _finished(self) -> bool | None:
        original = self._discord.world.messages.get(self.record.original_id or 0)
        if original is not None:
            return True if not int(original.get("flags") or 0) & LOADING else None
        return True if self.record.original_deleted and self.record.followup_ids else None

    async def wait_callback(self, within: float = DEFAULT_TIMEOUT) -> Callback:
        """Wait for the bot's callback alone (a deferred one is returned as it is)."""
        raw = await self.record.wait_until(lambda: self.record.callback, within, "answer")
        data = raw["data"]
        modal = None
        if raw["type"] == 9:
            fields = tuple(Component.from_wire(c) for c in _walk(data.get("components", [])))
            modal = Modal(data["custom_id"], data["title"], fields, data, self.record)
        choices = tuple(Choice(c["name"], c["value"]) for c in data.get("choices", []))
        return Callback(raw["type"], data, self.message, choices, modal)

    async def wait_edit(self, within: float = DEFAULT_TIMEOUT) -> Message:
        """Wait for the next edit of @original (one not returned before) and return it."""
        index = self._edits_seen
        raw = await self.record.wait_until(
            lambda: self.record.edits[index] if len(self.record.edits) > index else None,
            within,
            "edit the original response",
        )
        self._edits_seen += 1
        return Message.from_wire(raw, self._discord)

    async def wait_followup(self, within: float = DEFAULT_TIMEOUT) -> Message:
        """Wait for the next followup message (one not returned before) and return it now."""
        index = self._followups_seen
        message_id = await self.record.wait_until(
            lambda: (
                self.record.followup_ids[index] if len(self.record.followup_ids) > index else None
            ),
            within,
            "send a followup",
        )
        self._followups_seen += 1
        raw = self._discord.world.messages.get(message_id)
        if raw is None:
            msg = "The followup was deleted before the test looked at it"
            raise BotDidNotAnswer(msg)
        return Message.from_wire(raw, self._discord)

    async def wait_deleted(self, within: float = DEFAULT_TIMEOUT) -> None:
        """Wait until the bot deletes @original."""
        await self.record.wait_until(
            lambda: True if self.record.original_deleted else None,
            within,
            "delete the original response",
        )

    @property
    def message(self) -> Message | None:
        """@original as it is now (None before the reply, or once deleted)."""
        raw = self._discord.world.messages.get(self.record.original_id or 0)
        return None if raw is None else Message.from_wire(raw, self._discord)

    @property
    def followups(self) -> list[Message]:
        """The followups that still exist, as they are now."""
        messages = self._discord.world.messages
        return [
            Message.from_wire(messages[i], self._discord)
            for i in self.record.followup_ids
            if i in messages
        ]


# acting


class Actor:
    """A guild member acting in one channel; make one with ``discord.member(name)``."""

    def __init__(self, discord: LocalDiscord, member: Member, channel: Channel) -> None:
        self.discord = discord
        self.member = member
        self.channel = channel

    def in_channel(self, channel: str | int) -> Actor:
        """The same member, acting in another channel of the guild."""
        return Actor(self.discord, self.member, self.member.guild.channel(channel))

    async def say(self, content: str) -> Message:
        """Post ``content`` in the channel; the bot gets MESSAGE_CREATE (what of it its intents
        let it see). ``<@id>`` mentions of known users are listed in ``mentions``."""
        world, guild = self.discord.world, self.member.guild
        message = new_message(
            world,
            channel_id=self.channel.id,
            author=self.member.user,
            payload={"content": content},
            uploads=Uploads({}, self.discord.attachments_url),
        )
        mentioned = (world.find_user(int(i)) for i in re.findall(r"<@!?(\d+)>", content))
        message["mentions"] = [user.to_wire() for user in mentioned if user is not None]
        await self.discord.notify_messages()
        event = created_event(message, guild.id, self.member)
        await self.discord.gateway.dispatch("MESSAGE_CREATE", event, guild.id)
        return Message.from_wire(message, self.discord)

    async def slash(self, *path: str, **options: Any) -> Response:
        """Run ``/path[0] path[1:]`` (sub-command group, sub-command) with typed options.

        Users, members, channels, roles are given as objects of the local Discord or by name.
        """
        command = self._command(path)
        return await self._send(2, self._command_data(command, path, options, focused=None))

    async def autocomplete(
        self, *path: str, focused: str, within: float = DEFAULT_TIMEOUT, **options: Any
    ) -> list[Choice]:
        """Type ``options[focused]`` into an autocompleted option; returns the bot's choices."""
        command = self._command(path)
        data = self._command_data(command, path, options, focused=focused)
        response = await self._send(4, data)
        reply = await response.wait_reply(within)
        if reply.type != 8:
            msg = f"The bot answered an autocomplete with callback type {reply.type}, not 8"
            raise AssertionError(msg)
        return list(reply.choices)

    async def click(
        self, message: Message, label: str | None = None, *, custom_id: str | None = None
    ) -> Response:
        """Press the button with this label (or custom_id) on ``message``."""
        button = message.component(label, custom_id=custom_id)
        if button.type != _BUTTON or button.custom_id is None:
            msg = f"{button.label or button.custom_id!r} is not a button with a custom_id"
            raise LookupError(msg)
        if button.disabled:
            msg = f"The button {button.label or button.custom_id!r} is disabled"
            raise AssertionError(msg)
        data = {"custom_id": button.custom_id, "component_type": _BUTTON}
        return await self._send(3, data, message=message)

    async def select(
        self, message: Message, values: list[str], *, custom_id: str | None = None
    ) -> Response:
        """Choose ``values`` in the (only, or ``custom_id``) select menu on ``message``."""
        selects = [c for c in message.components if c.type == _STRING_SELECT]
        if custom_id is not None:
            selects = [c for c in selects if c.custom_id == custom_id]
        if len(selects) != 1:
            msg = f"Found {len(selects)} string selects (custom_id={custom_id!r}) on the message"
            raise LookupError(msg)
        menu = selects[0]
        offered = {o.value for o in menu.options}
        if unknown := set(values) - offered:
            msg = f"{sorted(unknown)} are not options of {menu.custom_id!r}: {sorted(offered)}"
            raise ValueError(msg)
        data = {"custom_id": menu.custom_id, "component_type": _STRING_SELECT, "values": values}
        return await self._send(3, data, message=message)

    async def submit_modal(self, modal: Modal, **values: str | list[str]) -> Response:
        """Fill in the modal's fields (by custom_id) and submit it."""
        known = {f.custom_id for f in modal.fields}
        if unknown := set(values) - known:
            msg = f"The modal {modal.custom_id!r} has no fields {sorted(unknown)}; has {known}"
            raise ValueError(msg)
        rows = [_submitted(row, values) for row in modal.raw.get("components", [])]
        data = {"custom_id": modal.custom_id, "components": rows}
        message_id = modal.source.message_id
        message = self.discord.world.messages.get(message_id) if message_id else None
        return await self._send(
            5,
            data,
            message=Message.from_wire(message, self.discord) if message else None,
            opened_by=modal.source,
        )

    # building interactions

    def _command(self, path: tuple[str, ...]) -> ApplicationCommand:
        if not path:
            msg = "Name the command: member.slash('name', ['group',] ['sub',] **options)"
            raise ValueError(msg)
        return self.discord.world.find_command(self.member.guild.id, path[0])

    def _command_data(
        self,
        command: ApplicationCommand,
        path: tuple[str, ...],
        options: dict[str, Any],
        focused: str | None,
    ) -> dict[str, Any]:
        schema: list[dict[str, Any]] = command.body.get("options") or []
        top: list[dict[str, Any]] = []
        container = top
        for name in path[1:]:
            option = _option(schema, name, (_SUBCOMMAND, _GROUP), command.name)
            node: dict[str, Any] = {"type": option["type"], "name": name, "options": []}
            container.append(node)
            container = node["options"]
            schema = option.get("options") or []
        if any(o["type"] in (_SUBCOMMAND, _GROUP) for o in schema):
            names = [o["name"] for o in schema]
            msg = f"/{' '.join(path)} needs a sub-command; choose one of {names}"
            raise ValueError(msg)
        resolved: dict[str, dict[str, Any]] = {}
        for name, value in options.items():
            option = _option(schema, name, None, command.name)
            entry: dict[str, Any] = {"type": option["type"], "name": name}
            if name == focused:
                entry.update(value=str(value), focused=True)
            else:
                entry["value"] = self._option_value(option, value, resolved)
            container.append(entry)
        missing = [o["name"] for o in schema if o.get("required") and o["name"] not in options]
        if missing and focused is None:  # autocomplete runs before every option is typed
            msg = f"/{' '.join(path)} requires the options {missing}"
            raise ValueError(msg)
        data: dict[str, Any] = {
            "id": str(command.id),
            "name": command.name,
            "type": command.type,
            "options": top,
        }
        if resolved:
            data["resolved"] = resolved
        if command.guild_id is not None:
            data["guild_id"] = str(command.guild_id)
        return data

    def _option_value(
        self, option: Mapping[str, Any], value: Any, resolved: dict[str, dict[str, Any]]
    ) -> Any:
        kind, name = option["type"], option["name"]
        if kind == _STRING:
            converted: Any = str(value)
        elif kind == _INTEGER and isinstance(value, int) and not isinstance(value, bool):
            converted = value
        elif kind == _NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
            converted = value
        elif kind == _BOOLEAN and isinstance(value, bool):
            converted = value
        elif kind in (_USER, _CHANNEL, _ROLE, _MENTIONABLE):
            return str(self._resolve(kind, value, resolved))
        elif kind == _ATTACHMENT and isinstance(value, Attachment):
            return str(self._attach(value, resolved))
        else:
            msg = f"Option {name!r} (type {kind}) cannot take {value!r}"
            raise TypeError(msg)
        choices = [c["value"] for c in option.get("choices") or []]
        if choices and converted not in choices:
            msg = f"{converted!r} is not a choice of option {name!r}: {choices}"
            raise ValueError(msg)
        return converted

    def _resolve(self, kind: int, value: Any, resolved: dict[str, dict[str, Any]]) -> int:
        """Put a user/member, channel or role into ``resolved`` as Discord does; returns its id."""
        guild = self.member.guild
        if isinstance(value, str):
            value = _by_name(guild, kind, value)
        if isinstance(value, User):
            value = next((m for m in guild.members if m.user is value), value)
        if isinstance(value, Member):
            resolved.setdefault("users", {})[str(value.id)] = value.user.to_wire()
            member = {**value.to_wire(with_user=False), "permissions": str(value.permissions)}
            resolved.setdefault("members", {})[str(value.id)] = member
            return value.id
        if isinstance(value, User):
            resolved.setdefault("users", {})[str(value.id)] = value.to_wire()
            return value.id
        if isinstance(value, Channel) and kind == _CHANNEL:
            channel = {**value.to_wire(), "permissions": str(ALL_PERMISSIONS)}
            resolved.setdefault("channels", {})[str(value.id)] = channel
            return value.id
        if isinstance(value, Role) and kind in (_ROLE, _MENTIONABLE):
            resolved.setdefault("roles", {})[str(value.id)] = value.to_wire()
            return value.id
        msg = f"Cannot pass {value!r} as an option of type {kind}"
        raise TypeError(msg)

    def _attach(self, file: Attachment, resolved: dict[str, dict[str, Any]]) -> int:
        stored = StoredFile(file.name, file.data, file.content_type)
        self.discord.world.files[stored.id] = stored
        url = f"{self.discord.attachments_url}/{stored.id}/{stored.filename}"
        resolved.setdefault("attachments", {})[str(stored.id)] = {
            "id": str(stored.id),
            "filename": stored.filename,
            "size": len(stored.data),
            "url": url,
            "proxy_url": url,
            "content_type": stored.content_type,
        }
        return stored.id

    async def _send(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        message: Message | None = None,
        opened_by: InteractionRecord | None = None,
    ) -> Response:
        guild = self.member.guild
        payload: dict[str, Any] = {
            "id": str(snowflake()),
            "application_id": str(self.discord.application_id),
            "type": kind,
            "data": data,
            "token": "itoken." + secrets.token_urlsafe(32),
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(self.channel.id),
            "channel": self.channel.to_wire(),
            "member": {**self.member.to_wire(), "permissions": str(self.member.permissions)},
            "app_permissions": str(ALL_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        message_id = None
        if message is not None:
            current = self.discord.world.messages.get(message.id)
            if current is None:
                msg = f"Message {message.id} no longer exists"
                raise LookupError(msg)
            payload["message"] = current
            message_id = message.id
        record = await self.discord.deliver_interaction(payload, message_id, opened_by)
        return Response(self.discord, record)


def _walk(components: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Components out of their action rows and labels, in order."""
    for component in components:
        if component["type"] == 1:
            yield from _walk(component.get("components", []))
        elif component["type"] == _LABEL:
            yield from _walk([component["component"]])
        else:
            yield component


def _submitted(component: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A modal component as Discord submits it: ids and values only."""
    kind, number = component["type"], component["id"]
    if kind == 1:
        children = [_submitted(c, values) for c in component["components"]]
        return {"type": 1, "id": number, "components": children}
    if kind == _LABEL:
        return {
            "type": _LABEL,
            "id": number,
            "component": _submitted(component["component"], values),
        }
    custom_id = component.get("custom_id")
    out: dict[str, Any] = {"type": kind, "id": number, "custom_id": custom_id}
    value = values.get(custom_id or "", component.get("value") or "")
    if kind == _TEXT_INPUT:
        out["value"] = value if isinstance(value, str) else ",".join(value)
    else:
        out["values"] = [value] if isinstance(value, str) else list(value)
    return out


def _option(
    schema: list[dict[str, Any]], name: str, kinds: tuple[int, ...] | None, command: str
) -> dict[str, Any]:
    for option in schema:
        if option["name"] == name and (kinds is None or option["type"] in kinds):
            return option
    names = [o["name"] for o in schema]
    msg = f"/{command} has no {'sub-command' if kinds else 'option'} {name!r}; it has {names}"
    raise LookupError(msg)


def _by_name(guild: Guild, kind: int, name: str) -> Member | Channel | Role:
    if kind == _CHANNEL:
        return guild.channel(name)
    if kind == _ROLE:
        return guild.role(name)
    try:
        return guild.member(name)
    except KeyError:
        if kind == _MENTIONABLE:
            return guild.role(name)
        raise
