"""Model classes created again during a reload keep tortoise's ``#:`` field comments, and an
edited comment is read again."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from core.compat.tortoise import reused_field_comments

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Item(Model):
    id = fields.IntField(primary_key=True)
    #: What {model} costs
    price = fields.IntField()

    class Meta:
        app = "comments"
"""


@pytest.fixture
def models_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "comments_models.py"
    path.write_text(MODELS.lstrip())
    yield path
    sys.modules.pop("comments_models", None)


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("comments_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["comments_models"] = module
    spec.loader.exec_module(module)
    return module


def _description(module: ModuleType) -> str | None:
    return module.Item._meta.fields_map["price"].description


def test_unchanged_and_edited_comments(models_file: Path) -> None:
    assert _description(_load(models_file)) == "What Item costs"
    with reused_field_comments():
        assert _description(_load(models_file)) == "What Item costs"
        assert _description(_load(models_file)) == "What Item costs"
        models_file.write_text(models_file.read_text().replace("What {model} costs", "Its price"))
        assert _description(_load(models_file)) == "Its price"
