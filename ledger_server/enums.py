"""GraphQL enums made from Python enums, each value described from help declared beside the enum.

The domain's enums (`Precision`, `ActorKind`) stay free of strawberry: their help is a plain
mapping next to them, and this is where the two meet.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

import strawberry

E = TypeVar("E", bound=type[Enum])


def described_enum(hint: E, help_of: Mapping[Any, str], description: str | None = None) -> E:
    """`hint` as a GraphQL enum whose every value carries its help (a value without one is refused)."""
    made = strawberry.enum(hint, name=hint.__name__, description=description or (hint.__doc__ or "").strip())
    for value in made.__strawberry_definition__.values:  # type: ignore[attr-defined]
        member = hint[value.name]
        if member not in help_of:
            raise TypeError(f"{hint.__name__}.{value.name} has no help text; add it beside the enum")
        value.description = help_of[member]
    return made
