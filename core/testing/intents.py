"""Gateway intents, honoured as Discord honours them.

A session gets an event only when it asked for the intent the event belongs to, and some
events reach it trimmed (Discord's gateway docs, "Gateway Intents" and "Guild Create"):

- GUILD_CREATE needs GUILDS; without GUILD_PRESENCES its ``members`` hold only the bot's own
  member (and members in voice, of which the local Discord has none) and ``presences`` is
  empty. ``member_count`` stays the guild's real count.
- GUILD_MEMBER_ADD/UPDATE/REMOVE need GUILD_MEMBERS, except those about the bot itself.
- MESSAGE_CREATE/UPDATE/DELETE need GUILD_MESSAGES in a guild, DIRECT_MESSAGES in a DM; without
  MESSAGE_CONTENT a message's ``content``, ``embeds``, ``attachments``, ``components`` and
  ``poll`` are empty, unless the bot wrote it, is mentioned in it, or it is in a DM.
- Requesting a guild's whole member list (op 8 with an empty ``query``) needs GUILD_MEMBERS:
  Discord does not answer it otherwise.

The privileged intents (GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT) must be switched on
for the application (the Developer Portal's switches): an IDENTIFY asking for one that is not
is closed with 4014 Disallowed intent(s); an IDENTIFY without ``intents`` with 4013.
"""

from __future__ import annotations

from typing import Any

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

_MEMBER_EVENTS = ("GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE")
_MESSAGE_EVENTS = ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE")
_HIDDEN_CONTENT: dict[str, Any] = {"content": "", "embeds": [], "attachments": [], "components": []}


def shown(event: str, data: dict[str, Any], intents: int, bot_id: int) -> dict[str, Any] | None:
    """What a session that asked for ``intents`` receives of a dispatch (None: nothing)."""
    bot = str(bot_id)
    if event == "GUILD_CREATE":
        if not intents & GUILDS:
            return None
        if not intents & GUILD_PRESENCES:
            members = [m for m in data["members"] if m["user"]["id"] == bot]
            return {**data, "members": members, "presences": []}
    elif event in _MEMBER_EVENTS:
        if not intents & GUILD_MEMBERS and data["user"]["id"] != bot:
            return None
    elif event in _MESSAGE_EVENTS:
        if not intents & (GUILD_MESSAGES if data.get("guild_id") else DIRECT_MESSAGES):
            return None
        if event != "MESSAGE_DELETE" and not intents & MESSAGE_CONTENT:
            return data if _content_shown(data, bot) else _without_content(data)
    return data


def whole_list_allowed(request: dict[str, Any], intents: int) -> bool:
    """Whether a REQUEST_GUILD_MEMBERS (op 8) is answered: one for the whole member list (an
    empty ``query``, no ``user_ids``) needs GUILD_MEMBERS."""
    wants_all = request.get("query") == "" and not request.get("user_ids")
    return not wants_all or bool(intents & GUILD_MEMBERS)


def _content_shown(message: dict[str, Any], bot: str) -> bool:
    """The exceptions to MESSAGE_CONTENT: the bot's own messages, DMs, and mentions of it."""
    mentioned = any(user.get("id") == bot for user in message.get("mentions") or [])
    author = (message.get("author") or {}).get("id")
    return author == bot or not message.get("guild_id") or mentioned


def _without_content(message: dict[str, Any]) -> dict[str, Any]:
    hidden = {key: value for key, value in message.items() if key != "poll"}
    return {**hidden, **_HIDDEN_CONTENT}
