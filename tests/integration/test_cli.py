"""The `ledger` command end to end on a SQLite file (and once on PostgreSQL): output and exit codes."""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import date
from io import StringIO
from pathlib import Path

import pytest

from ledger_server.cli import main
from tests.conftest import SAMPLE


@dataclass(frozen=True)
class Run:
    """What one command did."""

    code: int
    out: str
    err: str

    def json(self) -> object:
        assert self.code == 0, self.err
        return json.loads(self.out)


def ledger(database: str, *argv: str) -> Run:
    out, err = StringIO(), StringIO()
    code = main([*argv, "--database", database], out=out, err=err)
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def db(sqlite_url: str) -> str:
    """A SQLite file holding the sample, imported with the CLI."""
    result = ledger(sqlite_url, "import", str(SAMPLE))
    assert result.code == 0, result.err
    return sqlite_url


def _table_rows(text: str) -> list[list[str]]:
    """The rows of the first table in `text` (after its `----` rule), split on runs of two spaces."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append([cell.strip() for cell in line.split("  ") if cell.strip()])
    return rows


def _bad_file(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _line(**fields: object) -> str:
    return json.dumps({"programme": "demo", "effective": "2023-06-01", "source": {"title": "Minutes"}, **fields})


# -- import and export -----------------------------------------------------------------


def test_import_reports_how_many_entries_were_added(sqlite_url: str) -> None:
    result = ledger(sqlite_url, "import", str(SAMPLE))
    assert result.code == 0
    assert "22 added, 0 already present" in result.out
    assert result.err == ""


def test_importing_the_same_file_again_adds_nothing(db: str) -> None:
    result = ledger(db, "import", str(SAMPLE))
    assert result.code == 0
    assert "0 added, 22 already present" in result.out


def test_export_writes_every_entry_to_the_output_file(db: str, tmp_path: Path) -> None:
    target = tmp_path / "backup.jsonl"
    result = ledger(db, "export", "--output", str(target))
    assert result.code == 0
    assert f"exported 22 entries to {target}" in result.out
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["recorded"]["entry"] for line in lines] == [f"demo:{n}" for n in range(1, 23)]
    copy = ledger(f"sqlite:///{tmp_path / 'copy.db'}", "import", str(target))
    assert "22 added, 0 already present" in copy.out


def test_the_cli_works_on_postgresql(postgres_url: str) -> None:
    assert "22 added" in ledger(postgres_url, "import", str(SAMPLE)).out
    assert "0 added, 22 already present" in ledger(postgres_url, "import", str(SAMPLE)).out
    plan = ledger(postgres_url, "plan", "demo", "--as-of", "2022-12-01", "--json").json()
    assert isinstance(plan, dict)
    assert {a["id"]: a["status"] for a in plan["actors"]}["north-trust"] == "live"


# -- questions -------------------------------------------------------------------------


def test_plan_shows_the_actors_in_the_rollout_with_their_status(db: str) -> None:
    result = ledger(db, "plan", "demo", "--as-of", "2022-12-01")
    assert result.code == 0, result.err
    assert "plan as of 2022-12-01" in result.out
    actors = {row[0]: row for row in _table_rows(result.out.split("\n\n", 2)[2])}
    assert set(actors) == {"harbour", "north-trust", "south-trust"}  # demo-rhf is only registered
    assert "live" in actors["harbour"]
    assert "2022-05-07" in actors["harbour"]
    assert "live" in actors["north-trust"]
    assert "2022-11-12" in actors["north-trust"]
    assert "postponed" in actors["south-trust"]


def test_plan_as_json_gives_every_actor_s_status(db: str) -> None:
    plan = ledger(db, "plan", "--as-of", "2022-12-01", "--json").json()  # the only programme
    assert isinstance(plan, dict)
    assert plan["id"] == "demo"
    assert plan["as_of"] == "2022-12-01"
    assert {a["id"]: a["status"] for a in plan["actors"]} == {
        "demo-rhf": "registered", "harbour": "live", "north-trust": "live", "south-trust": "postponed",
    }
    # A postponed actor no longer goes live with its wave, so w2 counts as live with north-trust alone.
    assert {w["id"]: (w["status"], w["actors"]) for w in plan["waves"]} == {
        "w1": ("live", ["harbour"]), "w2": ("live", ["north-trust"]),
    }


def test_plan_before_the_first_postponement_shows_everyone_planned(db: str) -> None:
    plan = ledger(db, "plan", "demo", "--as-of", "2021-06-01", "--json").json()
    assert isinstance(plan, dict)
    assert {a["id"]: a["status"] for a in plan["actors"]} == {
        "demo-rhf": "registered", "harbour": "planned", "north-trust": "planned", "south-trust": "planned",
    }


def test_compare_as_json_gives_the_slip_against_the_original_plan(db: str) -> None:
    comparison = ledger(
        db, "compare", "demo", "--baseline", "original plan", "--against", "2024-06-01", "--json"
    ).json()
    assert isinstance(comparison, dict)
    assert comparison["baseline_as_of"] == "2021-01-01"
    rows = {row["subject"]: row for row in comparison["actors"]}
    assert (rows["harbour"]["actual"], rows["harbour"]["slip_days_earliest"], rows["harbour"]["status"]) == (
        "2022-05-07", 7, "late")
    assert (rows["north-trust"]["slip_days_earliest"], rows["north-trust"]["slip_days_latest"]) == (196, 196)
    # Its window (2024-Q1, as corrected) closed before 2024-06-01 with no go-live: overdue.
    assert (rows["south-trust"]["status"], rows["south-trust"]["days_overdue"]) == (
        "overdue", (date(2024, 6, 1) - date(2024, 3, 31)).days)
    assert rows["south-trust"]["slip_days_latest"] == (date(2024, 3, 31) - date(2022, 11, 30)).days
    assert comparison["summary"] == {"late": 2, "overdue": 1}


def test_history_lists_the_actor_s_revisions_in_effective_order(db: str) -> None:
    result = ledger(db, "history", "demo", "north-trust")
    assert result.code == 0, result.err
    rows = _table_rows(result.out)
    effective = [row[0] for row in rows]
    assert effective == sorted(effective)
    entries = [row[1] for row in rows]
    # Its wave assignment, postponement, move, its new wave's reschedule and its go-live, in that order.
    wanted = ["demo:8", "demo:13", "demo:15", "demo:16", "demo:17"]
    assert [e for e in entries if e in wanted] == wanted
    assert not {"demo:14", "demo:18", "demo:22"} & set(entries)  # other actors' entries


def test_log_as_json_gives_the_source_and_the_cli_user_of_every_entry(db: str) -> None:
    entries = ledger(db, "log", "--json").json()
    assert isinstance(entries, list)
    assert [e["entry_id"] for e in entries] == [f"demo:{n}" for n in range(1, 23)]
    assert all(e["source"]["title"] for e in entries)
    assert {e["recorded_by"] for e in entries} == {f"cli:{getpass.getuser()}"}
    assert entries[17]["corrected_by"] == ["demo:22"]


# -- errors ----------------------------------------------------------------------------


def test_importing_a_file_with_bad_lines_lists_every_one_and_writes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    path = _bad_file(
        tmp_path,
        SAMPLE.read_text(encoding="utf-8").splitlines()[1],  # a good ProgrammeRegistered line
        '{"type": "ActorJoined",',
        _line(type="ActorPromoted", actor="harbour"),
        json.dumps({"type": "ActorJoined", "programme": "demo", "effective": "2023-06-01", "actor": "harbour"}),
        _line(type="AllocationMade", allocation="a", reserve="risk", purpose="p", amount=12.5),
    )
    result = ledger(sqlite_url, "import", path)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("error [IMPORT_REJECTED]: 4 bad line(s); nothing was written")
    for number, reason in [(2, "not valid JSON"), (3, "'ActorPromoted' is not an entry type"),
                           (4, "needs a source"), (5, "amount: 12.5 is a JSON number")]:
        assert f"line {number}: " in result.err
        assert reason in result.err
    assert ledger(sqlite_url, "log", "--json").json() == []


def test_importing_a_file_that_breaks_the_rules_lists_every_line_and_writes_nothing(db: str, tmp_path: Path) -> None:
    path = _bad_file(
        tmp_path,
        _line(type="StatementRecorded", kind="note", title="Fine", summary="A good line"),
        _line(type="GoLiveRecorded", actors=["harbour"]),
        _line(type="ActorJoined", actor="ghost"),
    )
    result = ledger(db, "import", path)
    assert result.code == 2
    assert "2 bad line(s)" in result.err
    assert "line 2: " in result.err
    assert "[ALREADY_LIVE]" in result.err
    assert "line 3: " in result.err
    assert "unknown actor 'ghost'" in result.err
    log = ledger(db, "log", "--json").json()
    assert isinstance(log, list)
    assert len(log) == 22


def test_plan_of_an_unknown_programme_is_not_found(db: str) -> None:
    result = ledger(db, "plan", "nope")
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("error [NOT_FOUND]: ")
    assert "'nope'" in result.err


def test_an_impossible_as_of_date_is_refused_clearly(db: str) -> None:
    result = ledger(db, "plan", "demo", "--as-of", "2023-02-30")
    assert result.code == 2
    assert result.err.startswith("error [INVALID_INPUT]: ")
    assert "as-of" in result.err
    assert "'2023-02-30' is not a real calendar date" in result.err


def test_a_recorded_as_of_without_utc_offset_is_refused(db: str) -> None:
    result = ledger(db, "plan", "demo", "--recorded-as-of", "2026-01-01")
    assert result.code == 2
    assert result.err.startswith("error [INVALID_INPUT]: ")
    assert "no UTC offset" in result.err


def test_a_recorded_as_of_with_an_offset_is_accepted(db: str) -> None:
    before_any_recording = ledger(db, "plan", "demo", "--recorded-as-of", "2000-01-01T00:00:00+00:00")
    assert before_any_recording.code == 2
    assert "error [NOT_FOUND]" in before_any_recording.err
    later = ledger(db, "plan", "demo", "--as-of", "2022-12-01", "--recorded-as-of", "2999-01-01T00:00:00Z")
    assert later.code == 0, later.err


def test_a_database_url_that_is_not_a_database_is_refused() -> None:
    result = ledger("mysql://localhost/ledger", "plan", "demo")
    assert result.code == 2
    assert result.err.startswith("error [INVALID_INPUT]: database: ")
    assert "'mysql://localhost/ledger' is not a database URL" in result.err
