"""Every text column of every first-party plugin's tables holds its maximum, on SQLite,
PostgreSQL and MariaDB (tables made by the plugins' migrations, as in production), in
characters of four UTF-8 bytes; and every column a member writes is guarded by a validator
that refuses one character more with a clear message, on exactly the text that is stored.

Regression test of issue 14 item 4: a 300-character note of ``@`` was rewritten to 600
characters against a 500-character column."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from db_backends import BACKENDS, fresh_database  # type: ignore[import-not-found]
from tortoise import fields
from tortoise.models import Model

from core import validation
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from core.validation import ValidationError
from plugins.betting import inputs
from plugins.betting.models import Draft, Game, Leg, Pick

PLUGINS = ["betting", "audit", "admin"]
"""The first-party plugins with tables (weather and metrics have none)."""
WIDE = "\U0001d538"  # MATHEMATICAL DOUBLE-STRUCK CAPITAL A: four bytes in UTF-8
TEXT_FIELD_SAMPLE = 10_000


def plugin_models() -> list[type[Model]]:
    """Every table of the plugins (abstract bases have none), parents before the models that
    refer to them."""
    found: list[type[Model]] = []
    for plugin in PLUGINS:
        module = importlib.import_module(f"plugins.{plugin}.models")
        found += [
            m
            for m in vars(module).values()
            if isinstance(m, type)
            and issubclass(m, Model)
            and m.__module__ == module.__name__
            and not m._meta.abstract
        ]
    return sorted(found, key=lambda m: len(m._meta.fk_fields))


def text_value(field: fields.Field[Any]) -> str:
    if isinstance(field, fields.CharField):
        return WIDE * field.max_length
    return WIDE * TEXT_FIELD_SAMPLE


def other_value(field: fields.Field[Any]) -> Any:
    """A valid value for a required column that holds no text."""
    if isinstance(field, fields.DatetimeField):
        return datetime.now(UTC)
    if isinstance(field, fields.DecimalField):
        return Decimal(1)
    if isinstance(field, fields.BooleanField):
        return False
    if isinstance(field, fields.JSONField):
        return []
    return 1


async def write_at_maximum(model: type[Model], parents: dict[type[Model], Model]) -> list[str]:
    """Write one row with every text column at its maximum, read it back; the columns written."""
    values: dict[str, Any] = {}
    fk_columns = {model._meta.fields_map[fk].source_field for fk in model._meta.fk_fields}
    meta = model._meta
    for name, field in meta.fields_map.items():
        if name in meta.backward_fk_fields | meta.backward_o2o_fields | meta.m2m_fields:
            continue
        if isinstance(field, fields.relational.ForeignKeyFieldInstance):
            values[f"{name}_id"] = parents[field.related_model].pk
        elif isinstance(field, fields.CharField | fields.TextField):
            values[name] = text_value(field)
        elif not (field.generated or field.null or field.default is not None or name in fk_columns):
            values[name] = other_value(field)
    row = await model.create(**values)
    stored = await model.get(pk=row.pk)
    for name, field in model._meta.fields_map.items():
        if isinstance(field, fields.CharField | fields.TextField):
            assert getattr(stored, name) == values[name], f"{model.__name__}.{name}"
    parents[model] = row
    return [
        f"{model.__name__}.{n}"
        for n, f in meta.fields_map.items()
        if n in values and isinstance(f, fields.CharField | fields.TextField)
    ]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_every_text_column_holds_its_maximum(backend: str, tmp_path: Path) -> None:
    settings = {"web": {"enabled": False}}
    async with (
        fresh_database(backend, tmp_path) as url,
        LocalDiscord() as discord,
        run_app(discord, tmp_path, plugins=PLUGINS, settings=settings, database_url=url) as app,
    ):
        assert all(app.plugins.is_loaded(p) for p in PLUGINS), app.plugins.records
        parents: dict[type[Model], Model] = {}
        models = plugin_models()
        assert {m.__name__ for m in models} >= {"Pick", "Leg", "AuditEntry", "GuildPluginSwitch"}
        written = [name for model in models for name in await write_at_maximum(model, parents)]
        assert {"Pick.note", "Leg.selection", "Leg.matchup", "AuditEntry.detail"} <= set(written)
        assert len(written) >= 40


def column(model: type[Model], name: str) -> int:
    field = model._meta.fields_map[name]
    assert isinstance(field, fields.CharField)
    return field.max_length


#: Every column a member's words go into: (model, column, field name, the validator, its limit).
MEMBER_TEXT: list[tuple[type[Model], str, str, Callable[[str], str], int]] = [
    (Pick, "note", "note", lambda t: inputs.text(t, "note", inputs.NOTE_MAX_LENGTH), 300),
    (Draft, "note", "note", lambda t: inputs.text(t, "note", inputs.NOTE_MAX_LENGTH), 300),
    (
        Leg,
        "selection",
        "selection",
        lambda t: inputs.text(t, "selection", inputs.SELECTION_MAX_LENGTH),
        200,
    ),
    (Game, "home", "team", validation.team_name, validation.NAME_MAX_LENGTH),
    (Game, "away", "team", validation.team_name, validation.NAME_MAX_LENGTH),
    (Game, "league", "league", validation.league_name, validation.NAME_MAX_LENGTH),
    (Pick, "league", "league", validation.league_name, validation.NAME_MAX_LENGTH),
    (Leg, "league", "league", validation.league_name, validation.NAME_MAX_LENGTH),
]


@pytest.mark.parametrize(
    ("model", "name", "field", "check", "limit"),
    MEMBER_TEXT,
    ids=[f"{m.__name__}.{n}" for m, n, *_ in MEMBER_TEXT],
)
def test_member_text_is_refused_one_past_its_limit(
    model: type[Model], name: str, field: str, check: Callable[[str], str], limit: int
) -> None:
    assert limit <= column(model, name)
    typed = "@" * limit if field in ("note", "selection") else "Ü" * limit
    assert check(typed) == typed  # stored as typed, so the column holds it
    with pytest.raises(ValidationError) as refused:
        check(typed + typed[0])
    assert str(refused.value) == f"{field}: must be at most {limit} characters (got {limit + 1})"


def test_a_matchup_of_the_longest_team_names_fits_its_column() -> None:
    longest = "Ü" * validation.NAME_MAX_LENGTH
    assert len(f"{longest} @ {longest}") <= column(Leg, "matchup")
