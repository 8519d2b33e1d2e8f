"""The benchmark's verifiable-log section: `ledger verify` over a large log, and what leaf hashes cost import."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent

from ledger import append_only
from ledger.application import WRITE_CHUNK, LedgerApplication, open_ledger
from ledger.importer import import_text
from ledger.leaves import leaf_of_row
from ledger.settings import StoreLocation
from ledger.verify import verify_log
from scripts.bench_setup import Mode, lines, stores, timed
from tests import postgres


def _without_leaves(url: str) -> LedgerApplication:
    """The ledger as it was before leaf hashes: eventsourcing's own recorder, same triggers."""
    location = StoreLocation(url)
    app = LedgerApplication(env=location.eventsourcing_env())
    recorders: list[Any] = [app.recorder, *([app.snapshots.recorder] if app.snapshots is not None else [])]
    append_only.protect(recorders, postgres=location.is_postgres)
    return app


def _raw_copy(source: LedgerApplication, target: LedgerApplication, entries: int) -> None:
    """Copy `entries` stored events (repeating the source's) into `target` through its recorder."""
    stored = [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
              for n in source.recorder.select_notifications(start=1, limit=entries)]
    copied = 0
    while copied < entries:
        # Later rounds re-use the events under fresh programme ids, so every row is new.
        offset = copied // len(stored)
        batch = [StoredEvent(e.originator_id if offset == 0 else uuid.uuid5(e.originator_id, str(offset)),
                             e.originator_version, e.topic, e.state)
                 for e in stored[:entries - copied]]
        for i in range(0, len(batch), WRITE_CHUNK):
            target.recorder.insert_events(batch[i:i + WRITE_CHUNK])
        copied += len(batch)


def _import_with_and_without_leaves(
    bare: str, leafy: str, text: str, admin: str, rounds: int = 3
) -> tuple[float, float]:
    """Best-of-`rounds` import times into fresh stores without and with leaf hashes, alternating.

    On a shared machine one import of each varies by more than the leaves cost, so the rounds
    alternate and the fastest of each kind is kept.
    """
    times: dict[bool, list[float]] = {False: [], True: []}
    for round_ in range(rounds):
        for leaves in (round_ % 2 == 0, round_ % 2 == 1):
            url = _fresh(leafy if leaves else bare, admin, f"r{round_}")
            app = open_ledger(StoreLocation(url)) if leaves else _without_leaves(url)
            times[leaves].append(timed(lambda a=app: import_text(a, text, recorded_by="bench")))
            app.close()
    return min(times[False]), min(times[True])


def _fresh(url: str, admin: str, name: str) -> str:
    """An empty store beside `url`: a new SQLite file, or an emptied PostgreSQL database."""
    if not url.startswith("postgresql"):
        return url.removesuffix(".db") + f"-{name}.db"
    postgres.drop_database(admin, url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{url.rpartition("/")[2]}"')
    return url


def bench_verify(mode: Mode, admin: str, tmp: Path, imported: dict[str, str]) -> dict[str, Any]:
    """`ledger verify`'s rate over a large log, against hashing the same rows alone; and what leaves add to import."""
    text = "\n".join(lines(mode.leaf_cost_entries))
    results: dict[str, Any] = {}
    with stores(admin, tmp, "verify") as big, stores(admin, tmp, "leafless") as bare, \
            stores(admin, tmp, "leafy") as leafy:
        for store in ("sqlite", "postgres"):
            source = open_ledger(StoreLocation(imported[store]))
            app = open_ledger(StoreLocation(big[store]))
            _raw_copy(source, app, mode.verify_entries)
            source.close()
            leaves = app.leaf_store()
            seconds = timed(lambda leaves=leaves: verify_log(leaves))
            rows = [row for batch in leaves.raw_rows(leaves.last_position()) for row in batch]
            hashing = timed(lambda rows=rows: [leaf_of_row(row) for row in rows])
            app.close()
            del rows
            plain, hashed = _import_with_and_without_leaves(bare[store], leafy[store], text, admin)
            results[store] = {
                "entries": mode.verify_entries, "verify_entries_per_s": round(mode.verify_entries / seconds),
                "leaf_hashing_entries_per_s": round(mode.verify_entries / hashing),
                "import_entries": mode.leaf_cost_entries,
                "import_without_leaves_per_s": round(mode.leaf_cost_entries / plain),
                "import_with_leaves_per_s": round(mode.leaf_cost_entries / hashed),
                "import_extra_cost": round(hashed / plain - 1, 3),
            }
    return results


