"""Stored entries read back without validating them again.

An entry is validated once, when it is written (`ledger.codec`); the event store then holds it
in the import format. Reading it back, on every catch-up, rebuild and aggregate load, only has
to build the objects, which msgspec does from the types' own annotations, in C.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from ledger.changes import Change, EntryCorrected, change_types
from ledger.entry import Entry, Provenance
from ledger.values import LocalTime, PlannedWindow, Source, parse_local_time

ENVELOPE = frozenset({"programme", "effective", "key", "source", "deciding_body", "reason", "recorded_by", "recorded"})


def decode_stored_entry(data: dict[str, Any]) -> Entry:
    """An entry from its stored form (written by `ledger.codec.encode_entry`)."""
    source = data.get("source")
    return Entry(
        programme=data["programme"],
        change=decode_stored_change({name: value for name, value in data.items() if name not in ENVELOPE}),
        effective=date.fromisoformat(data["effective"]),
        key=data["key"],
        provenance=Provenance(
            recorded_by=data["recorded_by"],
            source=None if source is None else msgspec.convert(source, Source, strict=False),
            deciding_body=data.get("deciding_body"),
            reason=data.get("reason"),
        ),
    )


def decode_stored_change(data: dict[str, Any]) -> Change:
    """A change from its stored form `{"type": ..., fields...}`."""
    cls = change_types()[data["type"]]
    fields = {name: value for name, value in data.items() if name != "type"}
    if cls is EntryCorrected:
        # The import format keeps a correction's new effective date inside its replacement.
        replacement = dict(fields["replacement"])
        effective = replacement.pop("effective", None)
        fields["replacement"] = replacement
        if effective is not None:
            fields["effective"] = effective
    change: Change = msgspec.convert(fields, cls, strict=False, dec_hook=_nested)
    return change


def decode_stored_window(data: dict[str, Any]) -> PlannedWindow:
    """A planned window from its stored form."""
    window: PlannedWindow = msgspec.convert(data, PlannedWindow, strict=False, dec_hook=_nested)
    return window


def _nested(kind: type, value: Any) -> Any:
    # msgspec cannot choose a subclass for a field typed `Change` (a decision's changes, a
    # correction's replacement): the stored "type" says which.
    if kind is Change:
        return decode_stored_change(value)
    if kind is LocalTime:  # stored as its string, "22:00 Europe/Oslo", validated when written
        return parse_local_time(value, "at")
    raise NotImplementedError(f"no stored form for {kind!r}")
