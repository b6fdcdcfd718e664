"""The dashboard's own ``/api/v1`` endpoints: who is asking, and their API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from core.pages import ROW_ID_MAX, Endpoint, Scope, WebError, WebRequest
from plugins.dashboard.tokens import Tokens


class GuildSeen(BaseModel):
    id: str = Field(description="The guild's snowflake, as a string (as Discord sends it).")
    name: str
    manages: bool = Field(description="Manage Server, Administrator or ownership there.")


class Me(BaseModel):
    id: str
    name: str
    owner: bool = Field(description="Whether this user owns the bot.")
    scopes: list[Scope]
    guilds: list[GuildSeen]


class TokenInfo(BaseModel):
    id: int
    name: str
    scopes: list[Scope]
    created_at: datetime
    used_at: datetime | None


class TokenList(BaseModel):
    tokens: list[TokenInfo]


class OwnEndpoints:
    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("GET", "/me", self.me, "Who is asking", response=Me),
            Endpoint("GET", "/me/tokens", self.my_tokens, "Your API tokens", response=TokenList),
            Endpoint(
                "DELETE",
                "/me/tokens/{token_id}",
                self.revoke,
                "Revoke one of your API tokens",
                scope=Scope.MANAGE,
                status=204,
            ),
        ]

    async def me(self, req: WebRequest) -> Me:
        who = req.user
        guilds = [
            GuildSeen(id=str(g.id), name=g.name, manages=g.manages)
            for g in sorted(who.guilds.values(), key=lambda g: g.id)
        ]
        scopes = sorted(who.scopes)
        return Me(id=str(who.user_id), name=who.name, owner=who.owner, scopes=scopes, guilds=guilds)

    async def my_tokens(self, req: WebRequest) -> TokenList:
        listed = await self.tokens.of_user(req.user.user_id)
        return TokenList(
            tokens=[
                TokenInfo(
                    id=t.id,
                    name=t.name,
                    scopes=[Scope(s) for s in t.scopes.split()],
                    created_at=t.created_at,
                    used_at=t.used_at,
                )
                for t in listed
            ]
        )

    async def revoke(self, req: WebRequest) -> None:
        if not await self.tokens.revoke(req.user.user_id, req.int_param("token_id", ROW_ID_MAX)):
            raise WebError(404, "no such token of yours")
