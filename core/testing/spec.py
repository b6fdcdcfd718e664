"""Checks every REST request against Discord's own OpenAPI description.

The description is ``<repo>/../shared/discord-api-spec/openapi.json`` unless the environment
variable ``DBSBM_DISCORD_SPEC`` names another file. Request bodies are validated with
jsonschema (Draft 2020-12) with the whole document as the root, so ``$ref``s resolve.
"""

from __future__ import annotations

import functools
import json
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_ENV_VAR = "DBSBM_DISCORD_SPEC"
_SPEC_URI = "urn:discord-openapi"
_HTTP_METHODS = ("get", "put", "post", "patch", "delete")


@dataclass(frozen=True)
class SpecQuirk:
    """A place where Discord's description is stricter than Discord itself.

    An error whose value has type ``value_type`` is not a violation where the quirk applies:
    where the value's location in the body ends with ``location`` (``"*"`` matches any one
    step), or, for a quirk with a ``schema_format``, wherever the schema the value failed has
    that ``format``.
    """

    value_type: type
    reason: str
    location: tuple[str, ...] = ()
    schema_format: str | None = None

    def covers(self, error: ValidationError) -> bool:
        if type(error.instance) is not self.value_type:
            return False
        if self.schema_format is not None:
            schema = error.schema
            return isinstance(schema, dict) and schema.get("format") == self.schema_format
        tail = tuple(error.absolute_path)[-len(self.location) :]
        return len(tail) == len(self.location) and all(
            want in ("*", got) for want, got in zip(self.location, tail, strict=True)
        )


#: Where Discord accepts what its description refuses (the one list of such exceptions).
QUIRKS: tuple[SpecQuirk, ...] = (
    SpecQuirk(
        int,
        "Discord takes a snowflake as an integer as well as a string: discord.py sends"
        " integers (the recipient_id of a new DM, ids in its bodies), and a new upload's"
        " attachment id is its part index, an integer (Discord's docs, disnake); the"
        " description only allows snowflake strings.",
        schema_format="snowflake",
    ),
    SpecQuirk(
        str,
        "Discord documents permissions as a string of the bit set (and disnake sends one);"
        " the description only allows an integer.",
        location=("default_member_permissions",),
    ),
)


@dataclass(frozen=True)
class SpecViolation:
    """A request the bot made that Discord's description rejects."""

    method: str
    path: str
    operation_id: str | None
    error: str

    def __str__(self) -> str:
        where = self.operation_id or "no such route in Discord's API"
        return f"{self.method} {self.path} ({where}): {self.error}"


def default_spec_path() -> Path:
    """``$DBSBM_DISCORD_SPEC``, else ``<repo>/../shared/discord-api-spec/openapi.json``."""
    if env := os.environ.get(SPEC_ENV_VAR):
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "discord-api-spec" / "openapi.json"


@dataclass(frozen=True)
class _Operation:
    operation_id: str
    pointer: str | None  # JSON pointer to the JSON request body schema, if the route takes one
    template: str  # the route as the description writes it


