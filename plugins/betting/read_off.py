"""Building a value from another with fields of the same names (a model row into an API answer,
a pydantic body into a change)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


def read_off(kind: type[T], source: object, **given: Any) -> T:
    """A ``kind`` (a pydantic model or a dataclass) whose fields are ``source``'s attributes of
    the same names, except those ``given``. A pydantic model validates them (so a status string
    becomes its enum); a dataclass takes them as they are."""

    def values(names: Iterable[str]) -> dict[str, Any]:
        return {name: getattr(source, name) for name in names if name not in given} | given

    if issubclass(kind, BaseModel):
        return kind.model_validate(values(kind.model_fields))
    fields = dataclasses.fields(kind)  # type: ignore[arg-type]
    return kind(**values(field.name for field in fields))
