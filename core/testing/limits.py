"""Discord's limits, enforced by the local Discord as Discord enforces them.

A message, an edit, a followup or an interaction callback that breaks a limit is refused with
Discord's ``400 Invalid Form Body`` (code 50035) and the body Discord sends, whose ``errors``
name the place of each problem, e.g.::

    {"message": "Invalid Form Body", "code": 50035, "errors": {"embeds": {"0": {
      "description": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                   "message": "Must be 4096 or fewer in length."}]}}}}}

An interaction callback's problems sit under ``data``. This check runs whether or not the
OpenAPI request check is on (the sandbox runs without it), so a test or a sandbox session sees
what Discord would do. The limits are those of :mod:`core.discord_limits`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from core import discord_limits as L

#: Message flag of a message laid out with components v2 (no action-row limits apply then).
COMPONENTS_V2 = 1 << 15
_SELECTS = (3, 5, 6, 7, 8)

Errors = dict[str, Any]


class _Found:
    """The problems of one body, nested the way Discord reports them."""

    def __init__(self) -> None:
        self.errors: Errors = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        node = self.errors
        for step in path:
            node = node.setdefault(str(step), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def too_long(self, path: tuple[str | int, ...], value: Any, limit: int) -> None:
        if isinstance(value, str | list) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def too_short(self, path: tuple[str | int, ...], value: Any, least: int) -> None:
        if isinstance(value, str | list) and len(value) < least:
            self.add(path, "BASE_TYPE_MIN_LENGTH", f"Must be {least} or more in length.")

    def required(self, path: tuple[str | int, ...], value: Any) -> None:
        if value is None or value == "":
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")


def invalid_form_body(errors: Errors) -> dict[str, Any]:
    """Discord's body of a 400 for a form it refuses."""
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors}


def refusal_text(body: dict[str, Any]) -> str:
    """Discord's error body on one line, each problem at its place as client libraries show
    it: ``50035 Invalid Form Body: embeds.0.description: Must be 4096 or fewer in length.``"""
    head = f"{body.get('code', 0)} {body.get('message', '')}".strip()
    problems = list(_problems(body.get("errors"), ()))
    return f"{head}: {'; '.join(problems)}" if problems else head


def _problems(node: Any, path: tuple[str, ...]) -> Iterator[str]:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "_errors" and isinstance(value, list):
            where = ".".join(path) or "<body>"
            yield from (f"{where}: {error.get('message')}" for error in value)
        else:
            yield from _problems(value, (*path, key))


def message_errors(body: Any) -> Errors:
    """The problems of a message body (create, edit, followup); empty if it is within limits."""
    found = _Found()
    if isinstance(body, dict):
        _message(found, (), body)
    return found.errors


def callback_errors(body: Any) -> Errors:
    """The problems of an interaction callback body; empty if it is within limits."""
    found = _Found()
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        return found.errors
    data, kind = body["data"], body.get("type")
    if kind in (4, 7):
        _message(found, ("data",), data)
    elif kind == 8:
        _choices(found, ("data", "choices"), data.get("choices"))
    elif kind == 9:
        _modal(found, ("data",), data)
    return found.errors


def _message(found: _Found, at: tuple[str | int, ...], body: dict[str, Any]) -> None:
    found.too_long((*at, "content"), body.get("content"), L.CONTENT)
    embeds = body.get("embeds")
    if isinstance(embeds, list):
        found.too_long((*at, "embeds"), embeds, L.EMBEDS)
        total = 0
        for index, embed in enumerate(embeds):
            if isinstance(embed, dict):
                total += _embed(found, (*at, "embeds", index), embed)
        if total > L.EMBEDS_TOTAL:
            message = f"Embed size exceeds maximum size of {L.EMBEDS_TOTAL}"
            found.add((*at, "embeds"), "MAX_EMBED_SIZE_EXCEEDED", message)
    components = body.get("components")
    if isinstance(components, list) and not int(body.get("flags") or 0) & COMPONENTS_V2:
        _action_rows(found, (*at, "components"), components)


def _text(embed: dict[str, Any], *path: str) -> str:
    value: Any = embed
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""


