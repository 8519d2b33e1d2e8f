"""A ledger entry: a change wrapped in its effective date, idempotency key and provenance.

`recorded_by` is part of the provenance but is always set by the ledger from the caller's
identity; `recorded_at` and the position are the store's and live on the recorded event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from ledger.changes import Change
from ledger.values import Source


@dataclass(frozen=True, slots=True)
class Provenance:
    """Who decided, from which document, why, and who recorded it."""

    recorded_by: str
    source: Source | None = None
    deciding_body: str | None = None
    reason: str | None = None

    @property
    def operational(self) -> bool:
        """An entry without a source is live operational recording, and is marked so."""
        return self.source is None


@dataclass(frozen=True)
class Entry:
    """One line of the ledger, as the client stated it."""

    programme: str
    change: Change
    effective: date
    key: str
    provenance: Provenance

    @property
    def type(self) -> str:
        """The entry type's name, such as `GoLiveRecorded`."""
        return self.change.TYPE

    # An entry is immutable, so its JSON form and its content digest are computed once: an
    # import needs them for the idempotency check, the event store and every snapshot.
    @cached_property
    def stored_form(self) -> dict[str, Any]:
        """The entry in the import/export JSON form (shared: copy it before changing it)."""
        from ledger.codec import encode_entry  # the codec imports this module

        return encode_entry(self)

    @cached_property
    def content_digest(self) -> str:
        """A hash of what the client said (see `ledger.codec.content_digest`)."""
        from ledger.codec import content_digest

        return content_digest(self)


@dataclass(frozen=True, slots=True)
class RecordedEntry:
    """An entry as stored: its place in the log, when it was recorded, and its content.

    Defined here, beside `Entry`, so the read side can name it without loading the write side
    (eventsourcing and the store drivers): a CLI question on PostgreSQL needs neither.
    """

    position: int
    seq: int
    recorded_at: datetime
    entry: Entry

    @property
    def entry_id(self) -> str:
        """The entry's public id, such as `helseplattformen:12`."""
        return entry_id(self.entry.programme, self.seq)


def entry_id(programme: str, seq: int) -> str:
    """The public id of entry `seq` of a programme, such as `helseplattformen:12`."""
    return f"{programme}:{seq}"


def parse_entry_id(text: str) -> tuple[str, int] | None:
    """Split an entry id into programme and sequence; None if it is not one."""
    programme, _, seq = text.rpartition(":")
    if not programme or not seq.isdigit():
        return None
    return programme, int(seq)
