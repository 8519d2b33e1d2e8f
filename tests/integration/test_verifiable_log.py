"""`ledger verify` against real tampering: rows changed with sqlite3 / psycopg behind the ledger's back.

Each test fills a store (SQLite and PostgreSQL) with the sample, saves a digest, then does what a
table owner could do (drop or disable the append-only triggers, then change, delete, move or
insert rows) and checks that `ledger verify` names the first bad position and exits 1.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from ledger.application import open_ledger
from ledger.leaves import stored_form
from ledger.merkle import leaf_hash
from ledger.settings import StoreLocation
from ledger_server.cli import main
from tests.conftest import SAMPLE

VERIFIER = Path(__file__).resolve().parents[2] / "scripts" / "verify_proof.py"
ENTRIES = 22  # the sample's entries


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def ledger(database: str, *argv: str) -> Run:
    out, err = StringIO(), StringIO()
    code = main([*argv, "--database", database], out=out, err=err)
    return Run(code, out.getvalue(), err.getvalue())


class Tamperer:
    """Direct SQL on the store, as the tables' owner: triggers off, then change rows."""

    def __init__(self, url: str) -> None:
        self.postgres = url.startswith("postgresql")
        self.url = url
        self.events = "ledger_events" if self.postgres else "stored_events"
        self.position = "notification_id" if self.postgres else "rowid"
        self.mark = "%s" if self.postgres else "?"

    def run(self, *statements: tuple[str, tuple[Any, ...]], tables: tuple[str, ...] | None = None) -> list[Any]:
        results: list[Any] = []
        if self.postgres:
            tables = (self.events, "ledger_leaves") if tables is None else tables
            with psycopg.connect(self.url, autocommit=False) as connection:
                for table in tables:
                    connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                for sql, params in statements:
                    cursor = connection.execute(sql.replace("?", "%s"), params)
                    results.append(cursor.fetchall() if cursor.description else None)
                for table in tables:
                    connection.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            return results
        connection = sqlite3.connect(StoreLocation(self.url).sqlite_path)
        try:
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                connection.execute(f"DROP TRIGGER {name}")  # on SQLite anyone with the file can
            for sql, params in statements:
                results.append(connection.execute(sql, params).fetchall())
            connection.commit()
        finally:
            connection.close()
        return results

    def state(self, position: int) -> bytes:
        rows = self.run((f"SELECT state FROM {self.events} WHERE {self.position} = ?", (position,)))[0]
        return bytes(rows[0][0])

    def set_state(self, position: int, state: bytes) -> None:
        self.run((f"UPDATE {self.events} SET state = ? WHERE {self.position} = ?", (state, position)))

    def rows(self) -> list[tuple[Any, ...]]:
        return list(self.run((f"SELECT {self.position}, originator_id, originator_version, state FROM {self.events} "
                              f"ORDER BY {self.position}", ()))[0])


@pytest.fixture
def filled(store_url: str, tmp_path: Path) -> tuple[str, Path]:
    """A store holding the sample, and a digest of it saved to a file."""
    assert ledger(store_url, "import", str(SAMPLE)).code == 0
    digest = tmp_path / "digest.json"
    saved = ledger(store_url, "digest", "--output", str(digest))
    assert saved.code == 0, saved.err
    return store_url, digest


def _verify(url: str, *digests: Path) -> Run:
    return ledger(url, "verify", *(arg for d in digests for arg in ("--digest", str(d))))


def test_an_untouched_ledger_verifies_against_its_digest(filled: tuple[str, Path]) -> None:
    url, digest = filled
    result = _verify(url, digest)
    assert result.code == 0, result.out
    assert f"verified {ENTRIES} entries up to position {ENTRIES}" in result.out
    assert f"digest {digest} (tree size {ENTRIES}): holds" in result.out
    saved = json.loads(digest.read_text())
    assert saved["tree_size"] == ENTRIES
    assert saved["root_hash"] in result.out


def test_one_changed_byte_of_one_payload_is_named_by_position(filled: tuple[str, Path]) -> None:
    url, digest = filled
    tamper = Tamperer(url)
    state = tamper.state(10)
    changed = state.replace(b'"effective":"2', b'"effective":"3', 1)
    assert sum(a != b for a, b in zip(state, changed, strict=True)) == 1
    tamper.set_state(10, changed)
    result = _verify(url, digest)
    assert result.code == 1
    assert "position 10: altered: the row no longer hashes to the leaf written with it" in result.out
    assert "FAILS: rewritten" in result.out
    assert result.out.rstrip().endswith("FAILED: first bad position 10")


