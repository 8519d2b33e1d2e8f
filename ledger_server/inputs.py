"""GraphQL input types generated from the entry types, and their way back to the import format.

Each entry type `X` gets `XChange` (its fields, for use inside a decision) and the mutation
input `XInput` (its fields plus the envelope: programmeId, effective, key, source, ...). The
input is turned back into an import-format dict and read by the same codec as an import file,
so the API and the importer validate in exactly one way.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import strawberry
from strawberry.types.base import StrawberryObjectDefinition

from ledger.changes import (
    ACTOR_KIND_HELP,
    COST_BASIS_HELP,
    ActorKind,
    Change,
    CostBasis,
    EntryCorrected,
    change_types,
    field_help,
    registry_key,
)
from ledger.values import (
    MONEY_KIND_HELP,
    PRECISION_HELP,
    LocalTime,
    MoneyKind,
    MoneyWindow,
    PlannedWindow,
    Precision,
    Source,
)
from ledger_server.enums import described_enum

# The help of each enum's values, declared beside the enum in the domain.
ENUM_HELP: dict[type[Enum], Mapping[Any, str]] = {Precision: PRECISION_HELP, ActorKind: ACTOR_KIND_HELP,
                                                   CostBasis: COST_BASIS_HELP}

PrecisionEnum = described_enum(Precision, PRECISION_HELP)
MoneyKindEnum = described_enum(MoneyKind, MONEY_KIND_HELP)
WINDOW_HELP, SOURCE_HELP, MONEY_HELP = PlannedWindow.FIELD_HELP, Source.FIELD_HELP, MoneyWindow.FIELD_HELP


@strawberry.input(description="A planned window: at least one bound; precision and the source's own words.")
class PlannedWindowInput:
    earliest: date | None = strawberry.field(default=None, description=WINDOW_HELP["earliest"])
    latest: date | None = strawberry.field(default=None, description=WINDOW_HELP["latest"])
    precision: PrecisionEnum = strawberry.field(description=WINDOW_HELP["precision"])  # type: ignore[valid-type]
    label: str = strawberry.field(description=WINDOW_HELP["label"])
    at: str | None = strawberry.field(default=None, description=WINDOW_HELP["at"])


@strawberry.input(description="Money as the source stated it: a kind, the amount (or low and high for a range) "
                              "and the source's own words.")
class MoneyWindowInput:
    kind: MoneyKindEnum = strawberry.field(description=MONEY_HELP["kind"])  # type: ignore[valid-type]
    amount: Decimal | None = strawberry.field(
        default=None, description="The one figure (NOK) of an exact, about, at-least or at-most amount; "
                                  "null for a range, which gives low and high")
    low: Decimal | None = strawberry.field(default=None, description="A range's floor (NOK)")
    high: Decimal | None = strawberry.field(default=None, description="A range's ceiling (NOK)")
    label: str = strawberry.field(description=MONEY_HELP["label"])


@strawberry.input(description="The document an entry comes from; only the title is required.")
class SourceInput:
    title: str = strawberry.field(description=SOURCE_HELP["title"])
    publisher: str | None = strawberry.field(default=None, description=SOURCE_HELP["publisher"])
    url: str | None = strawberry.field(default=None, description=SOURCE_HELP["url"])
    reference: str | None = strawberry.field(default=None, description=SOURCE_HELP["reference"])
    published_on: date | None = strawberry.field(default=None, description=SOURCE_HELP["published_on"])
    updated_on: date | None = strawberry.field(default=None, description=SOURCE_HELP["updated_on"])


# The fields every mutation input has around the entry's own (the entry's envelope).
ENVELOPE_HELP = {
    "programme_id": "The programme's id (a lower-case slug).",
    "effective": "When the change took effect in the world (the decision date, the go-live day); "
                 "a plan as of a date includes the entry from this day on.",
    "key": "The idempotency key, unique within the programme: sent again with the same content it adds "
           "nothing, with other content it is a KEY_CONFLICT. Null: a key is derived from the content.",
    "source": "The document the entry comes from; null records it as operational (live, without a source).",
    "deciding_body": "The body that decided the change, such as a board; null when not given.",
    "reason": "Why the change was made, in the source's words; null when not given.",
}


def command_type(mutation: str) -> str:
    """The entry type whose mutation (or decision change field) is called `mutation`."""
    return next(cls.TYPE for cls in change_types().values() if mutation == cls.MUTATION)


_ENUMS: dict[type[Enum], Any] = {Precision: PrecisionEnum}


def _enum(hint: type[Enum]) -> Any:
    """The GraphQL enum of a Python enum used by an entry type's field (made once)."""
    if hint not in _ENUMS:
        _ENUMS[hint] = described_enum(hint, ENUM_HELP.get(hint, {}))
    return _ENUMS[hint]


def _graphql_hint(hint: Any, change_input: Any) -> Any:
    origin = get_origin(hint)
    if origin is Annotated:
        _base, marker = get_args(hint)
        return strawberry.ID if marker == "slug" else str
    if origin in (Union, types.UnionType):
        inner = [arg for arg in get_args(hint) if arg is not type(None)]
        return _graphql_hint(inner[0], change_input) | None
    if origin is tuple:
        return list[_graphql_hint(get_args(hint)[0], change_input)]  # type: ignore[misc]
    if hint is PlannedWindow:
        return PlannedWindowInput
    if hint is MoneyWindow:
        return MoneyWindowInput
    if hint is LocalTime:
        return str  # "22:00 Europe/Oslo", read by the codec like an import line
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _enum(hint)
    if hint is Change:
        return change_input
    if hint in (date, Decimal, str, bool):
        return hint
    raise TypeError(f"no GraphQL input type for {hint!r}")


