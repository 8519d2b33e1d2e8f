"""The use-case facade: load programmes, let them check and append entries, save atomically.

A batch of entries (one command, a decision, an import file) is saved in one transaction
or not at all. Reading the log in position order is what every projection builds on.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from ledger import append_only, leaves, roles
from ledger.digest import ProvableLog
from ledger.entry import Entry, RecordedEntry, entry_id
from ledger.errors import Contention, ImportRejected, LedgerError, LineError, OutcomeUnknown
from ledger.outage import cause_of, is_store_failure, never_connected, probe, unavailable
from ledger.programme import ProgrammeLedger, programme_id
from ledger.settings import StoreLocation, store_location
from ledger.stored import decode_stored_entry, decode_stored_state

SNAPSHOT_MIN_EVENTS = 100
# Attempts when another process appends to the same programme first; with the backoff
# below they span about a second before the writer is told CONFLICT.
CONFLICT_RETRIES = 8
WRITE_CHUNK = 2000
Progress = Callable[[int, int], None]


def _backoff(attempt: int) -> float:
    """Seconds to wait before attempt `attempt + 1`: exponential from 5 ms, with jitter, at most 0.2 s.

    The jitter keeps two processes that collided from colliding again in step.
    """
    return float(min(0.2, 0.005 * 2**attempt) * (0.5 + random.random()))


class EntryAsJSON(Transcoding):
    """Stores an `Entry` in the import/export JSON form, so the log reads like an import file."""

    type = Entry
    name = "ledger_entry"

    def encode(self, obj: Entry) -> dict[str, Any]:
        return obj.stored_form

    def decode(self, data: dict[str, Any]) -> Entry:
        return decode_stored_entry(data)


@dataclass(frozen=True)
class Receipt:
    """What recording one entry did: its id, and whether it was new."""

    entry_id: str
    seq: int
    added: bool
    position: int | None = None  # global log position; None when it was already present


class LedgerApplication(Application[UUID]):
    """The programme ledger's write side."""

    name = "Ledger"
    is_snapshotting_enabled = True
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "64",
        # Commands leave a cached programme untouched when they fail, and a failed save
        # evicts it, so copying it on every command would be wasted work.
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    }

    def __init__(self, env: dict[str, str] | None = None, location: StoreLocation | None = None) -> None:
        super().__init__(env)
        # Where the store is, for messages about failing to reach it.
        self.location = location or store_location(environ={})
        self.leaf_upgrade: leaves.Upgrade | None = None  # set when opening hashed rows stored before leaves
        self._provable: ProvableLog | None = None
        self._write_lock = threading.Lock()
        # Set when the store failed to answer, cleared by the next successful probe; while it
        # is set, each command first probes (a refused connection fails in milliseconds)
        # instead of waiting the pool's whole timeout again and again through an outage.
        self._unreachable = False
        self._snapshot_versions: dict[UUID, int] = {}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(EntryAsJSON())

    # -- writing -----------------------------------------------------------------------

    def record(self, entry: Entry) -> Receipt:
        """Record one entry (a decision counts as one); raises its `LedgerError` if refused."""
        return self._record_batch([entry], collect=False)[0]

    def record_many(
        self, entries: Sequence[Entry], *, lines: Sequence[int] | None = None,
        progress: Progress | None = None, writing: Progress | None = None,
    ) -> list[Receipt]:
        """Record entries all or nothing; every refused entry is reported in `ImportRejected`.

        `progress(done, total)` follows the checking, `writing(done, total)` the saving.
        """
        return self._record_batch(entries, collect=True, lines=lines, progress=progress, writing=writing)

    def _record_batch(
        self, entries: Sequence[Entry], *, collect: bool,
        lines: Sequence[int] | None = None, progress: Progress | None = None,
        writing: Progress | None = None,
    ) -> list[Receipt]:
        with self._write_lock:
            for attempt in range(CONFLICT_RETRIES):
                programmes: dict[str, ProgrammeLedger] = {}
                events: list[Any] = []
                try:
                    try:
                        self._probe_if_unreachable()
                        receipts = self._check_all(entries, programmes, events, collect, lines, progress)
                    except LedgerError:
                        raise
                    except Exception as error:
                        if is_store_failure(error):  # loading failed: nothing was sent to be saved
                            self._unreachable = True
                            raise unavailable(self.location, error, writing=True) from None
                        raise
                    recordings = self._save(events, writing)
                except IntegrityError:
                    self._evict(programmes)  # another process appended first: reload, retry
                    if attempt == CONFLICT_RETRIES - 1:
                        raise Contention(
                            f"other writers changed the programme on each of {CONFLICT_RETRIES} attempts; "
                            "nothing was written; retry (with the same key, it is idempotent)"
                        ) from None
                    time.sleep(_backoff(attempt))
                    continue
                except BaseException:
                    self._evict(programmes)
                    raise
                self._snapshot_if_due(programmes.values())
                self._cache(programmes)
                return self._with_positions(receipts, recordings)
        raise AssertionError("unreachable")  # pragma: no cover

    def _save(self, events: list[Any], writing: Progress | None = None) -> list[Any]:
        """Save, saying honestly whether a failed save may still have been written."""
        try:
            return self._save_in_order(events, writing)
        except IntegrityError:
            raise
        except Exception as error:
            if not is_store_failure(error):
                raise
            self._unreachable = True
            if never_connected(error) or not self.location.is_postgres:
                # No statement reached the server, or SQLite rolled the transaction back.
                raise unavailable(self.location, error, writing=True) from None
            raise OutcomeUnknown(
                f"the connection to {self.location.describe()} failed while the write was being saved "
                f"({cause_of(error)}), so it may or may not have been written; retry with the same key, "
                "it is idempotent"
            ) from None

    def _save_in_order(self, events: list[Any], writing: Progress | None = None) -> list[Any]:
        """Save events in entry order (the log follows the file across programmes).

        Up to WRITE_CHUNK events are one transaction: every command and decision is atomic.
        A longer import, already checked in full, is written in chunks, because one huge
        statement stalls the PostgreSQL driver; if writing stops part-way, running the same
        import again adds exactly the rest (the keys make it idempotent).
        """
        recordings: list[Any] = []
        for start in range(0, len(events), WRITE_CHUNK):
            recordings.extend(self.save(*events[start:start + WRITE_CHUNK]))
            if writing:
                writing(min(start + WRITE_CHUNK, len(events)), len(events))
        return recordings

    def check_many(self, entries: Sequence[Entry], *, lines: Sequence[int] | None = None) -> list[LineError]:
        """Every entry the rules would refuse, without writing anything (for reporting a bad file)."""
        with self._write_lock:
            programmes: dict[str, ProgrammeLedger] = {}
            try:
                self._check_all(entries, programmes, [], True, lines, None)
            except ImportRejected as rejected:
                return rejected.errors
            finally:
                self._evict(programmes)  # they hold unsaved changes
        return []

    def _check_all(
        self, entries: Sequence[Entry], programmes: dict[str, ProgrammeLedger], events: list[Any],
        collect: bool, lines: Sequence[int] | None, progress: Progress | None,
    ) -> list[Receipt]:
        receipts: list[Receipt] = []
        errors: list[LineError] = []
        for index, entry in enumerate(entries):
            try:
                receipts.append(self._check_one(entry, programmes, events))
            except LedgerError as error:
                if not collect:
                    raise
                line = lines[index] if lines else index + 1
                errors.append(LineError(line, error.code, str(error)))
            if progress and (index % 500 == 0 or index == len(entries) - 1):
                progress(index + 1, len(entries))
        if errors:
            raise ImportRejected(errors)
        return receipts

    def _check_one(self, entry: Entry, programmes: dict[str, ProgrammeLedger], events: list[Any]) -> Receipt:
        programme = programmes.get(entry.programme) or self._load(entry.programme)
        if programme is None:
            programme = ProgrammeLedger.open(entry, entry.content_digest)
            programmes[entry.programme] = programme
            events.extend(programme.collect_events())
            return Receipt(entry_id(entry.programme, 1), 1, added=True)
        programmes[entry.programme] = programme
        entry = programme.resolve(entry)
        digest = entry.content_digest
        seq = programme.existing(entry, digest)
        if seq is not None:
            return Receipt(entry_id(entry.programme, seq), seq, added=False)
        seq = programme.record(entry, digest)
        events.extend(programme.collect_events())
        return Receipt(entry_id(entry.programme, seq), seq, added=True)

    def _load(self, programme: str) -> ProgrammeLedger | None:
        try:
            aggregate: Any = self.repository.get(programme_id(programme))
        except AggregateNotFoundError:
            return None
        assert isinstance(aggregate, ProgrammeLedger)
        return aggregate

    def _cache(self, programmes: dict[str, ProgrammeLedger]) -> None:
        """Keep the saved programmes in the cache, so the next command need not load them."""
        cache = self.repository.cache
        if cache is not None:
            for programme in programmes.values():
                cache.put(programme.id, programme)

    def _evict(self, programmes: dict[str, ProgrammeLedger]) -> None:
        cache = self.repository.cache
        if cache is None:
            return
        for programme in programmes.values():
            with contextlib.suppress(KeyError):
                cache.get(programme.id, evict=True)

    @staticmethod
    def _with_positions(receipts: list[Receipt], recordings: Sequence[Any]) -> list[Receipt]:
        positions = {
            (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
            for r in recordings
        }
        return [
            Receipt(
                receipt.entry_id, receipt.seq, receipt.added,
                positions.get((programme_id(receipt.entry_id.rpartition(":")[0]), receipt.seq)),
            )
            if receipt.added else receipt
            for receipt in receipts
        ]

    # -- snapshots ---------------------------------------------------------------------

    def _snapshot_if_due(self, programmes: Any) -> None:
        """Snapshot when the tail since the last one is a quarter of the stream (or 100).

        Geometric spacing keeps the total snapshot cost linear in the stream's length while
        no command replays more than a fifth of it.
        """
        assert self.snapshots is not None
        for programme in programmes:
            last = self._snapshot_versions.get(programme.id)
            if last is None:
                stored = self.snapshots.recorder.select_events(programme.id, desc=True, limit=1)
                last = stored[0].originator_version if stored else 0
            if programme.version - last >= max(SNAPSHOT_MIN_EVENTS, programme.version // 4):
                self.snapshots.put([ProgrammeLedger.Snapshot.take(programme)])
                last = programme.version
            self._snapshot_versions[programme.id] = last

    # -- reading -----------------------------------------------------------------------

    def read(self, after: int = 0, limit: int = 1000) -> list[RecordedEntry]:
        """Up to `limit` entries with a log position greater than `after`, in order."""
        with self._reaching_the_store():
            notifications = self.recorder.select_notifications(start=after + 1, limit=limit)
        plain = self.mapper.cipher is None and self.mapper.compressor is None
        found = []
        for notification in notifications:
            if plain:
                recorded_at, entry = decode_stored_state(notification.state)
            else:
                event: Any = self.mapper.to_domain_event(notification)
                recorded_at, entry = event.timestamp, event.entry
            found.append(RecordedEntry(position=notification.id, seq=notification.originator_version,
                                       recorded_at=recorded_at, entry=entry))
        return found

    def read_all(
        self, after: int = 0, batch: int = 5000, progress: Progress | None = None
    ) -> list[RecordedEntry]:
        """Every entry after `after`, read in batches; `progress(done, total)` after each batch."""
        total = self.last_position()
        found: list[RecordedEntry] = []
        while chunk := self.read(after, batch):
            found.extend(chunk)
            after = chunk[-1].position
            if progress:
                progress(after, total)
        return found

    def last_position(self) -> int:
        """The greatest log position, 0 for an empty ledger."""
        with self._reaching_the_store():
            return self.recorder.max_notification_id() or 0

    @contextlib.contextmanager
    def _reaching_the_store(self) -> Iterator[None]:
        """Turn a failure to reach the store into `StoreUnavailable`."""
        try:
            self._probe_if_unreachable()
            yield
        except Exception as error:
            if is_store_failure(error):
                self._unreachable = True
                raise unavailable(self.location, error) from None
            raise

    def _probe_if_unreachable(self) -> None:
        if self._unreachable:
            probe(self.location)  # raises StoreUnavailable while the store is still away
            self._unreachable = False

    def leaf_store(self) -> leaves.LeafStore:
        """The leaf hashes stored beside the events (for digests, proofs and `ledger verify`)."""
        return leaves.LeafStore(self.recorder, postgres=isinstance(self.recorder, leaves.PostgresLeafRecorder))

    def provable_log(self) -> ProvableLog:
        """Digests and proofs over the stored leaves, kept in memory by this process."""
        if self._provable is None:
            self._provable = ProvableLog(self.leaf_store())
        return self._provable


TABLE_CREATION_LOCK = 4242016


@contextlib.contextmanager
def _one_table_creator(location: StoreLocation) -> Iterator[None]:
    """On PostgreSQL, one process at a time creates the event store's tables and functions.

    eventsourcing issues CREATE OR REPLACE FUNCTION on every start, and two processes doing that
    at once fail with "tuple concurrently updated"; a session advisory lock on a side connection
    makes concurrent starts take turns.
    """
    if not location.is_postgres:
        yield
        return
    import psycopg

    with psycopg.connect(location.url, autocommit=True, connect_timeout=location.connect_timeout_seconds) as side:
        side.execute("SELECT pg_advisory_lock(%s)", (TABLE_CREATION_LOCK,))
        try:
            yield
        finally:
            side.execute("SELECT pg_advisory_unlock(%s)", (TABLE_CREATION_LOCK,))


def open_ledger(location: StoreLocation) -> LedgerApplication:
    """Connect to (and if needed create) the event store, with append-only tables."""
    probe(location)
    try:
        if not location.is_postgres:
            location.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        # The recorder writes each event's leaf hash in the event's own transaction (ledger.leaves).
        env = {**location.eventsourcing_env(),
               "APPLICATION_RECORDER_TOPIC": leaves.recorder_topic(location.is_postgres)}
        # A role that does not own the tables (ledger.roles) may only append: it creates nothing.
        owner = not location.is_postgres or roles.owns_event_store(location) is not False
        with _one_table_creator(location):
            app = LedgerApplication(env=env if owner else {**env, "CREATE_TABLE": "n"}, location=location)
        if not owner:
            app.leaf_store().require_installed()
            return app
        recorders: list[Any] = [app.recorder]
        if app.snapshots is not None:
            recorders.append(app.snapshots.recorder)
        append_only.protect(recorders, postgres=location.is_postgres)
        app.leaf_upgrade = app.leaf_store().install()
    except Exception as error:
        if is_store_failure(error):
            raise unavailable(location, error) from None
        raise
    return app
