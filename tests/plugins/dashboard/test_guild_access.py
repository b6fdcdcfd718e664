"""Who manages a guild, read off Discord's ``GET /users/@me/guilds`` answer: the owner flag, or
the ``permissions`` bit field with Administrator (``1 << 3``) or Manage Server (``1 << 5``), the
values Discord's documentation gives; every other bit alone manages nothing."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.dashboard.access import guild_access

ADMINISTRATOR, MANAGE_GUILD = 1 << 3, 1 << 5
EVERYTHING_ELSE = (1 << 53) - 1 & ~(ADMINISTRATOR | MANAGE_GUILD)


def partial_guild(permissions: int | str | None, *, owner: bool = False) -> dict[str, Any]:
    """A guild as ``/users/@me/guilds`` lists it (``permissions`` is a string on the wire)."""
    return {"id": "81384788765712384", "name": "Bets", "owner": owner, "permissions": permissions}


@pytest.mark.parametrize(
    ("permissions", "owner", "manages"),
    [
        (str(ADMINISTRATOR), False, True),
        (str(MANAGE_GUILD), False, True),
        (str(ADMINISTRATOR | MANAGE_GUILD | EVERYTHING_ELSE), False, True),
        ("0", True, True),
        (None, True, True),
        (str(EVERYTHING_ELSE), False, False),
        ("0", False, False),
        (None, False, False),
    ],
)
def test_manages_is_ownership_administrator_or_manage_server(
    permissions: str | None, owner: bool, manages: bool
) -> None:
    found = guild_access([partial_guild(permissions, owner=owner)], {81384788765712384})
    assert found[81384788765712384].manages is manages
    assert found[81384788765712384].name == "Bets"


def test_only_guilds_the_bot_shares_and_well_formed_entries_are_kept() -> None:
    answer = [
        partial_guild(str(MANAGE_GUILD)),
        {"id": "2", "name": "Elsewhere", "permissions": str(MANAGE_GUILD)},
        {"name": "no id", "permissions": "0"},
        {"id": "not a number", "permissions": "0"},
        {"id": "3", "permissions": "not a number"},
        {"id": "4", "permissions": "0"},
    ]
    found = guild_access(answer, {81384788765712384, 3, 4})
    assert sorted(found) == [4, 81384788765712384]
    assert found[4].name == "4" and not found[4].manages  # no name: its id stands in