def test_a_deleted_row_is_named_by_position(filled: tuple[str, Path]) -> None:
    url, digest = filled
    tamper = Tamperer(url)
    tamper.run((f"DELETE FROM {tamper.events} WHERE {tamper.position} = 6", ()))
    result = _verify(url, digest)
    assert result.code == 1
    assert "position 6: removed: a leaf was written for this position but its row is gone" in result.out
    assert "first bad position 6" in result.out


def test_two_swapped_rows_are_named_as_reordered(filled: tuple[str, Path]) -> None:
    url, digest = filled
    tamper = Tamperer(url)
    events, pos = tamper.events, tamper.position
    tamper.run(
        (f"UPDATE {events} SET {pos} = 1000 WHERE {pos} = 7", ()),
        (f"UPDATE {events} SET {pos} = 7 WHERE {pos} = 8", ()),
        (f"UPDATE {events} SET {pos} = 8 WHERE {pos} = 1000", ()),
    )
    result = _verify(url, digest)
    assert result.code == 1
    assert "position 7: reordered: the row written at position 8 now stands here" in result.out
    assert "position 8: reordered: the row written at position 7 now stands here" in result.out
    assert "first bad position 7" in result.out


def test_a_forged_row_is_named_as_inserted(filled: tuple[str, Path]) -> None:
    url, digest = filled
    tamper = Tamperer(url)
    _, originator, _, state = tamper.rows()[-1]
    forged = state.replace(b'"recorded_by":"', b'"recorded_by":"forger-', 1)
    tamper.run((f"INSERT INTO {tamper.events} (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)", (originator, 500, "ledger.programme:ProgrammeLedger.Recorded", forged)))
    position = tamper.rows()[-1][0]
    result = _verify(url, digest)
    assert result.code == 1
    assert f"position {position}: inserted: this row has no leaf: the ledger did not write it" in result.out
    assert f"first bad position {position}" in result.out


def test_a_truncated_tail_is_caught_by_the_saved_digest(filled: tuple[str, Path]) -> None:
    url, digest = filled
    tamper = Tamperer(url)
    # A careful forger removes the rows and their leaves, so only the digest can tell.
    tamper.run((f"DELETE FROM {tamper.events} WHERE {tamper.position} > 20", ()),
               ("DELETE FROM ledger_leaves WHERE position > 20", ()))
    assert _verify(url).code == 0  # without a digest, a shorter log looks whole
    result = _verify(url, digest)
    assert result.code == 1
    assert "position 21: truncated: the log ends at position 20; a saved digest has 2 more entries" in result.out
    assert f"FAILS: truncated: the digest covers {ENTRIES} entries up to position {ENTRIES}" in result.out
    assert "first bad position 21" in result.out


def test_a_rewrite_that_also_rewrites_the_leaves_is_caught_by_the_saved_digest(filled: tuple[str, Path]) -> None:
    url, digest = filled
    tamper = Tamperer(url)
    position, originator, version, state = tamper.rows()[4]
    forged = state.replace(b'"effective":"2', b'"effective":"3', 1)
    topic = tamper.run((f"SELECT topic FROM {tamper.events} WHERE {tamper.position} = ?", (position,)))[0][0][0]
    leaf = leaf_hash(stored_form(position, str(originator), version, topic, forged))
    tamper.set_state(position, forged)
    tamper.run(("UPDATE ledger_leaves SET leaf = ? WHERE position = ?", (leaf, position)))
    assert _verify(url).code == 0  # rows and leaves agree again ...
    result = _verify(url, digest)  # ... but not with what the auditor saved
    assert result.code == 1
    assert f"digest {digest} (tree size {ENTRIES}): FAILS: rewritten: the log no longer begins" in result.out


def test_a_digest_saved_before_later_appends_stays_consistent(filled: tuple[str, Path], tmp_path: Path) -> None:
    url, old = filled
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({
        "type": "StatusAssessed", "programme": "demo", "effective": "2024-05-01", "key": "later-1",
        "source": {"title": "Status page"}, "status": "On track", "risk": "Low", "summary": "Fine",
    }) + "\n")
    assert ledger(url, "import", str(more)).code == 0
    new = tmp_path / "new.json"
    assert ledger(url, "digest", "--output", str(new)).code == 0
    result = _verify(url, old, new)
    assert result.code == 0, result.out
    assert f"digest {old} (tree size {ENTRIES}): holds: consistent: the log of {ENTRIES + 1} entries" in result.out
    proof = tmp_path / "consistency.json"
    assert ledger(url, "proof", "--from-digest", str(old), "--digest", str(new), "--output", str(proof)).code == 0
    checked = _standalone(proof, old, new)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout == f"ok: the log of {ENTRIES + 1} entries extends the digest of {ENTRIES}\n"


