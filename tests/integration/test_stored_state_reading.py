"""Catching up reads stored events without eventsourcing's mapper (ledger.stored.decode_stored_state).

The fast path must give exactly what the mapper gives, and a store whose events are compressed
(eventsourcing's COMPRESSOR_TOPIC) must still be read, through the mapper.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ledger.application import LedgerApplication
from ledger.entry import RecordedEntry
from ledger.importer import import_text
from ledger.settings import StoreLocation

README = (Path(__file__).parent.parent.parent / "README.md").read_text(encoding="utf-8")
README_LINES = re.findall(r"```jsonl\n(.*?)```", README, flags=re.S)[0]  # every entry type


def _through_the_mapper(app: LedgerApplication) -> list[RecordedEntry]:
    found = []
    for notification in app.recorder.select_notifications(start=1, limit=10_000):
        event: Any = app.mapper.to_domain_event(notification)
        found.append(RecordedEntry(notification.id, event.originator_version, event.timestamp, event.entry))
    return found


def test_the_fast_read_gives_what_the_mapper_gives(tmp_path: Path) -> None:
    app = LedgerApplication(env=StoreLocation(f"sqlite:///{tmp_path / 'plain.db'}").eventsourcing_env())
    try:
        import_text(app, README_LINES, recorded_by="test")
        fast = app.read(0, 10_000)
        assert len(fast) > 20
        assert fast == _through_the_mapper(app)
        assert all(recorded.recorded_at.tzinfo is not None for recorded in fast)
    finally:
        app.close()


def test_a_compressed_store_is_read_through_the_mapper(tmp_path: Path) -> None:
    env = {**StoreLocation(f"sqlite:///{tmp_path / 'zipped.db'}").eventsourcing_env(),
           "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor"}
    app = LedgerApplication(env=env)
    try:
        import_text(app, README_LINES, recorded_by="test")
        assert app.mapper.compressor is not None
        read = app.read(0, 10_000)
        assert [r.entry for r in read] == [r.entry for r in _through_the_mapper(app)]
        assert len(read) > 20
    finally:
        app.close()
