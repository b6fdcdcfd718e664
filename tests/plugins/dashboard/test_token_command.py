"""``/token``: a member makes, lists and revokes API tokens from Discord; what it makes reads
``/api/v1`` as them, and a revoked one is refused."""

from __future__ import annotations

import re

from core.app import App
from core.testing.driver import Actor, Callback
from core.testing.server import LocalDiscord
from core.testing.visitor import Visitor
from plugins.dashboard.models import ApiToken

SECRET = re.compile(r"dbsbm_[A-Za-z0-9_-]{20,}")


async def run(actor: Actor, *path: str, **options: object) -> Callback:
    """The ephemeral reply to ``/path options`` (asserted ephemeral)."""
    reply = await (await actor.slash(*path, **options)).wait_reply()
    assert reply.message is not None and reply.ephemeral, reply
    return reply


async def test_a_token_made_with_slash_token_reads_the_api_until_revoked(
    discord: LocalDiscord, dashboard: App
) -> None:
    alice = discord.member("Alice")
    made = await run(alice, "token", "create", name="phone")
    assert made.message is not None
    (secret,) = SECRET.findall(made.message.content)
    assert "shown only this once" in made.message.content
    stored = await ApiToken.get(user_id=alice.member.id)
    assert stored.name == "phone" and stored.scopes == "read" and secret not in stored.token_hash
    assert stored.guilds == [
        {
            "id": str(discord.guild.id),
            "name": discord.guild.name,
            "permissions": str(alice.member.permissions),
            "owner": False,
        }
    ]
    async with Visitor(discord, dashboard.web.url) as program:
        status, me, _ = await program.api("GET", "/me", token=secret)
        assert status == 200 and me["id"] == str(alice.member.id) and me["scopes"] == ["read"]
        assert me["guilds"] == [
            {"id": str(discord.guild.id), "name": discord.guild.name, "manages": True}
        ]

        listed = await run(alice, "token", "list")
        assert listed.message is not None
        assert f"`#{stored.id}` **phone** · read" in listed.message.content
        assert secret not in listed.message.content and "never used" not in listed.message.content

        revoked = await run(alice, "token", "revoke", id=stored.id)
        assert revoked.message is not None and "is revoked" in revoked.message.content
        status, body, _ = await program.api("GET", "/me", token=secret)
        assert status == 401 and body["error"]["code"] == "unauthorized"
    again = await run(alice, "token", "revoke", id=stored.id)
    assert again.message is not None and "revoked already" in again.message.content
    empty = await run(alice, "token", "list")
    assert empty.message is not None and "no API tokens" in empty.message.content


async def test_a_member_may_not_revoke_another_members_token(
    discord: LocalDiscord, dashboard: App
) -> None:
    alice, bob = discord.member("Alice"), discord.member("Bob")
    await run(alice, "token", "create", name="laptop", scope="read manage")
    token = await ApiToken.get(user_id=alice.member.id)
    assert token.scopes == "manage read"
    refused = await run(bob, "token", "revoke", id=token.id)
    assert refused.message is not None and "not one of yours" in refused.message.content
    assert (await ApiToken.get(id=token.id)).revoked_at is None
    made = await run(bob, "token", "create", name="script")
    assert made.message is not None
    (secret,) = SECRET.findall(made.message.content)
    async with Visitor(discord, dashboard.web.url) as program:
        status, me, _ = await program.api("GET", "/me", token=secret)
        assert status == 200 and me["guilds"][0]["manages"] is False  # Bob manages nothing


async def test_a_blank_name_is_refused_and_nothing_is_made(
    discord: LocalDiscord, dashboard: App
) -> None:
    alice = discord.member("Alice")
    refused = await run(alice, "token", "create", name="   ")
    assert refused.message is not None and "name: 1 to 64 characters" in refused.message.content
    assert not await ApiToken.all().count()
