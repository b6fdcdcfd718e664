"""The REST API under ``/api/v10``: login, commands, interactions, webhooks, channels, guilds."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from core.testing.interactions import InteractionRecord
from core.testing.limits import Errors, callback_errors, invalid_form_body, message_errors
from core.testing.messages import (
    Uploads,
    created_event,
    edit_message,
    new_message,
    number_components,
)
from core.testing.state import EPHEMERAL, ApplicationCommand, Channel, Guild, StoredFile
from core.testing.wire import error_reply, json_reply, no_content

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler

    from core.testing.server import LocalDiscord

API_PREFIX = "/api/v10"
#: Message flag of a deferred reply that is still "thinking".
LOADING = 1 << 7
_BODY: web.RequestKey[Any] = web.RequestKey("body", object)
_UPLOADS: web.RequestKey[Uploads] = web.RequestKey("uploads", Uploads)
#: The local Discord's clock when the request arrived (before any fault delays it).
_RECEIVED: web.RequestKey[float] = web.RequestKey("received", float)
#: Routes authorised by the interaction token instead of the bot token.
_TOKEN_ROUTES = ("/interactions/", "/webhooks/")
#: OAuth2 routes authorised by the client's id and secret.
_CLIENT_ROUTES = ("/oauth2/token", "/oauth2/token/revoke")
#: Routes a user's OAuth2 bearer token may read (as well as the bot's token).
_BEARER_ROUTES = ("/users/@me", "/users/@me/guilds")


@dataclass
class RecordedRequest:
    """A REST request the bot made; ``path`` is relative to ``/api/v10``."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[StoredFile] = field(default_factory=list)
    status: int | None = None
    #: Discord's error body, when the local Discord refused the request (a 4xx answer).
    refusal: dict[str, Any] | None = None


def build_app(discord: LocalDiscord) -> web.Application:
    """The aiohttp application of the local Discord (REST, gateway and attachment files)."""
    api = _Api(discord)
    app = web.Application(middlewares=[api.middleware], client_max_size=64 * 1024 * 1024)
    add = app.router.add_route
    p = API_PREFIX

    objects: dict[str, tuple[Handler, Handler, Handler]] = {}
    """The paths of objects, with their GET, PATCH and DELETE handlers."""
    add("GET", "/gateway", discord.gateway.handle)
    add("GET", "/attachments/{file_id}/{filename}", api.attachment)
    add("GET", p + "/users/@me", api.me)
    add("GET", p + "/users/@me/guilds", api.my_guilds)
    add("GET", "/oauth2/authorize", discord.oauth.authorize_page)
    add("POST", "/oauth2/authorize", discord.oauth.authorize_submit)
    add("POST", p + "/oauth2/token", discord.oauth.token)
    add("POST", p + "/oauth2/token/revoke", discord.oauth.revoke)
    add("GET", p + "/gateway", api.gateway_url)
    add("GET", p + "/gateway/bot", api.gateway_bot)
    add("GET", p + "/oauth2/applications/@me", api.application)
    add("GET", p + "/applications/@me", api.application)
    for scope in ("", "/guilds/{guild_id}"):
        commands = p + "/applications/{application_id}" + scope + "/commands"
        add("GET", commands, api.list_commands)
        add("PUT", commands, api.overwrite_commands)
        add("POST", commands, api.create_command)
        command = (api.get_command, api.edit_command, api.delete_command)
        objects[commands + "/{command_id}"] = command
    add("POST", p + "/interactions/{interaction_id}/{token}/callback", api.callback)
    add("POST", p + "/webhooks/{application_id}/{token}", api.followup)
    add("GET", p + "/channels/{channel_id}", api.get_channel)
    add("POST", p + "/channels/{channel_id}/typing", api.typing)
    add("GET", p + "/channels/{channel_id}/messages", api.list_messages)
    add("POST", p + "/channels/{channel_id}/messages", api.create_message)
    add("POST", p + "/users/@me/channels", api.open_dm)
    add("GET", p + "/users/{user_id}", api.get_user)
    add("GET", p + "/guilds/{guild_id}", api.get_guild)
    add("GET", p + "/guilds/{guild_id}/channels", api.guild_channels)
    add("GET", p + "/guilds/{guild_id}/roles", api.guild_roles)
    add("GET", p + "/guilds/{guild_id}/members", api.guild_members)
    add("GET", p + "/guilds/{guild_id}/members/{user_id}", api.guild_member)
    add("PUT", p + "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", api.add_member_role)
    add(
        "DELETE", p + "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", api.remove_member_role
    )
    objects[p + "/webhooks/{application_id}/{token}/messages/{message_id}"] = (
        api.get_webhook_message,
        api.edit_webhook_message,
        api.delete_webhook_message,
    )
    objects[p + "/channels/{channel_id}/messages/{message_id}"] = (
        api.get_message,
        api.edit_channel_message,
        api.delete_channel_message,
    )
    for path, handlers in objects.items():
        for method, handler in zip(("GET", "PATCH", "DELETE"), handlers, strict=True):
            add(method, path, handler)
    add("*", "/{tail:.*}", api.unknown)
    return app


