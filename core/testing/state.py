"""The world of the local Discord: users, guilds, channels, roles, members, messages and commands.

Every object knows how to render itself in Discord's wire format (``to_wire``). Tests build the
world through :class:`World` and :class:`Guild` (``world.add_guild``, ``guild.add_member``...).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

DISCORD_EPOCH_MS = 1420070400000
ALL_PERMISSIONS = (1 << 51) - 1
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
#: What @everyone may do in the default world: view channels, send messages, embed links,
#: attach files, read history, use application commands.
EVERYONE_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31)
EPHEMERAL = 1 << 6

_increment = itertools.count()


def snowflake(at_ms: int | None = None) -> int:
    """A new snowflake that encodes ``at_ms`` (default: now), as Discord's ids do."""
    ms = int(time.time() * 1000) if at_ms is None else at_ms
    return ((ms - DISCORD_EPOCH_MS) << 22) | (next(_increment) % 4096)


def iso_now() -> str:
    """The current time in the ISO 8601 format Discord uses for timestamps."""
    return datetime.now(UTC).isoformat()


@dataclass(eq=False)
class User:
    """A Discord user (a bot or a person)."""

    name: str
    id: int = field(default_factory=snowflake)
    bot: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": None if self.bot else self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
        }

    def to_wire_own(self) -> dict[str, Any]:
        """The user as it sees itself (``/users/@me``, READY): with its account's fields."""
        account = {"verified": True, "mfa_enabled": False, "locale": "en-US", "premium_type": 0}
        return {**self.to_wire(), **account}


@dataclass(eq=False)
class Role:
    """A guild role; ``permissions`` is Discord's permission bit field."""

    name: str
    permissions: int = 0
    id: int = field(default_factory=snowflake)
    position: int = 0
    managed: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass(eq=False)
class Channel:
    """A channel: a guild text channel (type 0) or a DM (type 1, ``guild`` is None)."""

    name: str
    guild: Guild | None
    type: int = 0
    id: int = field(default_factory=snowflake)
    recipient: User | None = None

    def to_wire(self, *, with_guild_id: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"id": str(self.id), "type": self.type}
        if self.guild is not None:
            data["name"] = self.name
            data.update(
                position=0,
                permission_overwrites=[],
                nsfw=False,
                parent_id=None,
                topic=None,
                last_message_id=None,
                rate_limit_per_user=0,
                flags=0,
            )
            if with_guild_id:
                data["guild_id"] = str(self.guild.id)
        else:  # a DM: no name, as Discord sends it
            data.update(
                flags=0,
                last_message_id=None,
                recipients=[self.recipient.to_wire()] if self.recipient else [],
            )
        return data

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"


@dataclass(eq=False)
class Member:
    """A user's membership in a guild."""

    user: User
    guild: Guild
    roles: list[Role] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def permissions(self) -> int:
        """The member's guild permissions: the owner has all, else the union of its roles."""
        if self.guild.owner_id == self.user.id:
            return ALL_PERMISSIONS
        perms = self.guild.everyone.permissions
        for role in self.roles:
            perms |= role.permissions
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def to_wire(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(role.id) for role in self.roles],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.to_wire()
        return data


@dataclass(eq=False)
class Guild:
    """A guild with its roles, channels and members (``everyone`` is the @everyone role)."""

    name: str
    owner_id: int
    id: int = field(default_factory=snowflake)
    roles: list[Role] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.roles:
            self.roles.append(Role("@everyone", EVERYONE_PERMISSIONS, id=self.id))

    @property
    def everyone(self) -> Role:
        return self.roles[0]

    def add_role(self, name: str, permissions: int = 0) -> Role:
        role = Role(name, permissions, position=len(self.roles))
        self.roles.append(role)
        return role

    def add_channel(self, name: str, type: int = 0) -> Channel:
        channel = Channel(name, self, type)
        self.channels.append(channel)
        return channel

    def add_member(
        self,
        user: User | str,
        roles: list[Role] | None = None,
        permissions: int = 0,
    ) -> Member:
        """Add a member; ``permissions`` (if any) are granted through a role named after them."""
        member_roles = list(roles or [])
        if isinstance(user, str):
            user = User(user)
        if permissions:
            member_roles.append(self.add_role(f"{user.name}'s permissions", permissions))
        member = Member(user, self, member_roles)
        self.members.append(member)
        return member

    def channel(self, name_or_id: str | int) -> Channel:
        return _find(self.channels, name_or_id, "channel", self.name)

    def role(self, name_or_id: str | int) -> Role:
        return _find(self.roles, name_or_id, "role", self.name)

    def member(self, name_or_id: str | int) -> Member:
        return _find(self.members, name_or_id, "member", self.name)

    def partial(self, member: Member) -> dict[str, Any]:
        """The guild as ``GET /users/@me/guilds`` lists it to ``member``."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "banner": None,
            "owner": self.owner_id == member.id,
            "permissions": str(member.permissions),
            "features": [],
        }

    def to_wire(self) -> dict[str, Any]:
        """The guild as GUILD_CREATE carries it, every member included (the gateway trims
        ``members`` to what the session's intents let it see; ``member_count`` stays)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "region": "deprecated",
            "application_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [role.to_wire() for role in self.roles],
            "channels": [channel.to_wire(with_guild_id=False) for channel in self.channels],
            "members": [member.to_wire() for member in self.members],
            "member_count": len(self.members),
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "large": False,
            "unavailable": False,
            "joined_at": iso_now(),
            "max_members": 500000,
            "vanity_url_code": None,
            "premium_progress_bar_enabled": False,
            "home_header": None,
            "widget_enabled": False,
            "widget_channel_id": None,
            "max_presences": None,
            "max_stage_video_channel_users": 50,
            "max_video_channel_users": 25,
            "safety_alerts_channel_id": None,
            "nsfw": False,
            "incidents_data": None,
        }


