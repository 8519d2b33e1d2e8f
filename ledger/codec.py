"""One JSON form for entries, used by the event store, import and export.

Changes are read field by field from their type hints, so adding an entry type needs no
codec code. Reading validates: every error names the field (`changes[2].window.earliest`).
"""

from __future__ import annotations

import hashlib
import json
import types
from dataclasses import MISSING, fields
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

from ledger.changes import Change, EntryCorrected, change_types
from ledger.entry import Entry, Provenance
from ledger.errors import InvalidInput
from ledger.values import (
    LocalTime,
    PlannedWindow,
    format_money,
    parse_date,
    parse_local_time,
    parse_money,
    parse_slug,
    parse_source,
    parse_text,
    parse_window,
)

ENVELOPE = {"type", "programme", "effective", "key", "source", "deciding_body", "reason"}
# Export adds these; import ignores them because the ledger sets them itself.
RECORDED = "recorded"


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return get_type_hints(cls, include_extras=True)


def _decode(hint: Any, raw: Any, field: str) -> Any:
    origin = get_origin(hint)
    if origin is Annotated:
        _base, marker = get_args(hint)
        if marker == "slug":
            return parse_slug(raw, field)
        return parse_text(raw, field)
    if origin in (Union, types.UnionType):
        inner = [arg for arg in get_args(hint) if arg is not type(None)]
        return None if raw is None else _decode(inner[0], raw, field)
    if origin is tuple:
        if not isinstance(raw, list):
            raise InvalidInput("must be a list", field=field)
        item_hint = get_args(hint)[0]
        return tuple(_decode(item_hint, item, f"{field}[{i}]") for i, item in enumerate(raw))
    if hint is date:
        return parse_date(raw, field)
    if hint is Decimal:
        return parse_money(raw, field)
    if hint is PlannedWindow:
        return parse_window(raw, field)
    if hint is LocalTime:
        return parse_local_time(raw, field)
    if hint is Change:
        return decode_change(raw, field)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(raw)
        except ValueError:
            allowed = ", ".join(str(member.value) for member in hint)
            raise InvalidInput(f"{raw!r} is not one of: {allowed}", field=field) from None
    raise TypeError(f"no decoder for {hint!r}")  # a programming error, not bad input


def _encode(value: Any) -> Any:
    if isinstance(value, Change):
        return encode_change(value)
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if isinstance(value, PlannedWindow):
        return value.to_json()
    if isinstance(value, LocalTime):
        return str(value)
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def decode_change(raw: Any, field: str = "", *, extra: frozenset[str] = frozenset()) -> Change:
    """Read a change from `{"type": ..., fields...}`; keys in `extra` are left to the caller."""
    where = field or None
    if not isinstance(raw, dict):
        raise InvalidInput("must be a JSON object", field=where)
    type_name = raw.get("type")
    cls = change_types().get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise InvalidInput(
            f"{type_name!r} is not an entry type", field=f"{field}.type" if field else "type"
        )
    hints = _hints(cls)  # type: ignore[arg-type]
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(raw) - known - {"type"} - extra
    if unknown:
        raise InvalidInput(
            f"unknown field(s) for {cls.TYPE}: {', '.join(sorted(unknown))}", field=where
        )
    special = {"replacement", "effective"} if cls is EntryCorrected else set()
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name in special:
            continue
        path = f"{field}.{f.name}" if field else f.name
        if f.name not in raw:
            if f.default is MISSING and f.default_factory is MISSING:
                raise InvalidInput(f"{cls.TYPE} needs this field", field=path)
            continue
        values[f.name] = _decode(hints[f.name], raw[f.name], path)
        if f.name in cls.NON_EMPTY and not values[f.name]:
            raise InvalidInput(f"{cls.TYPE} needs at least one item here", field=path)
    if cls is EntryCorrected:
        return _decode_correction(raw, values, field)
    return cls(**values)


def _decode_correction(raw: dict[str, Any], values: dict[str, Any], field: str) -> Change:
    path = f"{field}.replacement" if field else "replacement"
    replacement = raw.get("replacement")
    if not isinstance(replacement, dict):
        raise InvalidInput("must be an object with the corrected entry", field=path)
    values["replacement"] = decode_change(replacement, path, extra=frozenset({"effective"}))
    if replacement.get("effective") is not None:
        values["effective"] = parse_date(replacement["effective"], f"{path}.effective")
    return EntryCorrected(**values)


def encode_change(change: Change) -> dict[str, Any]:
    """The JSON object of a change, without empty optional fields."""
    data: dict[str, Any] = {"type": change.TYPE}
    for f in fields(change):  # type: ignore[arg-type]
        value = getattr(change, f.name)
        if (value is None or value == ()) and f.default is not MISSING:
            continue
        data[f.name] = _encode(value)
    if isinstance(change, EntryCorrected):
        effective = data.pop("effective", None)
        if effective is not None:
            data["replacement"]["effective"] = effective
    return data


def decode_entry(raw: Any, *, recorded_by: str, require_source: bool) -> Entry:
    """Read one entry (an import line or a stored event) into an `Entry`.

    A missing key is derived from the content, so re-importing a line without one is a no-op.
    """
    if not isinstance(raw, dict):
        raise InvalidInput("an entry must be a JSON object")
    raw = {name: value for name, value in raw.items() if name != RECORDED}
    programme = parse_slug(raw.get("programme"), "programme")
    change = decode_change(
        {name: value for name, value in raw.items() if name not in ENVELOPE - {"type"}}
    )
    if raw.get("source") is None and require_source:
        raise InvalidInput("an imported entry needs a source (at least a title)", field="source")
    source = None if raw.get("source") is None else parse_source(raw["source"])

    def optional_text(name: str) -> str | None:
        value = raw.get(name)
        return None if value is None else parse_text(value, name)

    entry = Entry(
        programme=programme,
        change=change,
        effective=parse_date(raw.get("effective"), "effective"),
        key="",
        provenance=Provenance(
            recorded_by=recorded_by,
            source=source,
            deciding_body=optional_text("deciding_body"),
            reason=optional_text("reason"),
        ),
    )
    key = raw.get("key")
    if key is None:
        return _with_key(entry, "derived:" + content_digest(entry)[:24])
    return _with_key(entry, parse_text(key, "key", max_length=300))


def _with_key(entry: Entry, key: str) -> Entry:
    return Entry(entry.programme, entry.change, entry.effective, key, entry.provenance)


def encode_entry(entry: Entry, *, with_recorder: bool = True) -> dict[str, Any]:
    """The JSON object of an entry: envelope first, then the change's fields."""
    data: dict[str, Any] = {
        "type": entry.type,
        "programme": entry.programme,
        "effective": entry.effective.isoformat(),
        "key": entry.key,
    }
    provenance = entry.provenance
    if provenance.source is not None:
        data["source"] = provenance.source.to_json()
    if provenance.deciding_body is not None:
        data["deciding_body"] = provenance.deciding_body
    if provenance.reason is not None:
        data["reason"] = provenance.reason
    change = encode_change(entry.change)
    del change["type"]
    data.update(change)
    if with_recorder:
        data["recorded_by"] = provenance.recorded_by
    return data


def content_digest(entry: Entry) -> str:
    """A hash of what the client said (not who recorded it, nor the key), for idempotency."""
    data = encode_entry(entry, with_recorder=False)
    del data["key"]
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