def test_a_digest_from_a_rewritten_history_is_refused(filled: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = filled
    other = tmp_path / "other.db"
    rewritten = SAMPLE.read_text(encoding="utf-8").replace("Demo RHF", "Demo RHX")
    (tmp_path / "rewritten.jsonl").write_text(rewritten)
    other_url = f"sqlite:///{other}"
    assert ledger(other_url, "import", str(tmp_path / "rewritten.jsonl")).code == 0
    foreign = tmp_path / "foreign.json"
    assert ledger(other_url, "digest", "--output", str(foreign), "--tree-size", "10").code == 0
    result = _verify(url, foreign)
    assert result.code == 1
    assert f"digest {foreign} (tree size 10): FAILS: rewritten" in result.out
    assert "FAILED: a saved digest is not extended" in result.out


def _standalone(*files: Path) -> subprocess.CompletedProcess[str]:
    # -I: isolated mode, so the verifier sees no project code, only the standard library
    return subprocess.run([sys.executable, "-I", str(VERIFIER), *map(str, files)], capture_output=True, text=True,
                          check=False)


def test_the_standalone_verifier_accepts_a_real_inclusion_proof_and_refuses_a_changed_hash(
    filled: tuple[str, Path], tmp_path: Path,
) -> None:
    url, digest = filled
    proof = tmp_path / "proof.json"
    made = ledger(url, "proof", "demo:3", "--digest", str(digest), "--output", str(proof))
    assert made.code == 0, made.err
    checked = _standalone(proof, digest)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout == "ok: entry at position 3 is leaf 2 of the digest's tree\n"
    document = json.loads(proof.read_text())
    assert json.loads(document["stored_form"].partition("\n")[2])["entry"]["_data_"]["key"] == "demo-3"
    first = document["audit_path"][0]
    document["audit_path"][0] = ("0" if first[0] != "0" else "1") + first[1:]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    refused = _standalone(bad, digest)
    assert refused.returncode == 1
    assert refused.stdout == "REFUSED: the audit path does not lead to the digest's root hash\n"
    document = json.loads(proof.read_text())
    document["stored_form"] = document["stored_form"].replace("demo-3", "demo-9")
    bad.write_text(json.dumps(document))
    assert _standalone(bad, digest).stdout == "REFUSED: the stored form does not hash to the leaf hash\n"


def test_a_store_made_before_leaf_hashes_gets_them_on_first_open_and_says_so(store_url: str) -> None:
    assert ledger(store_url, "import", str(SAMPLE)).code == 0
    tamper = Tamperer(store_url)
    # as a store made before this change: no leaf tables
    tamper.run(("DROP TABLE ledger_leaves", ()), ("DROP TABLE ledger_leaves_meta", ()), tables=())
    result = _verify(store_url)
    assert result.code == 0, result.out
    upgraded = f"upgraded {StoreLocation(store_url).describe()}: computed leaf hashes for the {ENTRIES} entries"
    assert upgraded in result.err
    assert f"note: leaf hashes for the {ENTRIES} entries up to position {ENTRIES} were computed when this store" \
        in result.out
    again = _verify(store_url)
    assert "upgraded" not in again.err  # once only
    app = open_ledger(StoreLocation(store_url))
    try:
        assert app.leaf_upgrade is None
        assert app.last_position() == ENTRIES
    finally:
        app.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "digest: cannot read {path}: No such file or directory"),
        ("not json", "digest: {path} is not JSON"),
        ('{"tree_size": 3}', "digest: {path} is not a digest: no root_hash, last_position, taken_at"),
        ('{"tree_size": 3, "root_hash": "zz", "last_position": 3, "taken_at": "2026-01-01T00:00:00+00:00"}',
         "digest: {path}: root_hash must be hex and taken_at a timestamp"),
        ('{"tree_size": -1, "root_hash": "00", "last_position": 3, "taken_at": "2026-01-01T00:00:00+00:00"}',
         "digest: {path}: tree_size and last_position must be whole numbers >= 0"),
    ],
)
def test_a_bad_digest_file_is_refused_by_name_and_nothing_changes(
    sqlite_url: str, tmp_path: Path, content: str | None, message: str,
) -> None:
    assert ledger(sqlite_url, "import", str(SAMPLE)).code == 0
    before = Tamperer(sqlite_url).run(("SELECT position, leaf FROM ledger_leaves ORDER BY position", ()))
    path = tmp_path / "digest.json"
    if content is not None:
        path.write_text(content)
    for argv in (("verify", "--digest", str(path)), ("proof", "demo:1", "--digest", str(path))):
        result = ledger(sqlite_url, *argv)
        assert result.code == 2
        assert result.err == f"error [INVALID_INPUT]: {message.format(path=path)}\n"
    assert Tamperer(sqlite_url).run(("SELECT position, leaf FROM ledger_leaves ORDER BY position", ())) == before
    assert len(Tamperer(sqlite_url).rows()) == ENTRIES


