"""The local Discord: a loopback Discord server (REST + gateway) for the unmodified disnake client.

async with LocalDiscord() as discord:
    async with connect_bot(bot, discord):
        response = await discord.member("Alice").slash("ping")
        assert (await response.wait_reply()).message.content == "pong"
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from aiohttp import web

from core.testing.faults import Faults
from core.testing.gateway import Gateway
from core.testing.intents import PRIVILEGED
from core.testing.interactions import BotDidNotAnswer, Clock, InteractionRecord
from core.testing.oauth import OAuth2
from core.testing.ratelimits import RateLimiter
from core.testing.rest import API_PREFIX, RecordedRequest, build_app
from core.testing.spec import SpecChecker, SpecViolation, default_spec_path
from core.testing.state import EPHEMERAL, MANAGE_GUILD, Channel, Guild, User, World
from core.testing.tokens import bot_token

if TYPE_CHECKING:
    from core.testing.driver import Actor, Message

#: Command routes whose non-GET requests count as command writes.
_COMMAND_ROUTE = "/applications/"
#: Discord's deadlines: a callback within 3 s of the interaction, its token valid for 15 minutes.
CALLBACK_DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60.0


def default_world() -> World:
    """One guild "Test Guild" (#general, #picks), members Alice (Manage Server) and Bob.

    The application's owner owns the guild; the bot is a member.
    """
    world = World()
    guild = world.add_guild("Test Guild")
    guild.add_channel("general")
    guild.add_channel("picks")
    managers = guild.add_role("Managers", MANAGE_GUILD)
    guild.add_member("Alice", roles=[managers])
    guild.add_member("Bob")
    return world


class LocalDiscord:
    """A Discord on 127.0.0.1 (random free port), with REST under ``/api/v10`` and a gateway.

    ``shards`` is what ``GET /gateway/bot`` recommends; ``spec`` is the OpenAPI file to check
    requests against (None: :func:`default_spec_path`; False switches the check off).

    Discord's deadlines are enforced on :attr:`clock`, counted from the moment INTERACTION_CREATE
    is sent: a callback later than ``callback_deadline`` seconds gets 404 Unknown interaction
    (10062), and a webhook call (followup, @original) with a token older than ``token_lifetime``
    gets 401 Invalid Webhook Token (50027). None switches a deadline off; both are attributes a
    test may change at any time, and ``clock.advance(seconds)`` ages every interaction at once.

    Discord's rate limits (:mod:`core.testing.ratelimits`) are enforced unless ``rate_limits`` is
    False; ``rate_limits.enabled`` switches them at any time (the headers are sent either way).

    Gateway intents are honoured (:mod:`core.testing.intents`): ``privileged_intents`` are the
    privileged ones the application may ask for (default all three; a client asking for another
    is closed with 4014), and None switches intents off, every session getting every event in
    full. ``gateway.privileged_intents`` changes it for the next IDENTIFY.
    """

    def __init__(
        self,
        world: World | None = None,
        *,
        shards: int = 1,
        spec: Path | Literal[False] | None = default_spec_path(),
        callback_deadline: float | None = CALLBACK_DEADLINE,
        token_lifetime: float | None = TOKEN_LIFETIME,
        rate_limits: bool = True,
        privileged_intents: int | None = PRIVILEGED,
    ) -> None:
        self.world = world if world is not None else default_world()
        #: The world's bot user, its owner and the application's id, fixed once the server is
        #: made (the bot's token is made from the bot user's id).
        self.bot_user, self.owner = self.world.bot_user, self.world.owner
        self.application_id = self.world.application_id
        self.token = bot_token(self.bot_user.id)
        self.shards = shards
        self.callback_deadline = callback_deadline
        self.token_lifetime = token_lifetime
        self.clock = Clock()
        self.url = ""
        self.gateway = Gateway(self.world, self.token, lambda: self.gateway_url)
        self.gateway.privileged_intents = privileged_intents
        self.faults = Faults(self.gateway)
        self.rate_limits = RateLimiter(enabled=rate_limits)
        self.oauth = OAuth2(self.world, self.clock)
        #: Every API request the bot made, in order.
        self.requests: list[RecordedRequest] = []
        #: "METHOD /path" of every request to a route the local Discord does not know.
        self.unknown_routes: list[str] = []
        #: Requests that Discord's OpenAPI description rejects.
        self.spec_violations: list[SpecViolation] = []
        #: Interactions sent to the bot, by token.
        self.interactions: dict[str, InteractionRecord] = {}
        self._spec = None if spec is False else SpecChecker.load(spec or default_spec_path())
        self._messages_changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    async def start(self) -> Self:
        self._runner = web.AppRunner(build_app(self), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self.gateway.shutdown()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # addresses

    @property
    def api_base(self) -> str:
        """What ``disnake.http.Route.BASE`` must be set to."""
        return self.url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/gateway"

    @property
    def attachments_url(self) -> str:
        return self.url + "/attachments"

    # the world

    @property
    def guild(self) -> Guild:
        """The first guild (in the default world: "Test Guild")."""
        return self.world.guild()

    def add_guild(self, name: str, *, owner: User | None = None, id: int | None = None) -> Guild:
        """Add a guild (before the bot connects, or it will not know it)."""
        return self.world.add_guild(name, owner=owner, id=id)

    def member(
        self, name: str, *, guild: str | int | None = None, channel: str | int = "general"
    ) -> Actor:
        """Act as the guild member ``name`` (in the first guild and #general by default)."""
        from core.testing.driver import Actor

        found = self.world.guild(guild)
        return Actor(self, found.member(name), found.channel(channel))

    # what the bot did

    @property
    def command_writes(self) -> int:
        """How many application-command writes (PUT/POST/PATCH/DELETE) the bot has made."""
        return sum(
            1
            for r in self.requests
            if r.method != "GET" and r.path.startswith(_COMMAND_ROUTE) and "/commands" in r.path
        )

    @property
    def late_interactions(self) -> list[InteractionRecord]:
        """The interactions whose callback was refused for coming after the deadline."""
        return [r for r in self.interactions.values() if r.late_callbacks]

    def check_spec(self, method: str, path: str, body: Any) -> None:
        if self._spec is not None and (violation := self._spec.check(method, path, body)):
            self.spec_violations.append(violation)

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """The raw messages of a channel, oldest first (ephemeral ones included)."""
        return [m for m in self.world.messages.values() if m["channel_id"] == str(channel_id)]

    def messages(
        self, channel: str | int | Channel = "general", guild: str | None = None
    ) -> list[Message]:
        """What members see in a channel, oldest first (ephemeral messages left out)."""
        from core.testing.driver import Message

        found = self._channel(channel, guild)
        return [
            Message.from_wire(m, self)
            for m in self.channel_messages(found.id)
            if not m["flags"] & EPHEMERAL
        ]

    async def wait_for_message(
        self,
        channel: str | int | Channel = "general",
        where: Callable[[Message], bool] = lambda message: True,
        *,
        guild: str | None = None,
        within: float = 2.0,
    ) -> Message:
        """The first message in ``channel`` for which ``where`` holds, waiting for it to appear."""

        def find() -> Message | None:
            return next((m for m in self.messages(channel, guild) if where(m)), None)

        async with self._messages_changed:
            try:
                await asyncio.wait_for(
                    self._messages_changed.wait_for(lambda: find() is not None), within
                )
            except TimeoutError:
                msg = f"No matching message appeared in {channel!r} within {within}s"
                raise BotDidNotAnswer(msg) from None
        found = find()
        assert found is not None  # nosec B101 # test kit, waited for it above
        return found

    async def notify_messages(self) -> None:
        async with self._messages_changed:
            self._messages_changed.notify_all()

    async def deliver_interaction(
        self,
        payload: dict[str, Any],
        message_id: int | None = None,
        opened_by: InteractionRecord | None = None,
    ) -> InteractionRecord:
        """Send INTERACTION_CREATE to the bot (again, if a duplicate delivery is due)."""
        record = InteractionRecord(
            int(payload["id"]), payload["token"], payload["type"], payload, message_id, opened_by
        )
        self.interactions[record.token] = record
        guild_id = int(payload["guild_id"]) if payload.get("guild_id") else None
        deliveries = 1 + self.faults.duplicate_deliveries
        self.faults.duplicate_deliveries = 0
        record.created_at = self.clock.now()
        for _ in range(deliveries):
            if not await self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id):
                msg = "No bot is connected to the local Discord (for this guild's shard)"
                raise RuntimeError(msg)
        return record

    def _channel(self, channel: str | int | Channel, guild: str | None) -> Channel:
        if isinstance(channel, Channel):
            return channel
        return self.world.guild(guild).channel(channel)
