"""The request checker is never stricter than Discord, and says what failed: the constraint
(length, enum, required, type...) and the JSON path of the value, also inside ``oneOf``s whose
first branch is not the one the value is meant for."""

from __future__ import annotations

from typing import Any

import pytest

from core.testing.spec import SpecChecker

CALLBACK = "/interactions/1/token/callback"


def error(checker: SpecChecker, method: str, path: str, body: Any) -> str | None:
    violation = checker.check(method, path, body)
    return None if violation is None else violation.error


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/users/@me/channels", {"recipient_id": 80351110224678912}),
        ("POST", "/users/@me/channels", {"recipient_id": "80351110224678912"}),
        ("POST", "/channels/1/messages", {"content": "x", "attachments": [{"id": 0}]}),
        ("POST", "/channels/1/messages", {"message_reference": {"message_id": 42}}),
        ("POST", "/applications/1/commands", {"name": "a", "default_member_permissions": "8"}),
    ],
    ids=["int recipient_id", "str recipient_id", "int attachment id", "int message_id", "perms"],
)
def test_what_discord_accepts_passes(
    checker: SpecChecker, method: str, path: str, body: dict[str, Any]
) -> None:
    """Snowflakes as integers or strings, permissions as a string, as Discord takes them."""
    assert error(checker, method, path, body) is None


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        (
            "POST",
            CALLBACK,
            {"type": 4, "data": {"embeds": [{"description": "x" * 5000}]}},
            "data/embeds/0/description: maxLength: 5000 characters, at most 4096",
        ),
        (
            "POST",
            CALLBACK,
            {"type": 7, "data": {"content": "x" * 2001}},
            "data/content: maxLength: 2001 characters, at most 2000",
        ),
        (
            "POST",
            "/channels/1/messages",
            {"embeds": [{"fields": [{"name": "n"}]}]},
            "embeds/0/fields/0/value: required: missing",
        ),
        (
            "POST",
            "/channels/1/messages",
            {"embeds": [{"title": 5}]},
            "embeds/0/title: type: integer 5, expected string or null",
        ),
        (
            "POST",
            "/channels/1/messages",
            {"embeds": [{}] * 11},
            "embeds: maxItems: 11 items, at most 10",
        ),
        (
            "POST",
            "/channels/1/messages",
            {
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {"type": 2, "style": 1, "label": "x" * 81, "custom_id": "a"}
                        ],
                    }
                ]
            },
            "components/0/components/0/label: maxLength: 81 characters, at most 80",
        ),
        (
            "POST",
            "/channels/1/messages",
            {
                "components": [
                    {"type": 1, "components": [{"type": 2, "style": 9, "custom_id": "a"}]}
                ]
            },
            "components/0/components/0/style: enum: 9 is not one of [1, 2, 3, 4, 5, 6]",
        ),
        (
            "POST",
            CALLBACK,
            {"type": 99},
            "type: enum: 99 is not one of [1, 4, 5, 6, 7, 8, 9, 12, 13]",
        ),
        (
            "POST",
            "/users/@me/channels",
            {"recipient_id": "Alice"},
            "recipient_id: pattern: 'Alice' does not match ^(0|[1-9][0-9]*)$",
        ),
    ],
    ids=[
        "over-long embed in a callback",
        "over-long content in an update",
        "embed field without a value",
        "embed title of the wrong type",
        "too many embeds",
        "over-long button label in a row",
        "unknown button style",
        "unknown callback type",
        "not a snowflake",
    ],
)
def test_a_refusal_names_the_constraint_and_its_path(
    checker: SpecChecker, method: str, path: str, body: dict[str, Any], expected: str
) -> None:
    assert error(checker, method, path, body) == expected
