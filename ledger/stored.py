"""Stored entries read back without validating them again.

An entry is validated once, when it is written (`ledger.codec`); the event store then holds it
in the import format. Reading it back, on every catch-up, rebuild and aggregate load, only has
to build the objects, which msgspec does from the types' own annotations, in C.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from ledger.changes import Change, EntryCorrected, change_types
from ledger.entry import Entry, Provenance
from ledger.values import LocalTime, MoneyWindow, PlannedWindow, Source, parse_local_time

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


def decode_stored_money_window(data: dict[str, Any]) -> MoneyWindow:
    """A money window from its stored form."""
    window: MoneyWindow = msgspec.convert(data, MoneyWindow, strict=False)
    return window


def _nested(kind: type, value: Any) -> Any:
    # msgspec cannot choose a subclass for a field typed `Change` (a decision's changes, a
    # correction's replacement): the stored "type" says which.
    if kind is Change:
        return decode_stored_change(value)
    if kind is LocalTime:  # stored as its string, "22:00 Europe/Oslo", validated when written
        return parse_local_time(value, "at")
    raise NotImplementedError(f"no stored form for {kind!r}")


# -- a stored event's state, read without eventsourcing's mapper -------------------------------
#
# The event store keeps each event's state as eventsourcing's JSON transcoder wrote it, custom
# types boxed as {"_type_": ..., "_data_": ...}. Catching up reads every event of the log; going
# through the mapper costs more than everything the read models do with the entry, so events
# whose state is plain JSON (no cipher, no compression) are decoded here in one msgspec pass.


class _Timestamp(msgspec.Struct):
    data: datetime = msgspec.field(name="_data_")


class _Boxed(msgspec.Struct):
    data: dict[str, Any] = msgspec.field(name="_data_")


class StoredState(msgspec.Struct):
    """The parts of a Recorded or Opened event's state that the read side needs."""

    timestamp: _Timestamp
    entry: _Boxed


_STATE = msgspec.json.Decoder(StoredState)


def decode_stored_state(state: bytes) -> tuple[datetime, Entry]:
    """The recording time and the entry of an event's stored state (see above)."""
    decoded = _STATE.decode(state)
    return decoded.timestamp.data, decode_stored_entry(decoded.entry.data)
