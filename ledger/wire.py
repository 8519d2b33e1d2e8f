"""The import form as msgspec types, generated from the entry types' declarations.

An import line (or a GraphQL mutation's input, or a line of `ledger export`) is validated by
msgspec, in C, against Structs made here from each entry type's fields and type hints: the
shape, the `type` tag, required and unknown fields, dates, ids, amounts, text lengths, enums.
What a pattern cannot say (a window's bounds out of order, a shorthand such as "2024-Q3", a
list that must name something) is checked while the domain objects are built from the Structs.

When msgspec refuses a line, `explain` turns its error (a message and a `$.changes[2].actor`
path) into the ledger's own words, by asking the value's `parse_*` function in
`ledger.values` what is wrong with the raw value at that path. Those functions state each
rule once; here they only explain a refusal, they do not parse valid input.
"""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import msgspec

from ledger.changes import Change, EntryCorrected, change_types, registry_generation
from ledger.entry import Entry, Provenance
from ledger.errors import InvalidInput
from ledger.values import (
    MONEY,
    SLUG,
    LocalTime,
    MoneyKind,
    MoneyWindow,
    PlannedWindow,
    Precision,
    Source,
    money_window_from_parts,
    money_window_from_shorthand,
    parse_date,
    parse_local_time,
    parse_money,
    parse_money_kind,
    parse_money_window,
    parse_precision,
    parse_slug,
    parse_source,
    parse_text,
    parse_window,
    window_from_shorthand,
    window_time,
)

TEXT_LENGTH = 4000
# Text is non-blank and holds no NUL (PostgreSQL cannot store one); the look-ahead keeps the
# pattern linear in the length of the text.
TEXT_PATTERN = r"\A(?!\s*\Z)[^\x00]*\Z"
SlugWire = Annotated[str, msgspec.Meta(pattern=rf"\A{SLUG.pattern}\Z")]
MoneyWire = Annotated[str, msgspec.Meta(pattern=rf"\A{MONEY.pattern}\Z")]


def text_wire(max_length: int = TEXT_LENGTH) -> Any:
    """Bounded, non-blank text without NUL."""
    return Annotated[str, msgspec.Meta(pattern=TEXT_PATTERN, max_length=max_length)]