def test_proof_requests_beyond_the_log_are_refused_clearly(filled: tuple[str, Path], tmp_path: Path) -> None:
    url, digest = filled
    small = tmp_path / "small.json"
    assert ledger(url, "digest", "--tree-size", "2", "--output", str(small)).code == 0
    cases = [
        (("proof", "demo:5", "--digest", str(small)),
         "error [INVALID_INPUT]: treeSize: the entry at position 5 is leaf 5; a tree of 2 entries does not hold it\n"),
        (("proof", "demo:99", "--digest", str(digest)), "error [NOT_FOUND]: entry: no entry demo:99 in the ledger\n"),
        (("proof", "nonsense", "--digest", str(digest)),
         "error [INVALID_INPUT]: entry: 'nonsense' is not an entry id such as demo:3\n"),
        (("proof", "--digest", str(digest)),
         "error [INVALID_INPUT]: entry: name the entry (programme:sequence) or give --from-digest\n"),
        (("digest", "--tree-size", "23"),
         f"error [INVALID_INPUT]: treeSize: the log holds {ENTRIES} entries; there is no tree of 23\n"),
    ]
    for argv, message in cases:
        result = ledger(url, *argv)
        assert (result.code, result.err) == (2, message)
    assert _verify(url, digest).code == 0  # nothing was written


def test_verifying_a_long_log_shows_a_progress_bar(sqlite_url: str) -> None:
    assert ledger(sqlite_url, "import", str(SAMPLE)).code == 0
    app = open_ledger(StoreLocation(sqlite_url))
    try:
        stored = list(app.recorder.select_notifications(start=1, limit=ENTRIES))
        # The sample's rows again under 1,000 more programme ids, through the ledger's own recorder.
        for copy in range(1, 1001):
            app.recorder.insert_events([
                StoredEvent(uuid.uuid5(n.originator_id, str(copy)), n.originator_version, n.topic, n.state)
                for n in stored
            ])
        total = app.last_position()
    finally:
        app.close()
    assert total == ENTRIES * 1001
    result = _verify(sqlite_url)
    assert result.code == 0, result.out
    assert result.err.startswith("\rverifying [")
    assert result.err.endswith(f"[{'#' * 30}] {total}/{total}\n")
    assert f"verified {total} entries up to position {total}" in result.out


def test_positions_with_gaps_still_verify_and_prove(postgres_url: str, tmp_path: Path) -> None:
    """PostgreSQL skips a position when an insert fails; the tree counts entries, not positions."""
    assert ledger(postgres_url, "import", str(SAMPLE)).code == 0
    with psycopg.connect(postgres_url) as connection, pytest.raises(psycopg.errors.UniqueViolation):
        # A second row for an existing (programme, sequence) is refused, after taking a position.
        connection.execute("INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
                           "SELECT originator_id, originator_version, topic, state FROM ledger_events LIMIT 1")
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"type": "StatusAssessed", "programme": "demo", "effective": "2024-05-01",
                                "key": "after-gap", "source": {"title": "Status"}, "status": "Fine", "risk": "Low",
                                "summary": "ok"}) + "\n")
    assert ledger(postgres_url, "import", str(more)).code == 0
    digest = tmp_path / "digest.json"
    assert ledger(postgres_url, "digest", "--output", str(digest)).code == 0
    saved = json.loads(digest.read_text())
    assert (saved["tree_size"], saved["last_position"]) == (ENTRIES + 1, ENTRIES + 2)
    result = _verify(postgres_url, digest)
    assert result.code == 0, result.out
    proof = tmp_path / "proof.json"
    assert ledger(postgres_url, "proof", "demo:23", "--digest", str(digest), "--output", str(proof)).code == 0
    assert json.loads(proof.read_text())["leaf_index"] == ENTRIES
    checked = _standalone(proof, digest)
    assert checked.stdout == f"ok: entry at position {ENTRIES + 2} is leaf {ENTRIES} of the digest's tree\n"