class SpecChecker:
    """Validates requests against the description; build one per file with :meth:`load`."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document
        self._registry: Registry[Any] = Registry().with_resource(
            _SPEC_URI, Resource.from_contents(document, default_specification=DRAFT202012)
        )
        self._routes: list[tuple[re.Pattern[str], dict[str, _Operation]]] = []
        for template, item in document["paths"].items():
            ops = {
                method.upper(): _Operation(
                    op["operationId"], _body_pointer(template, method, op), template
                )
                for method, op in item.items()
                if method in _HTTP_METHODS
            }
            self._routes.append((_template_regex(template), ops))
        # literal segments win over parameters: /users/@me before /users/{user_id}
        self._routes.sort(key=lambda route: route[0].pattern.count("[^/]+"))
        self._validators: dict[str, Draft202012Validator] = {}

    @classmethod
    @functools.cache
    def load(cls, path: Path) -> SpecChecker | None:
        """The checker for ``path`` (cached), or None with one warning when the file is absent."""
        if not path.is_file():
            warnings.warn(
                f"Discord's OpenAPI description is not at {path}; requests are not checked "
                f"(set {SPEC_ENV_VAR} to its path).",
                stacklevel=2,
            )
            return None
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def check(self, method: str, path: str, body: Any) -> SpecViolation | None:
        """Check one request; ``path`` is relative to ``/api/v10``, ``body`` its JSON (or None)."""
        operation = self._operation(method, path)
        if operation is None:
            return SpecViolation(method, path, None, "unknown route")
        if operation.pointer is None or body is None:
            return None
        errors = [
            error
            for error in self._validator(operation.pointer).iter_errors(body)
            if not _is_quirk(error)
        ]
        if not errors:
            return None
        error = describe(max(errors, key=relevance), "<body>")
        return SpecViolation(method, path, operation.operation_id, error)

    def response_errors(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Where an answer to ``method path`` (relative to ``/api/v10``) with ``status`` breaks
        the description's schema for that answer, as :meth:`schema_errors` lines; a route or
        status the description does not list is one error line. A 204 answer has no body: it
        conforms when the description lists 204 for the operation."""
        operation = self._operation(method, path)
        if operation is None:
            return [f"{method} {path}: not in the description"]
        escaped = operation.template.replace("~", "~0").replace("/", "~1")
        answer = f"/paths/{escaped}/{method.lower()}/responses/{status}"
        if status == 204:
            listed = self._resolve(answer) is not None
            return [] if listed else [f"{method} {path}: the description lists no 204 answer"]
        pointer = f"{answer}/content/application~1json/schema"
        if self._resolve(pointer) is None:
            return [f"{method} {path}: the description lists no JSON answer with status {status}"]
        return self._errors(pointer, body)

    def _resolve(self, pointer: str) -> Any:
        node: Any = self._document
        for part in pointer.strip("/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def _errors(self, pointer: str, value: Any) -> list[str]:
        lines = (
            describe(error, "<value>")
            for error in self._validator(pointer).iter_errors(value)
            if not _is_quirk(error)
        )
        invented = (
            f"{'/'.join(at)}: not a field the description documents"
            for at in self._undocumented(self._resolve(pointer), value, ())
        )
        return list(dict.fromkeys([*lines, *invented]))

    def _schema(self, schema: Any) -> dict[str, Any]:
        """``schema`` with its ``$ref``s (local to the document) followed."""
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self._resolve(schema["$ref"].removeprefix("#"))
        return schema if isinstance(schema, dict) else {}

    def _properties(self, schema: Any) -> dict[str, Any]:
        """The fields a schema documents, through ``allOf``, ``oneOf`` and ``anyOf`` (a field
        several branches document may be any of their schemas)."""
        schema = self._schema(schema)
        found: dict[str, Any] = dict(schema.get("properties", {}))
        for branch in (b for key in ("allOf", "oneOf", "anyOf") for b in schema.get(key, [])):
            for name, sub in self._properties(branch).items():
                found[name] = {"anyOf": [found[name], sub]} if name in found else sub
        return found

    def _items(self, schema: Any) -> dict[str, Any]:
        schema = self._schema(schema)
        if "items" in schema:
            return dict(schema["items"])
        branches = [b for key in ("allOf", "oneOf", "anyOf") for b in schema.get(key, [])]
        return {"anyOf": [self._items(b) for b in branches]}

    def _undocumented(self, schema: Any, value: Any, at: tuple[str, ...]) -> list[tuple[str, ...]]:
        """Where ``value`` has a field its schema does not document (an object whose schema
        names no field, or allows any, is free-form)."""
        if isinstance(value, list):
            items = self._items(schema)
            return [
                p for i, v in enumerate(value) for p in self._undocumented(items, v, (*at, str(i)))
            ]
        known = self._properties(schema)
        if not isinstance(value, dict) or not known:
            return []
        found: list[tuple[str, ...]] = []
        for key, item in value.items():
            if key not in known:
                found.append((*at, key))
            else:
                found += self._undocumented(known[key], item, (*at, key))
        return found

    def schema_errors(self, schema: str, value: Any) -> list[str]:
        """Where ``value`` breaks the description's component schema ``schema`` (for example
        ``"InteractionCallbackResponse"``), one ``location: message`` line each; ``[]`` when it
        conforms (a field the schema does not document is one line too). For checking what the
        local Discord answers against what Discord answers."""
        return self._errors(f"/components/schemas/{schema}", value)

    def _operation(self, method: str, path: str) -> _Operation | None:
        for regex, ops in self._routes:
            if regex.fullmatch(path):
                return ops.get(method)
        return None

    def _validator(self, pointer: str) -> Draft202012Validator:
        validator = self._validators.get(pointer)
        if validator is None:
            schema = {"$ref": f"{_SPEC_URI}#{pointer}"}
            validator = Draft202012Validator(schema, registry=self._registry)
            self._validators[pointer] = validator
        return validator


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))


def _body_pointer(template: str, method: str, operation: dict[str, Any]) -> str | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    escaped = template.replace("~", "~0").replace("/", "~1")
    return f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema"


