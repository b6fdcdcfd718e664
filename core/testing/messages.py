"""Message objects in Discord's wire format, built from the bodies the bot sends."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from core.testing.state import EPHEMERAL, Member, StoredFile, User, World, iso_now, snowflake

#: Message fields a create or edit request can set directly.
_CONTENT_FIELDS = ("content", "embeds", "components", "tts", "poll", "sticker_items")


@dataclass(frozen=True, slots=True)
class Uploads:
    """The files one request sends, by their part index, and the URL the local Discord serves
    attachments under."""

    files: dict[int, StoredFile]
    base: str


def new_message(
    world: World,
    *,
    channel_id: int,
    author: User,
    payload: dict[str, Any],
    uploads: Uploads,
    webhook_id: int | None = None,
    message_type: int = 0,
    interaction_metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create and store a message; ``uploads`` are the request's files by their part index."""
    message: dict[str, Any] = {
        "id": str(snowflake()),
        "channel_id": str(channel_id),
        "author": author.to_wire(),
        "content": "",
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "pinned": False,
        "type": message_type,
        "flags": int(payload.get("flags") or 0) & EPHEMERAL,
    }
    if webhook_id is not None:
        message["webhook_id"] = str(webhook_id)
        message["application_id"] = str(webhook_id)
    if interaction_metadata is not None:
        message["interaction_metadata"] = interaction_metadata
    if reference := payload.get("message_reference"):
        message["message_reference"] = reference
    _apply(world, message, payload, uploads)
    world.messages[int(message["id"])] = message
    return message


def created_event(
    message: dict[str, Any], guild_id: int | None, member: Member | None = None
) -> dict[str, Any]:
    """MESSAGE_CREATE's data: the message with the fields only the gateway sends, its guild's id
    and its author's ``member`` (a message object of the REST API has neither)."""
    event = dict(message)
    if guild_id is not None:
        event["guild_id"] = str(guild_id)
    if member is not None:
        event["member"] = member.to_wire(with_user=False)
    return event


def edit_message(
    world: World, message: dict[str, Any], payload: dict[str, Any], uploads: Uploads
) -> dict[str, Any]:
    """Apply an edit request to a stored message, in place, and return it."""
    _apply(world, message, payload, uploads)
    message["edited_timestamp"] = iso_now()
    return message


def _apply(
    world: World, message: dict[str, Any], payload: dict[str, Any], uploads: Uploads
) -> None:
    for key in _CONTENT_FIELDS:
        if key in payload:
            message[key] = payload[key] if payload[key] is not None else _empty(key)
    number_components(message["components"])
    if "attachments" in payload or uploads.files:
        message["attachments"] = _attachments(world, message, payload, uploads)


def number_components(components: list[Any]) -> None:
    """Give every component without an ``id`` one, in place, as Discord does: 1, 2, 3... in
    the order they appear (a container before what it holds), skipping ids already set."""
    tree = list(_tree(components))
    taken = {c["id"] for c in tree if isinstance(c.get("id"), int)}
    free = (n for n in itertools.count(1) if n not in taken)
    for component in tree:
        if not isinstance(component.get("id"), int):
            component["id"] = next(free)


def _tree(components: list[Any]) -> Iterator[dict[str, Any]]:
    """Components and the components they hold (rows, sections, labels), in order."""
    for component in components:
        if not isinstance(component, dict):
            continue
        yield component
        children = list(component.get("components") or [])
        children += [component[key] for key in ("component", "accessory") if key in component]
        yield from _tree(children)


def _empty(key: str) -> Any:
    return "" if key == "content" else [] if key in ("embeds", "components") else None


def _attachments(
    world: World, message: dict[str, Any], payload: dict[str, Any], uploads: Uploads
) -> list[dict[str, Any]]:
    """The message's attachments after a request: kept old ones (by id) and new uploads.

    A request lists new files as ``{"id": <part index>}`` and kept ones by their real id;
    uploads a request sends without listing them are attached too.
    """
    existing = {int(a["id"]): a for a in message.get("attachments", [])}
    listed = payload.get("attachments")
    result: list[dict[str, Any]] = []
    used: set[int] = set()
    for item in listed if listed is not None else list(existing.values()):
        ref = int(item["id"])
        if ref in existing:
            result.append(existing[ref])
        elif ref in uploads.files:
            used.add(ref)
            result.append(_attachment(world, uploads.files[ref], uploads.base, item))
    for index, upload in sorted(uploads.files.items()):
        if index not in used:
            result.append(_attachment(world, upload, uploads.base, {}))
    return result


def _attachment(
    world: World, upload: StoredFile, attachments_base: str, item: dict[str, Any]
) -> dict[str, Any]:
    world.files[upload.id] = upload
    url = f"{attachments_base}/{upload.id}/{upload.filename}"
    data: dict[str, Any] = {
        "id": str(upload.id),
        "filename": upload.filename,
        "size": len(upload.data),
        "url": url,
        "proxy_url": url,
        "content_type": upload.content_type,
    }
    if description := item.get("description"):
        data["description"] = description
    return data