class WindowWire(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A planned window written as an object."""

    precision: Precision
    label: Annotated[str, msgspec.Meta(pattern=TEXT_PATTERN, max_length=200)]
    earliest: date | None = None
    latest: date | None = None
    at: str | None = None  # "22:00 Europe/Oslo", on a window of one day


class MoneyWindowWire(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A money window written as an object: its kind, one amount or both bounds, the source's words."""

    kind: MoneyKind
    label: Annotated[str, msgspec.Meta(pattern=TEXT_PATTERN, max_length=200)]
    amount: MoneyWire | None = None
    low: MoneyWire | None = None
    high: MoneyWire | None = None


class SourceWire(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Where an entry comes from."""

    title: Annotated[str, msgspec.Meta(pattern=TEXT_PATTERN, max_length=500)]
    publisher: Annotated[str, msgspec.Meta(pattern=TEXT_PATTERN, max_length=2000)] | None = None
    url: Annotated[str, msgspec.Meta(pattern=TEXT_PATTERN, max_length=2000)] | None = None
    reference: Annotated[str, msgspec.Meta(pattern=TEXT_PATTERN, max_length=2000)] | None = None
    published_on: date | None = None
    updated_on: date | None = None


# The envelope every entry line carries around its change: each field's wire type and default.
ENVELOPE: dict[str, tuple[Any, Any]] = {
    "programme": (SlugWire, msgspec.NODEFAULT),
    "effective": (date, msgspec.NODEFAULT),
    "key": (Annotated[str, msgspec.Meta(pattern=TEXT_PATTERN, max_length=300)] | None, None),
    "source": (SourceWire | None, None),
    "deciding_body": (text_wire() | None, None),
    "reason": (text_wire() | None, None),
}
# A correction's replacement may move the corrected entry to another effective date.
REPLACEMENT_EXTRA: dict[str, tuple[Any, Any]] = {"effective": (date | None, None)}

Build = Callable[[Any, str], Any]  # a wire value and its path -> the domain value


@dataclasses.dataclass(frozen=True)
class WireType:
    """One entry type's generated Struct and how to build the change from it."""

    change: type[Change]
    struct: type[msgspec.Struct]
    builds: tuple[tuple[str, Build | None], ...]  # every change field, with its builder if any


def _hints(cls: Any) -> dict[str, Any]:
    return get_type_hints(cls, include_extras=True)


def _optional(hint: Any) -> Any | None:
    """The inner type of `X | None`, or None when the hint is not optional."""
    if get_origin(hint) in (Union, types.UnionType):
        inner = [arg for arg in get_args(hint) if arg is not type(None)]
        return inner[0]
    return None


def _wire_and_build(hint: Any) -> tuple[Any, Build | None]:
    """The msgspec type that validates a field of this domain type, and its builder (None: as is)."""
    inner = _optional(hint)
    if inner is not None:
        wire, build = _wire_and_build(inner)
        if build is None:
            return wire | None, None
        return wire | None, lambda value, path, build=build: None if value is None else build(value, path)
    origin = get_origin(hint)
    if origin is Annotated:
        return (SlugWire, None) if get_args(hint)[1] == "slug" else (text_wire(), None)
    if origin is tuple:
        item_wire, item_build = _wire_and_build(get_args(hint)[0])
        if item_build is None:
            return tuple[item_wire, ...], None  # type: ignore[valid-type]
        return tuple[item_wire, ...], lambda values, path: tuple(  # type: ignore[valid-type]
            item_build(value, f"{path}[{i}]") for i, value in enumerate(values))
    if hint is date or (isinstance(hint, type) and issubclass(hint, Enum)):
        return hint, None
    if hint is Decimal:
        return MoneyWire, lambda value, _path: Decimal(value)
    if hint is PlannedWindow:
        return str | WindowWire, _build_window
    if hint is MoneyWindow:
        return str | MoneyWindowWire, _build_money_window
    if hint is LocalTime:
        return str, parse_local_time
    if hint is Change:
        # A nested change is converted on its own (see `_build_nested`), so the generated
        # types need not refer to each other.
        return dict[str, Any], _build_nested
    raise TypeError(f"no import form for {hint!r}")  # a programming error, not bad input


def _build_window(value: str | WindowWire, path: str) -> PlannedWindow:
    if isinstance(value, str):
        return window_from_shorthand(value, path)
    if value.earliest is None and value.latest is None:
        raise InvalidInput("a window needs at least one of earliest and latest", field=path)
    if value.earliest and value.latest and value.earliest > value.latest:
        raise InvalidInput(f"earliest {value.earliest} is after latest {value.latest}", field=path)
    at = window_time(value.at, value.precision, value.earliest, value.latest, f"{path}.at")
    return PlannedWindow(value.earliest, value.latest, value.precision, value.label, at)


def _build_money_window(value: str | MoneyWindowWire, path: str) -> MoneyWindow:
    if isinstance(value, str):
        return money_window_from_shorthand(value, path)

    def amount(text: str | None) -> Decimal | None:
        return None if text is None else Decimal(text)

    return money_window_from_parts(value.kind, amount(value.amount), amount(value.low), amount(value.high),
                                   value.label, path)


def _build_nested(value: dict[str, Any], path: str) -> Change:
    change, _ = convert_change(value, path, _changes())
    return change


def _generate(cls: type[Change], extra: dict[str, tuple[Any, Any]]) -> WireType:
    hints = _hints(cls)
    special = {"replacement", "effective"} if cls is EntryCorrected else set()
    fields: list[tuple[str, Any, Any]] = []
    builds: list[tuple[str, Build | None]] = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in special and field.name != "replacement":
            continue
        build: Build | None
        if field.name == "replacement" and cls is EntryCorrected:
            wire, build = dict[str, Any], _build_replacement
        else:
            wire, build = _wire_and_build(hints[field.name])
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        default = field.default if field.default is not dataclasses.MISSING else (
            field.default_factory() if field.default_factory is not dataclasses.MISSING else msgspec.NODEFAULT)
        fields.append((field.name, wire, default if has_default else msgspec.NODEFAULT))
        builds.append((field.name, build))
    fields += [(name, wire, default) for name, (wire, default) in extra.items() if name not in {f[0] for f in fields}]
    struct = msgspec.defstruct(f"{cls.TYPE}Wire", fields, tag_field="type", tag=cls.TYPE,
                               forbid_unknown_fields=True, frozen=True, kw_only=True)
    return WireType(cls, struct, tuple(builds))


@dataclasses.dataclass(frozen=True)
class Forms:
    """The generated types for one set of entry types: as a line, as a part, as a replacement."""

    role: str  # "line", "part" (of a decision) or "replacement" (of a correction)
    by_tag: dict[str, WireType]
    by_struct: dict[type[msgspec.Struct], WireType]
    union: Any  # every type's Struct, told apart by the "type" tag (used to explain a refusal)


_EXTRA: dict[str, dict[str, tuple[Any, Any]]] = {"line": ENVELOPE, "part": {}, "replacement": REPLACEMENT_EXTRA}
_GENERATED: dict[str, tuple[int, Forms]] = {}


def _forms_for(role: str) -> Forms:
    # Regenerated when the registry changes: an entry type defined later (a test's, a
    # plugin's) gets its Struct the first time a line is read after it.
    generation = registry_generation()
    known = _GENERATED.get(role)
    if known is not None and known[0] == generation:
        return known[1]
    generated = [_generate(cls, _EXTRA[role]) for cls in change_types().values()]
    union: Any = Union[tuple(wire.struct for wire in generated)]  # noqa: UP007 - built at run time
    forms = Forms(role, {wire.change.TYPE: wire for wire in generated}, {wire.struct: wire for wire in generated},
                  union)
    _GENERATED[role] = (generation, forms)
    return forms


def _lines() -> Forms:
    return _forms_for("line")


def _changes() -> Forms:
    return _forms_for("part")


def _replacements() -> Forms:
    return _forms_for("replacement")


def _build_replacement(value: dict[str, Any], path: str) -> tuple[Change, date | None]:
    change, struct = convert_change(value, path, _replacements())
    return change, getattr(struct, "effective", None)


def convert_change(raw: Any, path: str, forms: Forms) -> tuple[Change, msgspec.Struct]:
    """A change from its JSON object; refusals name the field under `path`."""
    # By the tag first: converting to one Struct is several times faster than to the union.
    wire = forms.by_tag.get(raw.get("type")) if isinstance(raw, dict) else None  # type: ignore[arg-type]
    try:
        struct = msgspec.convert(raw, forms.union if wire is None else wire.struct)
    except msgspec.ValidationError as error:
        raise explain(error, raw, path, forms) from None
    wire = forms.by_struct[type(struct)]
    values: dict[str, Any] = {}
    for name, build in wire.builds:
        value = getattr(struct, name)
        values[name] = value if build is None else build(value, f"{path}.{name}" if path else name)
    cls = wire.change
    for name in cls.NON_EMPTY:
        if not values[name]:
            raise InvalidInput(f"{cls.TYPE} needs at least one item here", field=f"{path}.{name}" if path else name)
    if cls is EntryCorrected:
        values["replacement"], effective = values["replacement"]
        if effective is not None:
            values["effective"] = effective
    try:
        return cls(**values), struct
    except InvalidInput as error:  # a check across fields (a cost scope's), made by the type itself
        raise (error.at(path) if path else error) from None


def decode_line(raw: Any, *, recorded_by: str, require_source: bool, derive_key: Callable[[Entry], str]) -> Entry:
    """One entry from its JSON object (see `ledger.codec.decode_entry`)."""
    if not isinstance(raw, dict):
        raise InvalidInput("an entry must be a JSON object")
    change, struct = convert_change(raw, "", _lines())
    source: SourceWire | None = struct.source  # type: ignore[attr-defined]
    if source is None and require_source:
        raise InvalidInput("an imported entry needs a source (at least a title)", field="source")
    key = struct.key  # type: ignore[attr-defined]
    entry = Entry(
        programme=struct.programme,  # type: ignore[attr-defined]
        change=change,
        effective=struct.effective,  # type: ignore[attr-defined]
        key="" if key is None else key,
        provenance=Provenance(
            recorded_by=recorded_by,
            source=None if source is None else Source(**msgspec.structs.asdict(source)),
            deciding_body=struct.deciding_body,  # type: ignore[attr-defined]
            reason=struct.reason,  # type: ignore[attr-defined]
        ),
    )
    return entry if key is not None else dataclasses.replace(entry, key=derive_key(entry))


# -- explaining a refusal ---------------------------------------------------------------------

_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_FIELD = re.compile(r"field `([^`]+)`")
_OWN_FIELDS = {PlannedWindow: "window", Source: "source", MoneyWindow: "money window"}
# Fields of a value's object form that its class does not have (a money window's one amount).
_FORM_ONLY_HINTS: dict[Any, dict[str, Any]] = {MoneyWindow: {"amount": Decimal | None}}
_ENVELOPE_HINTS = {"programme": Annotated[str, "slug"], "effective": date, "source": Source,
                   "key": Annotated[str, "text"], "deciding_body": Annotated[str, "text"],
                   "reason": Annotated[str, "text"]}


@dataclasses.dataclass
class _Place:
    """Where a msgspec path leads in the raw input: the object there and the value's type."""

    owner: Any = None  # the change class, PlannedWindow or Source of the object at the path
    role: str = "line"  # for a change: "line", "part" (of a decision) or "replacement"
    hint: Any = None  # the domain type of the value at the path
    value: Any = None
    present: bool = True


def explain(error: msgspec.ValidationError, raw: Any, prefix: str, forms: Forms) -> InvalidInput:
    """msgspec's refusal of `raw` in the ledger's words, naming the field under `prefix`."""
    message = str(error)
    found = _PATH.search(message)
    relative = found["path"] if found else ""
    message = message[:found.start()] if found else message
    path = (prefix + relative) if prefix else relative.lstrip(".")
    place = _walk(raw, relative, forms.role)
    if message.startswith("Object contains unknown field"):
        return _unknown_fields(place, path)
    if message.startswith("Object missing required field"):
        name = _FIELD.search(message)[1]  # type: ignore[index]
        inner = f"{path}.{name}" if path else name
        if name == "type":
            return InvalidInput("None is not an entry type", field=inner)
        if isinstance(place.owner, type) and issubclass(place.owner, Change) and name not in ENVELOPE:
            return InvalidInput(f"{place.owner.TYPE} needs this field", field=inner)
        return InvalidInput(f"{_OWN_FIELDS.get(place.owner, 'an entry')} needs this field", field=inner)
    if relative.endswith(".type") and message.startswith("Invalid value"):
        return InvalidInput(f"{place.value!r} is not an entry type", field=path)
    if not relative and message.startswith("Expected `object`"):
        return InvalidInput("must be a JSON object" if prefix else "an entry must be a JSON object",
                            field=prefix or None)
    if place.present and place.hint is not None:
        try:
            _explain_value(place.hint, place.value, path)
        except InvalidInput as explained:
            return explained
    # A refusal the values' own words do not cover: msgspec's, which says what was expected.
    return InvalidInput(message, field=path or None)


def _unknown_fields(place: _Place, path: str) -> InvalidInput:
    given = set(place.value) if isinstance(place.value, dict) else set()
    if isinstance(place.owner, type) and issubclass(place.owner, Change):
        known = {f.name for f in dataclasses.fields(place.owner)} | {"type"}  # type: ignore[arg-type]
        known |= {"line": set(ENVELOPE), "replacement": set(REPLACEMENT_EXTRA)}.get(place.role, set())
        unknown = ", ".join(sorted(given - known))
        return InvalidInput(f"unknown field(s) for {place.owner.TYPE}: {unknown}", field=path or None)
    what = _OWN_FIELDS.get(place.owner, "source")
    known = {f.name for f in dataclasses.fields(place.owner or Source)} | set(_FORM_ONLY_HINTS.get(place.owner, ()))
    unknown = ", ".join(sorted(given - known))
    return InvalidInput(f"unknown {what} field(s): {unknown}", field=path)


def _change_class(raw: Any) -> type[Change] | None:
    type_name = raw.get("type") if isinstance(raw, dict) else None
    return change_types().get(type_name) if isinstance(type_name, str) else None


def _field_hint(place: _Place, name: str) -> Any:
    owner = place.owner
    if isinstance(owner, type) and issubclass(owner, Change):
        if place.role == "line" and name in _ENVELOPE_HINTS:
            return _ENVELOPE_HINTS[name]
        if name == "effective" and (place.role == "replacement" or owner is EntryCorrected):
            return date
        if owner is EntryCorrected and name == "replacement":
            return Change
        return _hints(owner).get(name)
    if owner not in _OWN_FIELDS:
        return None
    return _hints(owner).get(name, _FORM_ONLY_HINTS.get(owner, {}).get(name))


def _walk(raw: Any, relative: str, role: str) -> _Place:
    """Follow a msgspec path (`.changes[2].window`) through the raw input."""
    place = _Place(owner=_change_class(raw), role=role, value=raw)
    for name, index in _TOKEN.findall(relative):
        if index:
            position = int(index)
            if not isinstance(place.value, list) or position >= len(place.value):
                return dataclasses.replace(place, present=False)
            place.value = place.value[position]
            place.hint = get_args(place.hint)[0] if get_origin(place.hint) is tuple else None
        else:
            place.hint = _field_hint(place, name)
            if not isinstance(place.value, dict) or name not in place.value:
                return dataclasses.replace(place, present=False)
            place.value = place.value[name]
            place.role = "replacement" if name == "replacement" else "part"
        inner = _optional(place.hint)
        place.hint = inner if inner is not None else place.hint
        if place.hint is Change:
            place.owner = _change_class(place.value)
        elif place.hint in _OWN_FIELDS:
            place.owner = place.hint
        elif get_origin(place.hint) is not tuple:
            place.owner = None
    return place


# The value types whose own parser says what is wrong with a refused value (a new value type
# adds its line here).
_EXPLAINED_BY: dict[Any, Callable[[Any, str], object]] = {
    date: parse_date, Decimal: parse_money, PlannedWindow: parse_window, MoneyWindow: parse_money_window,
    MoneyKind: parse_money_kind, LocalTime: parse_local_time, Source: parse_source, Precision: parse_precision,
}


def _explain_value(hint: Any, value: Any, path: str) -> None:
    """Raise what the value's own parser says is wrong with it (nothing for a valid value)."""
    inner = _optional(hint)
    if inner is not None:
        if value is not None:
            _explain_value(inner, value, path)
        return
    origin = get_origin(hint)
    if origin is Annotated and get_args(hint)[1] == "slug":
        parse_slug(value, path)
    elif origin is Annotated or hint is str:  # Text, or a source's and a window's plain text fields
        parse_text(value, path, max_length=_text_length(path))
    elif origin is tuple:
        if not isinstance(value, list):
            raise InvalidInput("must be a list", field=path)
    elif hint in _EXPLAINED_BY:
        _EXPLAINED_BY[hint](value, path)
    elif hint is Change:
        if not isinstance(value, dict):
            raise InvalidInput("must be a JSON object", field=path)
    elif isinstance(hint, type) and issubclass(hint, Enum):
        try:
            hint(value)
        except ValueError:
            allowed = ", ".join(str(member.value) for member in hint)
            raise InvalidInput(f"{value!r} is not one of: {allowed}", field=path) from None


def _text_length(path: str) -> int:
    """The length limit of a text field, by where it stands (see the wire types above)."""
    last = path.rsplit(".", 1)[-1]
    if path == "key":
        return 300
    if path.endswith(".label"):
        return 200
    if path.startswith("source."):
        return 500 if last == "title" else 2000
    return TEXT_LENGTH