def _is_quirk(error: ValidationError) -> bool:
    """Whether ``error`` is only quirks: for ``anyOf``/``oneOf``, one branch fails only on them."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        return any(all(_is_quirk(sub) for sub in subs) for subs in branches.values())
    return any(quirk.covers(error) for quirk in QUIRKS)


def describe(error: ValidationError, root: str) -> str:
    """``location: constraint: what`` for ``error``, e.g. ``embeds/0/description: maxLength:
    5000 characters, at most 4096`` (``root`` names the location of the whole value). Inside a
    ``oneOf``/``anyOf`` that no branch matches, the error described is one of the branch the
    value was meant for (see :func:`_meant`)."""
    error = _meant(error)
    path = [str(step) for step in error.absolute_path]
    keyword, value, limit = error.validator, error.instance, error.validator_value
    if keyword == "required" and isinstance(value, dict):
        missing = [name for name in limit if name not in value]
        path.append(missing[0])
        what = "missing"
    elif keyword in ("maxLength", "minLength", "maxItems", "minItems") and isinstance(
        value, str | list
    ):
        unit = "characters" if isinstance(value, str) else "items"
        bound = "at most" if keyword.startswith("max") else "at least"
        what = f"{len(value)} {unit}, {bound} {limit}"
    elif keyword == "type":
        expected = " or ".join(limit) if isinstance(limit, list) else limit
        what = f"{_json_type(value)} {_short(value)}, expected {expected}"
    elif keyword == "enum" or (keyword in ("oneOf", "anyOf") and _constants(error)):
        keyword = "enum"
        what = f"{_short(value)} is not one of {_constants(error) or limit}"
    elif keyword == "const":
        what = f"{_short(value)} is not {limit!r}"
    elif keyword == "pattern":
        what = f"{_short(value)} does not match {limit}"
    elif keyword in ("maximum", "minimum"):
        what = f"{_short(value)}, {'at most' if keyword == 'maximum' else 'at least'} {limit}"
    else:
        what = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"{'/'.join(path) or root}: {keyword}: {what}"


def _meant(error: ValidationError) -> ValidationError:
    """The error that says what is wrong. For a ``oneOf``/``anyOf`` that no branch matches:
    an error of the branch the value was meant for, the one whose kind and discriminator
    (such as ``type``) fit the value (else the branch with the fewest problems), as deep as
    nested ``oneOf``s go; not the first branch's mismatch of kind. When every branch fixes
    the same discriminator to other values, that discriminator's error, with all of them."""
    while error.validator in ("oneOf", "anyOf") and error.context and not _constants(error):
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            if not _is_quirk(sub):
                branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        if not branches:
            break
        meant = [subs for subs in branches.values() if not any(map(_other_kind, subs))]
        if not meant and (unknown := _unknown_discriminator(list(branches.values()))):
            return unknown
        problems: list[ValidationError] = min(meant or list(branches.values()), key=len)
        error = max(problems, key=relevance)
    return error


def _unknown_discriminator(branches: list[list[ValidationError]]) -> ValidationError | None:
    """An ``enum`` error listing every value the branches allow for one discriminator, when
    each branch refused the value there (e.g. a callback ``type`` no callback has)."""
    fixed = [
        next((e for e in subs if e.validator in ("enum", "const") and _other_kind(e)), None)
        for subs in branches
    ]
    found = [e for e in fixed if e is not None]
    if len(found) < len(fixed) or len({tuple(e.relative_path) for e in found}) != 1:
        return None
    values: list[Any] = []
    for e in found:
        values += e.validator_value if e.validator == "enum" else [e.validator_value]
    allowed = sorted(set(values)) if all(type(v) is int for v in values) else values
    first = found[0]
    message = f"{first.instance!r} is not one of {allowed}"
    return ValidationError(
        message,
        validator="enum",
        validator_value=allowed,
        instance=first.instance,
        path=first.absolute_path,
        schema=first.schema,
    )


def _constants(error: ValidationError) -> list[Any]:
    """The values of a ``oneOf``/``anyOf`` of constants (how the description writes most
    enumerations, e.g. button styles); ``[]`` for any other schema."""
    branches = error.validator_value
    if error.validator not in ("oneOf", "anyOf") or not isinstance(branches, list):
        return []
    if not all(isinstance(branch, dict) and "const" in branch for branch in branches):
        return []
    return [branch["const"] for branch in branches]


def _other_kind(error: ValidationError) -> bool:
    """Whether ``error`` says the value is of another kind than its ``oneOf`` branch: of
    another JSON type, or with another value in a property the branch fixes (a discriminator
    such as a component's ``type``)."""
    depth = len(error.relative_path)
    return (error.validator == "type" and depth == 0) or (
        error.validator in ("enum", "const") and depth == 1
    )


def _json_type(value: Any) -> str:
    kinds: tuple[tuple[type, str], ...] = (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), "null")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
