"""The OpenAPI 3.1 document of ``/api/v1``, made from the declared endpoints and their models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from core.pages import Access, Endpoint
from plugins.dashboard.api import API_PREFIX, CODES, MAX_LIMIT

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string", "enum": sorted({*CODES.values(), "error"})},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
        }
    },
}


def _error_responses(endpoint: Endpoint) -> dict[str, Any]:
    statuses = [400, 404, 429]
    if endpoint.access is not Access.PUBLIC:
        statuses += [401, 403]
    if endpoint.body is not None:
        statuses.append(422)
    return {
        str(status): {
            "description": CODES[status].replace("_", " "),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status in sorted(statuses)
    }


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    found = []
    for part in endpoint.path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            schema: dict[str, Any] = {"type": "string"}
            if name.endswith("_id"):
                schema["pattern"] = "^[0-9]{1,20}$"
            found.append({"name": name, "in": "path", "required": True, "schema": schema})
    for name, description in endpoint.query.items():
        found.append(
            {"name": name, "in": "query", "description": description, "schema": {"type": "string"}}
        )
    if endpoint.paginated:
        found += [
            {"name": "cursor", "in": "query", "schema": {"type": "string"}},
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        ]
    return found


def _response_schema(endpoint: Endpoint) -> dict[str, Any] | None:
    if endpoint.response is None:
        return None
    item = {"$ref": f"#/components/schemas/{endpoint.response.__name__}"}
    if not endpoint.paginated:
        return item
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


def document(endpoints: list[tuple[str, Endpoint]], title: str, version: str) -> dict[str, Any]:
    """The whole document: every endpoint, its parameters, bodies, answers and errors."""
    models: set[type[BaseModel]] = set()
    for _, endpoint in endpoints:
        models.update(m for m in (endpoint.response, endpoint.body) if m is not None)
    _, schemas = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    components = {"Error": ERROR, **schemas.get("$defs", {})}
    paths: dict[str, dict[str, Any]] = {}
    for owner, endpoint in endpoints:
        operation: dict[str, Any] = {
            "operationId": f"{owner}_{endpoint.handler.__name__}",
            "summary": endpoint.summary,
            "tags": [owner],
            "parameters": _parameters(endpoint),
            "responses": _error_responses(endpoint),
        }
        schema = _response_schema(endpoint)
        answer: dict[str, Any] = {"description": "OK"}
        if schema is not None:
            answer["content"] = {"application/json": {"schema": schema}}
        operation["responses"][str(endpoint.status if schema else 204)] = answer
        if endpoint.body is not None:
            ref = {"$ref": f"#/components/schemas/{endpoint.body.__name__}"}
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref}},
            }
        if endpoint.access is Access.PUBLIC:
            operation["security"] = []
        paths.setdefault(API_PREFIX + endpoint.path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "a personal token"},
                "session": {"type": "apiKey", "in": "cookie", "name": "dbsbm_session"},
            },
        },
        "security": [{"token": []}, {"session": []}],
    }
