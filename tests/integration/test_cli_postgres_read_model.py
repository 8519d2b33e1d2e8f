"""CLI questions on a PostgreSQL store read the PostgreSQL read model: `ledger plan` on a 100k-entry
store reads no row of the event table, where replaying the log reads every one.

Rows read are counted by PostgreSQL itself (pg_stat_user_tables: rows fetched by sequential and
index scans of the events table), not timed.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import psycopg

from ledger_server.cli import main
from scripts.synthetic_history import generate
from tests.conftest import SAMPLE

ENTRIES = 100_000
EVENTS = "ledger_events"  # eventsourcing's table for the application named Ledger


def _ledger(database: str, *argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main([*argv, "--database", database], out=out, err=err) == 0, err.getvalue()
    return out.getvalue()


def _rows_read(url: str) -> int:
    """Rows read from the events table so far, once every other connection has gone (and flushed)."""
    with psycopg.connect(url, autocommit=True) as connection:
        deadline = time.monotonic() + 30
        while connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the command's connections did not close"
            time.sleep(0.1)
        time.sleep(0.5)  # a backend writes its counters as it exits
        connection.execute("SELECT pg_stat_clear_snapshot()")
        row = connection.execute(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables "
            "WHERE relname = %s", (EVENTS,)).fetchone()
    assert row is not None
    return int(row[0])


def test_plan_on_a_100k_entry_store_reads_no_event_row(postgres_url: str, tmp_path: Path) -> None:
    source = tmp_path / "history.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in generate(ENTRIES, programmes=10)), encoding="utf-8")
    assert f"{ENTRIES} added" in _ledger(postgres_url, "import", str(source))

    before_rebuild = _rows_read(postgres_url)
    _ledger(postgres_url, "rebuild")  # what a server's projector would have done already
    before = _rows_read(postgres_url)
    assert before - before_rebuild >= ENTRIES  # the counter sees a command that reads the whole log

    plan = json.loads(_ledger(postgres_url, "plan", "programme-0", "--as-of", "2030-01-01", "--json"))
    read_by_plan = _rows_read(postgres_url) - before

    assert plan["id"] == "programme-0"
    assert len(plan["actors"]) == 200
    assert read_by_plan <= 1  # at most the row of the last position


def test_a_question_after_an_import_sees_the_import(postgres_url: str) -> None:
    """The CLI applies what the read model lacks before asking, so it never answers stale."""
    _ledger(postgres_url, "import", str(SAMPLE))
    log = json.loads(_ledger(postgres_url, "log", "--json"))
    assert [e["entry_id"] for e in log] == [f"demo:{n}" for n in range(1, 23)]
    history = json.loads(_ledger(postgres_url, "history", "demo", "north-trust", "--as-of", "2022-06-01", "--json"))
    assert [r["entry"]["entry_id"] for r in history][-1] == "demo:16"
    filtered = json.loads(_ledger(postgres_url, "log", "--json", "--actor", "north-trust", "--wave", "w2",
                                  "--type", "GoLiveRecorded"))
    assert [e["entry_id"] for e in filtered] == ["demo:17"]


def test_a_misspelled_programme_on_postgresql_gets_did_you_mean(postgres_url: str) -> None:
    _ledger(postgres_url, "import", str(SAMPLE))
    before = _ledger(postgres_url, "log", "--json")
    out, err = io.StringIO(), io.StringIO()
    assert main(["plan", "dmeo", "--database", postgres_url], out=out, err=err) == 2
    assert err.getvalue() == "error [NOT_FOUND]: programme: no programme 'dmeo' in the ledger; did you mean 'demo'?\n"
    assert _ledger(postgres_url, "log", "--json") == before


_ASK_AND_SAY_WHAT_WAS_LOADED = (
    "import io, sys\n"
    "from ledger_server.cli import main\n"
    "out, err = io.StringIO(), io.StringIO()\n"
    "code = main(['plan', 'demo', '--json', '--database', sys.argv[1]], out=out, err=err)\n"
    "print(code, 'ledger.application' in sys.modules, 'eventsourcing' in sys.modules)\n"
)


def _plan_loads(url: str) -> tuple[int, bool, bool]:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", _ASK_AND_SAY_WHAT_WAS_LOADED, url], capture_output=True,
                            text=True, timeout=120, check=True, cwd=Path(__file__).parent.parent.parent)
    code, application, eventsourcing = result.stdout.split()
    return int(code), application == "True", eventsourcing == "True"


def test_a_question_on_a_current_read_model_does_not_load_the_write_side(postgres_url: str, tmp_path: Path) -> None:
    _ledger(postgres_url, "import", str(SAMPLE))
    _ledger(postgres_url, "rebuild")
    assert _plan_loads(postgres_url) == (0, False, False)
    # An entry the read model lacks: the question applies it first, loading the write side to read it.
    extra = ('{"type": "StatusAssessed", "programme": "demo", "effective": "2024-01-01", "key": "late-status", '
             '"source": {"title": "Status report"}, "status": "Late but steady", "risk": "medium"}\n')
    path = tmp_path / "late.jsonl"
    path.write_text(extra, encoding="utf-8")
    _ledger(postgres_url, "import", str(path))
    assert _plan_loads(postgres_url) == (0, True, True)
    plan = json.loads(_ledger(postgres_url, "plan", "demo", "--json", "--as-of", "2024-06-01"))
    assert "Late but steady" in json.dumps(plan["assessment"])