def _id(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise web.HTTPNotFound from None


class _Api:
    """The route handlers; they read and change ``discord.world``."""

    def __init__(self, discord: LocalDiscord) -> None:
        self.d = discord
        self.world = discord.world

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Record, authorise, spec-check and fault-inject every API request."""
        if not request.path.startswith(API_PREFIX + "/"):
            response: web.StreamResponse = await handler(request)
            return response
        request[_RECEIVED] = self.d.clock.now()
        path = request.path[len(API_PREFIX) :]
        body, uploads = await _read_body(request)
        record = RecordedRequest(
            request.method, path, dict(request.query), body, list(uploads.values())
        )
        self.d.requests.append(record)
        self.d.check_spec(request.method, path, body)
        request[_BODY], request[_UPLOADS] = body, Uploads(uploads, self.d.attachments_url)
        if not self._authorised(request, path):
            response = error_reply(401, "401: Unauthorized")
        else:
            response = await self.d.faults.apply(request.method, path) or await self._limited(
                handler, request
            )
        record.status = response.status
        if 400 <= response.status < 500 and isinstance(response, web.Response):
            body = response.body
            record.refusal = json.loads(body) if isinstance(body, bytes) and body else None
        return response

    def _authorised(self, request: web.Request, path: str) -> bool:
        """The bot token, an interaction token, OAuth2 client credentials (checked by the token
        endpoints themselves) or, where a user may read, a user's bearer token."""
        if path.startswith(_TOKEN_ROUTES) or path in _CLIENT_ROUTES:
            return True
        if path in _BEARER_ROUTES and self.d.oauth.bearer(request) is not None:
            return True
        return request.headers.get("Authorization") == f"Bot {self.d.token}"

    async def _limited(self, handler: Any, request: web.Request) -> web.StreamResponse:
        """Handle a request within its rate limits; the answer carries its bucket's headers."""
        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else ""
        if not template.startswith(API_PREFIX + "/"):  # a route the local Discord does not know
            return await _handle(handler, request)
        verdict = self.d.rate_limits.take(
            request.method, template[len(API_PREFIX) :], dict(request.match_info)
        )
        if verdict.refusal is not None:
            return verdict.refusal
        response = await _handle(handler, request)
        response.headers.update(verdict.headers)
        return response

    # login and gateway

    async def me(self, request: web.Request) -> web.Response:
        if (grant := self.d.oauth.bearer(request)) is not None:
            return self.d.oauth.me(grant)
        return json_reply(self.world.bot_user.to_wire_own())

    async def my_guilds(self, request: web.Request) -> web.Response:
        if (grant := self.d.oauth.bearer(request)) is not None:
            return self.d.oauth.my_guilds(grant)
        bot = self.world.bot_user
        return json_reply(
            [g.partial(m) for g in self.world.guilds for m in g.members if m.user is bot]
        )

    async def gateway_url(self, request: web.Request) -> web.Response:
        return json_reply({"url": self.d.gateway_url})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        limit = {
            "total": 1000,
            "remaining": 1000,
            "reset_after": 0,
            "max_concurrency": self.d.gateway.max_concurrency,
        }
        return json_reply(
            {"url": self.d.gateway_url, "shards": self.d.shards, "session_start_limit": limit}
        )

    async def application(self, request: web.Request) -> web.Response:
        return json_reply(
            {
                "id": str(self.world.application_id),
                "name": self.world.bot_user.name,
                "icon": None,
                "description": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": self.world.owner.to_wire(),
                "team": None,
                "bot": self.world.bot_user.to_wire(),
                "flags_new": "0",
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "role_connections_verification_url": None,
                "approximate_guild_count": len(self.world.guilds),
                "approximate_user_install_count": 0,
                "approximate_user_authorization_count": 0,
                "explicit_content_filter": 0,
                "eligible_oauth2_scopes": ["applications.commands", "bot"],
            }
        )

    async def attachment(self, request: web.Request) -> web.Response:
        stored = self.world.files.get(_id(request, "file_id"))
        if stored is None:
            return error_reply(404, "404: Not Found")
        return web.Response(body=stored.data, content_type=stored.content_type)

    async def unknown(self, request: web.Request) -> web.Response:
        self.d.unknown_routes.append(f"{request.method} {request.path}")
        return error_reply(404, "404: Not Found")

    # application commands

    def _scope(self, request: web.Request) -> int | None:
        if _id(request, "application_id") != self.world.application_id:
            raise _Refused(error_reply(403, "Missing Access", 50001))
        return _id(request, "guild_id") if "guild_id" in request.match_info else None

    def _command(self, request: web.Request) -> ApplicationCommand:
        scope = self._scope(request)
        command_id = _id(request, "command_id")
        for command in self.world.commands_of(scope):
            if command.id == command_id:
                return command
        raise _Refused(error_reply(404, "Unknown application command", 10063))

    async def list_commands(self, request: web.Request) -> web.Response:
        return json_reply([c.to_wire() for c in self.world.commands_of(self._scope(request))])

    async def overwrite_commands(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        commands = self.world.overwrite_commands(scope, request[_BODY] or [])
        return json_reply([c.to_wire() for c in commands])

    async def create_command(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        bodies = [c.body for c in self.world.commands_of(scope)]
        name = request[_BODY]["name"]
        bodies = [b for b in bodies if b["name"] != name] + [request[_BODY]]
        commands = self.world.overwrite_commands(scope, bodies)
        return json_reply(commands[-1].to_wire(), 201)

    async def get_command(self, request: web.Request) -> web.Response:
        return json_reply(self._command(request).to_wire())

    async def edit_command(self, request: web.Request) -> web.Response:
        command = self._command(request)
        command.body = {**command.body, **request[_BODY]}
        return json_reply(command.to_wire())

    async def delete_command(self, request: web.Request) -> web.Response:
        command = self._command(request)
        self.world.commands_of(command.guild_id).remove(command)
        return no_content()

    # interactions and their webhooks

    def _interaction(self, request: web.Request) -> InteractionRecord:
        record = self.d.interactions.get(request.match_info["token"])
        if record is None:
            raise _Refused(error_reply(404, "Unknown interaction", 10062))
        return record

    async def callback(self, request: web.Request) -> web.Response:
        record = self._interaction(request)
        if record.id != _id(request, "interaction_id"):
            return error_reply(404, "Unknown interaction", 10062)
        if record.callback is not None:
            record.rejected_callbacks += 1
            await record.notify()
            return error_reply(400, "Interaction has already been acknowledged.", 40060)
        if self._past_callback_deadline(record, request):
            record.late_callbacks.append(request[_RECEIVED] - record.created_at)
            await record.notify()
            return error_reply(404, "Unknown interaction", 10062)
        body: dict[str, Any] = request[_BODY]
        _refuse(callback_errors(body))
        kind, data = body["type"], body.get("data") or {}
        message: dict[str, Any] | None = None
        if kind in (4, 5):
            if kind == 5:
                data = {"flags": (int(data.get("flags") or 0) & EPHEMERAL) | LOADING}
            message = self._interaction_message(record, data, request[_UPLOADS])
            if kind == 5:
                message["flags"] |= LOADING
            record.original_id = int(message["id"])
        elif kind in (6, 7):
            record.original_id = record.message_id
            if kind == 7 and record.message_id is not None:
                message = self.world.messages[record.message_id]
                edit_message(self.world, message, data, request[_UPLOADS])
        elif kind == 9:
            number_components(data.get("components") or [])
        record.callback = {"type": kind, "data": data}
        await record.notify()
        await self.d.notify_messages()
        if request.query.get("with_response", "").lower() not in ("true", "1"):
            return no_content()
        return json_reply(_callback_response(record, kind, message))

    def _interaction_message(
        self, record: InteractionRecord, payload: dict[str, Any], uploads: Uploads
    ) -> dict[str, Any]:
        return new_message(
            self.world,
            channel_id=int(record.payload["channel_id"]),
            author=self.world.bot_user,
            payload=payload,
            uploads=uploads,
            webhook_id=self.world.application_id,
            message_type=20 if record.type == 2 else 0,
            interaction_metadata=_metadata(record),
        )

    def _past_callback_deadline(self, record: InteractionRecord, request: web.Request) -> bool:
        deadline = self.d.callback_deadline
        return deadline is not None and request[_RECEIVED] - record.created_at > deadline

    async def _webhook(self, request: web.Request) -> InteractionRecord:
        """The interaction of a webhook route; its token is invalid after the token lifetime,
        or once the callback deadline passed without a callback (as on Discord)."""
        if _id(request, "application_id") != self.world.application_id:
            raise _Refused(error_reply(404, "Unknown Webhook", 10015))
        record = self._interaction(request)
        lifetime = self.d.token_lifetime
        expired = lifetime is not None and request[_RECEIVED] - record.created_at > lifetime
        if expired or (record.callback is None and self._past_callback_deadline(record, request)):
            record.expired_token_uses += 1
            await record.notify()
            raise _Refused(error_reply(401, "Invalid Webhook Token", 50027))
        return record

    async def followup(self, request: web.Request) -> web.Response:
        record = await self._webhook(request)
        _refuse(message_errors(request[_BODY]))
        original = self.world.messages.get(record.original_id or 0)
        if original is not None and original["flags"] & LOADING:
            # Discord: the first followup after a deferred reply replaces the "thinking" message
            original["flags"] &= ~LOADING
            message = edit_message(self.world, original, request[_BODY], request[_UPLOADS])
        else:
            message = self._interaction_message(record, request[_BODY], request[_UPLOADS])
        record.followup_ids.append(int(message["id"]))
        await record.notify()
        await self.d.notify_messages()
        if request.query.get("wait", "").lower() in ("1", "true"):
            return json_reply(message)
        return no_content()

    async def _webhook_message(
        self, request: web.Request
    ) -> tuple[InteractionRecord, dict[str, Any]]:
        record = await self._webhook(request)
        ref = request.match_info["message_id"]
        message_id = record.original_id if ref == "@original" else int(ref)
        if message_id not in (record.original_id, *record.followup_ids):
            raise _Refused(error_reply(404, "Unknown Message", 10008))
        message = self.world.messages.get(message_id or 0)
        if message is None:
            raise _Refused(error_reply(404, "Unknown Message", 10008))
        return record, message

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        return json_reply((await self._webhook_message(request))[1])

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        found = await self._webhook_message(request)
        record, message = found
        _refuse(message_errors(request[_BODY]))
        message["flags"] &= ~LOADING
        edit_message(self.world, message, request[_BODY], request[_UPLOADS])
        if int(message["id"]) == record.original_id:
            record.record_edit(message)
        await record.notify()
        await self.d.notify_messages()
        return json_reply(message)

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        found = await self._webhook_message(request)
        record, message = found
        del self.world.messages[int(message["id"])]
        if int(message["id"]) == record.original_id:
            record.original_deleted = True
        await record.notify()
        await self.d.notify_messages()
        return no_content()

    # channels and messages

    def _channel(self, request: web.Request) -> Channel:
        channel = self.world.find_channel(_id(request, "channel_id"))
        if channel is None:
            raise _Refused(error_reply(404, "Unknown Channel", 10003))
        return channel

    def _channel_message(self, request: web.Request) -> tuple[Channel, dict[str, Any]]:
        channel = self._channel(request)
        message = self.world.messages.get(_id(request, "message_id"))
        if message is None or message["channel_id"] != str(channel.id):
            raise _Refused(error_reply(404, "Unknown Message", 10008))
        return channel, message

    async def get_channel(self, request: web.Request) -> web.Response:
        return json_reply(self._channel(request).to_wire())

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)  # 404 for an unknown channel
        return no_content()

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        limit = int(request.query.get("limit", 50))
        messages = [m for m in self.d.channel_messages(channel.id) if not m["flags"] & EPHEMERAL]
        return json_reply(list(reversed(messages))[:limit])

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        _refuse(message_errors(request[_BODY]))
        guild_id = channel.guild.id if channel.guild else None
        message = new_message(
            self.world,
            channel_id=channel.id,
            author=self.world.bot_user,
            payload=request[_BODY] or {},
            uploads=request[_UPLOADS],
            message_type=19 if (request[_BODY] or {}).get("message_reference") else 0,
        )
        await self.d.notify_messages()
        await self.d.gateway.dispatch("MESSAGE_CREATE", created_event(message, guild_id), guild_id)
        return json_reply(message)

    async def get_message(self, request: web.Request) -> web.Response:
        return json_reply(self._channel_message(request)[1])

    async def edit_channel_message(self, request: web.Request) -> web.Response:
        found = self._channel_message(request)
        _refuse(message_errors(request[_BODY]))
        message = edit_message(self.world, found[1], request[_BODY] or {}, request[_UPLOADS])
        await self.d.notify_messages()
        return json_reply(message)

    async def delete_channel_message(self, request: web.Request) -> web.Response:
        found = self._channel_message(request)
        del self.world.messages[int(found[1]["id"])]
        await self.d.notify_messages()
        return no_content()

    async def open_dm(self, request: web.Request) -> web.Response:
        user = self.world.find_user(int(request[_BODY]["recipient_id"]))
        if user is None:
            return error_reply(404, "Unknown User", 10013)
        return json_reply(self.world.dm_channel(user).to_wire())

    # users and guilds

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.world.find_user(_id(request, "user_id"))
        return (
            error_reply(404, "Unknown User", 10013) if user is None else json_reply(user.to_wire())
        )

    def _guild(self, request: web.Request) -> Guild:
        try:
            return self.world.guild(_id(request, "guild_id"))
        except KeyError:
            raise _Refused(error_reply(404, "Unknown Guild", 10004)) from None

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        data = guild.to_wire()
        for key in _GATEWAY_ONLY_GUILD_FIELDS:
            data.pop(key)
        return json_reply(data)

    async def guild_channels(self, request: web.Request) -> web.Response:
        return json_reply([c.to_wire() for c in self._guild(request).channels])

    async def guild_roles(self, request: web.Request) -> web.Response:
        return json_reply([r.to_wire() for r in self._guild(request).roles])

    async def guild_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        after = int(request.query.get("after", 0))
        limit = int(request.query.get("limit", 1))
        members = sorted((m for m in guild.members if m.id > after), key=lambda m: m.id)
        return json_reply([m.to_wire() for m in members[:limit]])

    async def guild_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        try:
            return json_reply(guild.member(_id(request, "user_id")).to_wire())
        except KeyError:
            return error_reply(404, "Unknown Member", 10007)

    async def add_member_role(self, request: web.Request) -> web.Response:
        return await self._change_role(request, add=True)

    async def remove_member_role(self, request: web.Request) -> web.Response:
        return await self._change_role(request, add=False)

    async def _change_role(self, request: web.Request, *, add: bool) -> web.Response:
        guild = self._guild(request)
        try:
            member = guild.member(_id(request, "user_id"))
            role = guild.role(_id(request, "role_id"))
        except KeyError as exc:
            return error_reply(404, str(exc), 10011)
        if add and role not in member.roles:
            member.roles.append(role)
        elif not add and role in member.roles:
            member.roles.remove(role)
        update = {**member.to_wire(), "guild_id": str(guild.id)}
        await self.d.gateway.dispatch("GUILD_MEMBER_UPDATE", update, guild.id)
        return no_content()


class _Refused(Exception):
    """Raised by a route handler (or a lookup it calls) to answer ``response``, Discord's
    error, instead of going on."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _refuse(errors: Errors) -> None:
    """Discord's 400 for a body over its limits (see :mod:`core.testing.limits`), if any."""
    if errors:
        raise _Refused(json_reply(invalid_form_body(errors), 400))


async def _handle(handler: Any, request: web.Request) -> web.StreamResponse:
    """Run a route handler; a body it cannot make sense of gets Discord's 400."""
    try:
        response: web.StreamResponse = await handler(request)
    except _Refused as refused:
        return refused.response
    except KeyError as exc:  # a field the route needs is missing
        missing = {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}
        return json_reply(invalid_form_body({str(exc.args[0]): {"_errors": [missing]}}), 400)
    except (ValueError, TypeError, AttributeError) as exc:
        wrong = {"code": "BASE_TYPE_BAD_FORMAT", "message": str(exc)}
        return json_reply(invalid_form_body({"_errors": [wrong]}), 400)
    return response


async def _read_body(request: web.Request) -> tuple[Any, dict[int, StoredFile]]:
    """The JSON body (for multipart: ``payload_json``) and the uploaded files by index."""
    if not request.can_read_body:
        return None, {}
    if request.content_type == "application/x-www-form-urlencoded":  # OAuth2's token endpoints
        return dict(await request.post()), {}
    if request.content_type == "multipart/form-data":
        form = await request.post()
        uploads: dict[int, StoredFile] = {}
        body: Any = None
        for name, value in form.items():
            if name == "payload_json":
                body = json.loads(str(value))
            elif isinstance(value, web.FileField) and name.startswith("files["):
                index = int(name[len("files[") : -1])
                uploads[index] = StoredFile(value.filename, value.file.read(), value.content_type)
        return body, uploads
    raw = await request.read()
    return (json.loads(raw) if raw else None), {}


def _metadata(record: InteractionRecord) -> dict[str, Any]:
    """The ``interaction_metadata`` of a message sent in answer to ``record``, as Discord sends
    it for each kind of interaction (a component's names its message; a modal submit's, the
    interaction that opened the modal; a followup's, the original response)."""
    payload = record.payload
    metadata: dict[str, Any] = {
        "id": str(record.id),
        "type": record.type,
        "user": payload.get("member", {}).get("user") or payload.get("user", {}),
        "authorizing_integration_owners": payload.get("authorizing_integration_owners", {}),
    }
    if record.original_id is not None:
        metadata["original_response_message_id"] = str(record.original_id)
    if record.type == 3 and record.message_id is not None:
        metadata["interacted_message_id"] = str(record.message_id)
    if record.type == 5 and record.opened_by is not None:
        metadata["triggering_interaction_metadata"] = _metadata(record.opened_by)
    return metadata


def _callback_response(
    record: InteractionRecord, kind: int, message: dict[str, Any] | None
) -> dict[str, Any]:
    """Discord's ``InteractionCallbackResponse`` (the answer to ``?with_response=true``): the
    interaction, and for a message sent or updated (types 4 and 7) the message itself."""
    flags = int((message or {}).get("flags") or 0)
    interaction: dict[str, Any] = {
        "id": str(record.id),
        "type": record.type,
        "activity_instance_id": None,
        "response_message_loading": bool(flags & LOADING),
        "response_message_ephemeral": bool(flags & EPHEMERAL),
    }
    if record.original_id is not None:
        interaction["response_message_id"] = str(record.original_id)
    if guild_id := record.payload.get("guild_id"):
        interaction["guild_id"] = str(guild_id)
    if channel_id := record.payload.get("channel_id"):
        interaction["channel_id"] = str(channel_id)
    response: dict[str, Any] = {"interaction": interaction}
    if kind in (4, 7) and message is not None:
        response["resource"] = {"type": kind, "message": message}
    return response


_GATEWAY_ONLY_GUILD_FIELDS = (
    "channels",
    "members",
    "threads",
    "presences",
    "voice_states",
    "joined_at",
    "member_count",
    "large",
    "unavailable",
    "stage_instances",
    "guild_scheduled_events",
    "soundboard_sounds",
)
"""Fields of GUILD_CREATE that ``GET /guilds/{id}`` does not send."""
