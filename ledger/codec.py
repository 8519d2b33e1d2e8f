"""One JSON form for entries, used by the event store, import and export.

Reading validates, through msgspec types generated from the entry types' declarations
(`ledger.wire`), so adding an entry type needs no codec code; every error names the field
(`changes[2].window.earliest`). Writing is the inverse, field by field from the same fields.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, fields
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from ledger.changes import Change, EntryCorrected
from ledger.entry import Entry
from ledger.values import LocalTime, MoneyWindow, PlannedWindow, format_money
from ledger.wire import decode_line

# Export adds this block; import ignores it because the ledger sets it itself.
RECORDED = "recorded"


def _encode(value: Any) -> Any:
    if isinstance(value, Change):
        return encode_change(value)
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if isinstance(value, PlannedWindow | MoneyWindow):
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
    if isinstance(raw, dict) and RECORDED in raw:
        raw = {name: value for name, value in raw.items() if name != RECORDED}
    return decode_line(raw, recorded_by=recorded_by, require_source=require_source,
                       derive_key=lambda entry: "derived:" + content_digest(entry)[:24])


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
    data = {name: value for name, value in entry.stored_form.items() if name not in ("key", "recorded_by")}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
