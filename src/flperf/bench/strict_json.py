"""Request models that read JSON the way JSON Schema does: `5.0` is an integer, `"5"` is not.

Pydantic's strict mode refuses `"5"` for an int (lax mode would take it, though the published
schema says integer) but also refuses `5.0`, which JSON Schema counts as an integer. A
`StrictJsonModel` is strict and turns whole floats into ints for its int fields first.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def _takes_int(annotation: Any) -> bool:
    """Whether a field of this type takes an int (`int`, `int | None`, constrained or not)."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if annotation is int:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_takes_int(arg) for arg in typing.get_args(annotation))
    return False


class StrictJsonModel(BaseModel):
    """A strict model whose int fields also take whole floats (JSON Schema's integers)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_floats(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        changed = None
        for name, info in cls.model_fields.items():
            value = data.get(name)
            if isinstance(value, float) and value.is_integer() and _takes_int(info.annotation):
                changed = changed if changed is not None else dict(data)
                changed[name] = int(value)
        return changed if changed is not None else data