_Named = TypeVar("_Named", Channel, Role, Member)


def _find(items: list[_Named], name_or_id: str | int, kind: str, where: str) -> _Named:
    for item in items:
        if name_or_id in (item.id, item.name, str(item.id)):
            return item
    msg = f"No {kind} {name_or_id!r} in {where!r}; known: {[i.name for i in items]}"
    raise KeyError(msg)


@dataclass
class StoredFile:
    """An uploaded file: its name, bytes and attachment id."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    id: int = field(default_factory=snowflake)


@dataclass
class ApplicationCommand:
    """A registered application command (``guild_id`` is None for a global one)."""

    body: dict[str, Any]
    application_id: int
    guild_id: int | None
    id: int = field(default_factory=snowflake)
    version: int = field(default_factory=snowflake)

    @property
    def name(self) -> str:
        return str(self.body["name"])

    @property
    def type(self) -> int:
        return int(self.body.get("type", 1))

    def to_wire(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            **self.body,
            "id": str(self.id),
            "application_id": str(self.application_id),
            "version": str(self.version),
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data


@dataclass(eq=False)
class World:
    """Everything the local Discord knows: the bot, the owner, guilds, messages and commands."""

    bot_user: User = field(default_factory=lambda: User("DBSBM Test Bot", bot=True))
    owner: User = field(default_factory=lambda: User("Owner"))
    application_id: int = field(default_factory=snowflake)
    guilds: list[Guild] = field(default_factory=list)
    dm_channels: list[Channel] = field(default_factory=list)
    #: Every message by id, ephemeral ones included; deleted ones are removed.
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    files: dict[int, StoredFile] = field(default_factory=dict)
    #: Registered commands keyed by scope: ``None`` for global, else the guild id.
    commands: dict[int | None, list[ApplicationCommand]] = field(default_factory=dict)

    def add_guild(self, name: str, *, owner: User | None = None, id: int | None = None) -> Guild:
        """Add a guild; the bot is a member of it, and its owner (default: the app owner) too."""
        owner = owner or self.owner
        guild = Guild(name, owner.id) if id is None else Guild(name, owner.id, id=id)
        guild.add_member(owner)
        guild.add_member(self.bot_user)
        self.guilds.append(guild)
        return guild

    def guild(self, name_or_id: str | int | None = None) -> Guild:
        """A guild by name or id; the first guild when not given."""
        if name_or_id is None:
            if not self.guilds:
                msg = "The local Discord has no guild; add one with discord.add_guild(name)"
                raise LookupError(msg)
            return self.guilds[0]
        for guild in self.guilds:
            if name_or_id in (guild.id, guild.name, str(guild.id)):
                return guild
        msg = f"No guild {name_or_id!r}; known: {[g.name for g in self.guilds]}"
        raise KeyError(msg)

    def find_channel(self, channel_id: int) -> Channel | None:
        for guild in self.guilds:
            for channel in guild.channels:
                if channel.id == channel_id:
                    return channel
        return next((c for c in self.dm_channels if c.id == channel_id), None)

    def find_user(self, user_id: int) -> User | None:
        if user_id in (self.bot_user.id, self.owner.id):
            return self.bot_user if user_id == self.bot_user.id else self.owner
        for guild in self.guilds:
            for member in guild.members:
                if member.id == user_id:
                    return member.user
        return None

    def dm_channel(self, user: User) -> Channel:
        """The DM channel between the bot and ``user`` (created on first use)."""
        for channel in self.dm_channels:
            if channel.recipient is user:
                return channel
        channel = Channel(user.name, None, type=1, recipient=user)
        self.dm_channels.append(channel)
        return channel

    def commands_of(self, guild_id: int | None) -> list[ApplicationCommand]:
        return self.commands.setdefault(guild_id, [])

    def overwrite_commands(
        self, guild_id: int | None, bodies: list[dict[str, Any]]
    ) -> list[ApplicationCommand]:
        """Bulk overwrite, keeping the id of a command whose name and type stay the same."""
        old = {(c.name, c.type): c for c in self.commands_of(guild_id)}
        new: list[ApplicationCommand] = []
        for body in bodies:
            cmd = ApplicationCommand(body, self.application_id, guild_id)
            previous = old.get((cmd.name, cmd.type))
            if previous is not None:
                cmd.id = previous.id
            new.append(cmd)
        self.commands[guild_id] = new
        return new

    def find_command(self, guild_id: int | None, name: str, type: int = 1) -> ApplicationCommand:
        """A command the bot registered, looked up in the guild first, then globally."""
        scopes = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for cmd in self.commands_of(scope):
                if cmd.name == name and cmd.type == type:
                    return cmd
        known = sorted({c.name for s in scopes for c in self.commands_of(s)})
        msg = f"The bot registered no command {name!r} (type {type}); registered: {known}"
        raise LookupError(msg)