def _embed(found: _Found, at: tuple[str | int, ...], embed: dict[str, Any]) -> int:
    """Check one embed; its size as Discord counts it against the 6,000 of a message."""
    found.too_long((*at, "title"), embed.get("title"), L.TITLE)
    found.too_long((*at, "description"), embed.get("description"), L.DESCRIPTION)
    found.too_long((*at, "footer", "text"), _text(embed, "footer", "text"), L.FOOTER)
    found.too_long((*at, "author", "name"), _text(embed, "author", "name"), L.AUTHOR)
    size = sum(
        len(_text(embed, *path))
        for path in (("title",), ("description",), ("footer", "text"), ("author", "name"))
    )
    fields = embed.get("fields")
    if isinstance(fields, list):
        found.too_long((*at, "fields"), fields, L.FIELDS)
        for index, field in enumerate(fields):
            if not isinstance(field, dict):
                continue
            for key, limit in (("name", L.FIELD_NAME), ("value", L.FIELD_VALUE)):
                found.required((*at, "fields", index, key), field.get(key))
                found.too_long((*at, "fields", index, key), field.get(key), limit)
                size += len(_text(field, key))
    return size


def _action_rows(found: _Found, at: tuple[str | int, ...], rows: list[Any]) -> None:
    found.too_long(at, rows, L.ACTION_ROWS)
    for index, row in enumerate(rows):
        if not isinstance(row, dict) or row.get("type") != 1:
            continue
        children = row.get("components")
        if not isinstance(children, list):
            continue
        where = (*at, index, "components")
        found.too_short(where, children, 1)
        found.too_long(where, children, L.ROW_WIDTH)
        has_select = any(isinstance(c, dict) and c.get("type") in _SELECTS for c in children)
        if has_select and len(children) > 1:
            message = "The specified component exceeds the maximum width"
            found.add(where, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", message)
        for position, child in enumerate(children):
            if isinstance(child, dict):
                _component(found, (*where, position), child)


def _component(found: _Found, at: tuple[str | int, ...], component: dict[str, Any]) -> None:
    found.too_long((*at, "custom_id"), component.get("custom_id"), L.CUSTOM_ID)
    kind = component.get("type")
    if kind == 2:
        found.too_long((*at, "label"), component.get("label"), L.BUTTON_LABEL)
    elif kind in _SELECTS:
        found.too_long((*at, "placeholder"), component.get("placeholder"), L.PLACEHOLDER)
        options = component.get("options")
        if kind == 3:
            found.too_short((*at, "options"), options if options is not None else [], 1)
        if isinstance(options, list):
            found.too_long((*at, "options"), options, L.SELECT_OPTIONS)
            for index, option in enumerate(options):
                if not isinstance(option, dict):
                    continue
                for key in ("label", "value", "description"):
                    found.too_long((*at, "options", index, key), option.get(key), L.OPTION_TEXT)


def _choices(found: _Found, at: tuple[str | int, ...], choices: Any) -> None:
    if not isinstance(choices, list):
        return
    found.too_long(at, choices, L.CHOICES)
    for index, choice in enumerate(choices):
        if not isinstance(choice, dict):
            continue
        found.too_short((*at, index, "name"), choice.get("name"), 1)
        found.too_long((*at, index, "name"), choice.get("name"), L.CHOICE_NAME)
        found.too_long((*at, index, "value"), choice.get("value"), L.CHOICE_VALUE)


def _modal(found: _Found, at: tuple[str | int, ...], modal: dict[str, Any]) -> None:
    found.too_long((*at, "title"), modal.get("title"), L.MODAL_TITLE)
    found.too_long((*at, "custom_id"), modal.get("custom_id"), L.CUSTOM_ID)
    rows = modal.get("components")
    if not isinstance(rows, list):
        return
    found.too_long((*at, "components"), rows, L.ACTION_ROWS)
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        children = row.get("components")
        inputs = children if isinstance(children, list) else [row.get("component")]
        for position, child in enumerate(inputs):
            if not isinstance(child, dict) or child.get("type") != 4:
                continue
            where = (*at, "components", index, "components", position)
            found.too_long((*where, "label"), child.get("label"), L.TEXT_INPUT_LABEL)
            found.too_long(
                (*where, "placeholder"), child.get("placeholder"), L.TEXT_INPUT_PLACEHOLDER
            )
            found.too_long((*where, "custom_id"), child.get("custom_id"), L.CUSTOM_ID)