def _input_class(name: str, cls: type[Change], change_input: Any, envelope: bool, description: str) -> Any:
    annotations: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    helps: dict[str, str] = {}
    if envelope:
        annotations.update(programme_id=strawberry.ID, effective=date)
    hints = get_type_hints(cls, include_extras=True)
    own_help = field_help(cls)
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        graphql_name = "replacement_effective" if cls is EntryCorrected and field.name == "effective" else field.name
        hint = _graphql_hint(hints[field.name], change_input)
        optional = field.default is not dataclasses.MISSING or get_origin(hints[field.name]) in (Union, types.UnionType)
        if optional and get_origin(hint) not in (Union, types.UnionType):
            hint = hint | None
        annotations[graphql_name] = hint
        helps[graphql_name] = own_help[field.name]
        if optional:
            defaults[graphql_name] = None
    if envelope:
        annotations.update(key=str | None, source=SourceInput | None, deciding_body=str | None, reason=str | None)
        defaults.update(key=None, source=None, deciding_body=None, reason=None)
        helps.update(ENVELOPE_HELP)
    # Required fields first, as Python class bodies need.
    ordered = dict(sorted(annotations.items(), key=lambda item: item[0] in defaults))
    fields = {name: _described(helps[name], defaults.get(name, dataclasses.MISSING)) for name in ordered}
    namespace: dict[str, Any] = {"__annotations__": ordered, **fields, "__doc__": description}
    return strawberry.input(type(name, (), namespace), description=description)


def _described(description: str, default: Any) -> Any:
    """A strawberry input field with its help; `default` MISSING makes it required."""
    if default is dataclasses.MISSING:
        return strawberry.field(description=description)
    return strawberry.field(default=default, description=description)


@dataclass(frozen=True)
class MutationInputs:
    """The decision's one-of change input and every entry type's mutation input."""

    change_input: Any
    by_type: dict[str, Any]  # entry type name -> its XInput class


def mutation_inputs() -> MutationInputs:
    """The inputs for the entry types registered now (built once per set of types)."""
    return _build(registry_key())


@cache
def _build(registered: tuple[type[Change], ...]) -> MutationInputs:
    ordered = sorted(registered, key=lambda cls: cls.TYPE)
    change_fields: dict[str, Any] = {}
    change_defaults: dict[str, Any] = {}
    for cls in ordered:
        if cls.STANDALONE:
            continue
        change_class = _input_class(f"{cls.TYPE}Change", cls, None, False, (cls.__doc__ or "").strip())
        change_fields[cls.MUTATION] = change_class | None
        change_defaults[cls.MUTATION] = strawberry.field(
            default=strawberry.UNSET, description=f"{(cls.__doc__ or '').strip()} Needs the {cls.ROLE} role.")
    change_input = strawberry.input(
        type("ChangeInput", (), {"__annotations__": change_fields, **change_defaults, CHANGE_INPUT_MARK: True}),
        one_of=True,
        description="Exactly one change, named like its mutation: {rescheduleWave: {...}}.",
    )
    by_type = {
        cls.TYPE: _input_class(f"{cls.TYPE}Input", cls, change_input, True, (cls.__doc__ or "").strip())
        for cls in ordered
    }
    return MutationInputs(change_input, by_type)


CHANGE_INPUT_MARK = "_is_change_input"


def _plain(value: Any) -> Any:
    """A strawberry input value as the import format's JSON."""
    if value is None or value is strawberry.UNSET:
        return None
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if getattr(type(value), CHANGE_INPUT_MARK, False):
        return change_json(value)
    definition = getattr(type(value), "__strawberry_definition__", None)
    if isinstance(definition, StrawberryObjectDefinition):
        return {f.python_name: _plain(getattr(value, f.python_name)) for f in definition.fields
                if getattr(value, f.python_name) is not None}
    return value


def change_json(value: Any) -> dict[str, Any]:
    """The `{"type": ..., fields...}` dict of a one-of ChangeInput."""
    chosen = [(name, item) for name, item in vars(value).items() if item not in (None, strawberry.UNSET)]
    if len(chosen) != 1:
        # graphql-core enforces oneOf already; this guards direct callers.
        raise ValueError("a ChangeInput sets exactly one field")
    name, item = chosen[0]
    return {"type": command_type(name), **_fields(item)}


def _fields(item: Any) -> dict[str, Any]:
    data = {name: _plain(value) for name, value in vars(item).items()}
    return {name: value for name, value in data.items() if value is not None or name == "window"}


def entry_json(type_name: str, value: Any) -> dict[str, Any]:
    """The import-format line of a mutation input."""
    data = _fields(value)
    line: dict[str, Any] = {"type": type_name, "programme": data.pop("programme_id"), **data}
    if type_name == EntryCorrected.TYPE:
        effective = line.pop("replacement_effective", None)
        if effective is not None:
            line["replacement"]["effective"] = effective
    return line
