"""The `ledger` command as a Unix tool: arguments checked, pipes closed early, typos caught, every
question taking --as-of and --recorded-as-of, log filters, --version, and no ledger created by a read."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger.settings import StoreLocation
from ledger_server.cli import main
from ledger_server.render import CUT_MARK
from scripts.synthetic_history import generate
from tests.conftest import SAMPLE
from tests.e2e.servers import ROOT, environment
from tests.integration.test_cli import Run, _table_rows, ledger

SERVER_STACK = ("strawberry", "starlette", "uvicorn", "asyncpg", "psycopg", "eventsourcing", "graphql", "tqdm")


@pytest.fixture
def db(sqlite_url: str) -> str:
    """A SQLite file holding the sample, imported with the CLI."""
    assert ledger(sqlite_url, "import", str(SAMPLE)).code == 0
    return sqlite_url


def _log(database: str) -> list[dict[str, object]]:
    entries = ledger(database, "log", "--json").json()
    assert isinstance(entries, list)
    return entries


def _refused(result: Run, code: str, *parts: str) -> None:
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(f"error [{code}]: "), result.err
    for part in parts:
        assert part in result.err, result.err


def _ledger_process(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ledger", *argv], cwd=ROOT, env=environment(),
                          capture_output=True, text=True, timeout=120, input=stdin, check=False)


# -- arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize(("limit", "message"), [
    ("0", "limit: must be at least 1, not 0"),
    ("-5", "limit: must be at least 1, not -5"),
    ("many", "limit: 'many' is not a whole number"),
])
def test_log_refuses_a_limit_below_one(db: str, limit: str, message: str) -> None:
    before = _log(db)
    _refused(ledger(db, "log", "--limit", limit), "INVALID_INPUT", message)
    assert _log(db) == before


def test_log_refuses_a_negative_after(db: str) -> None:
    _refused(ledger(db, "log", "--after", "-1"), "INVALID_INPUT", "after: must be at least 0, not -1")


def test_log_limit_one_pages_through_the_log(db: str) -> None:
    first = ledger(db, "log", "--limit", "1")
    assert [row[1] for row in _table_rows(first.out) if not row[0].startswith("(more")] == ["demo:1"]
    assert "(more: ledger log --after 1)" in first.out
    last = ledger(db, "log", "--limit", "1", "--after", "21")
    assert [row[1] for row in _table_rows(last.out)] == ["demo:22"]
    assert "(more:" not in last.out


# -- pipes -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite ledger whose export (about 1.5 MB) overflows any pipe buffer."""
    folder = tmp_path_factory.mktemp("large")
    source = folder / "history.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in generate(3000, actors=40)), encoding="utf-8")
    url = f"sqlite:///{folder / 'large.db'}"
    assert ledger(url, "import", str(source)).code == 0
    return url


@pytest.mark.parametrize("command", ["export", "log", "log --json"])
def test_a_reader_that_stops_early_ends_the_command_quietly(large: str, command: str) -> None:
    shell = (f"set -o pipefail; {sys.executable} -m ledger {command} --database {large} | head -2 >/dev/null; "
             "echo status=$?")
    done = subprocess.run(["bash", "-c", shell], cwd=ROOT, env=environment(), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.stderr == ""  # no BrokenPipeError, no traceback
    assert done.stdout.strip() == "status=141"  # the shell's status for a writer ended by SIGPIPE


# -- every question takes --as-of and --recorded-as-of -----------------------------------------


def test_compare_takes_as_of_as_the_date_it_compares_against(db: str) -> None:
    against = ledger(db, "compare", "demo", "--baseline", "original plan", "--against", "2022-12-01", "--json")
    as_of = ledger(db, "compare", "demo", "--baseline", "original plan", "--as-of", "2022-12-01", "--json")
    assert as_of.json() == against.json()
    found = as_of.json()
    assert isinstance(found, dict)
    assert found["against"] == "2022-12-01"


def test_compare_refuses_two_different_dates(db: str) -> None:
    result = ledger(db, "compare", "demo", "--baseline", "original plan", "--against", "2022-12-01",
                    "--as-of", "2023-01-01")
    _refused(result, "INVALID_INPUT", "--against 2022-12-01 and --as-of 2023-01-01 name two dates")


def test_compare_and_history_take_recorded_as_of(db: str) -> None:
    before = "2000-01-01T00:00:00+00:00"
    _refused(ledger(db, "compare", "demo", "--baseline", "original plan", "--recorded-as-of", before),
             "NOT_FOUND", "'demo'")
    _refused(ledger(db, "history", "demo", "north-trust", "--recorded-as-of", before), "NOT_FOUND", "'demo'")
    later = ledger(db, "history", "demo", "north-trust", "--recorded-as-of", "2999-01-01T00:00:00Z", "--json")
    assert later.json() == ledger(db, "history", "demo", "north-trust", "--json").json()


def test_history_as_of_keeps_the_revisions_in_effect_by_that_date(db: str) -> None:
    everything = ledger(db, "history", "demo", "north-trust", "--json").json()
    by_2022_06 = ledger(db, "history", "demo", "north-trust", "--as-of", "2022-06-01", "--json").json()
    assert isinstance(everything, list)
    assert isinstance(by_2022_06, list)
    assert by_2022_06 == [r for r in everything if r["effective"] <= "2022-06-01"]
    assert 0 < len(by_2022_06) < len(everything)


def test_a_bad_as_of_on_history_is_refused(db: str) -> None:
    _refused(ledger(db, "history", "demo", "north-trust", "--as-of", "2022-13-01"), "INVALID_INPUT", "as-of")


# -- log filters and the subject column --------------------------------------------------------


def test_log_table_has_a_subject_column(db: str) -> None:
    result = ledger(db, "log", "--wide")
    assert result.out.splitlines()[0].split()[:5] == ["pos", "entry", "type", "effective", "subject"]
    rows = {row[1]: row for row in _table_rows(result.out)}
    assert rows["demo:14"][4] == "harbour, w1"  # the go-live of harbour in w1


def test_log_filters_by_actor_wave_and_type(db: str) -> None:
    def ids(*argv: str) -> list[object]:
        entries = ledger(db, "log", "--json", *argv).json()
        assert isinstance(entries, list)
        return [e["entry_id"] for e in entries]

    assert ids("--actor", "harbour", "--type", "GoLiveRecorded") == ["demo:14"]
    assert ids("--wave", "w2", "--type", "WaveRescheduled") == ["demo:16"]
    assert ids("--actor", "north-trust", "--wave", "w2", "--type", "GoLiveRecorded") == ["demo:17"]
    assert ids("--type", "GoLiveRecorded", "--type", "GoLivePostponed") == ["demo:13", "demo:14", "demo:17",
                                                                            "demo:18"]
    every = ids("--actor", "south-trust")
    assert "demo:18" in every
    assert "demo:14" not in every


def test_log_filters_by_recording_time_and_by_effective_date(db: str) -> None:
    everything = _log(db)
    recorded = datetime.fromisoformat(str(everything[0]["recorded_at"]))
    day = recorded.astimezone(UTC).date().isoformat()
    assert len(ledger(db, "log", "--json", "--since", day, "--until", day).json()) == 22  # type: ignore[arg-type]
    assert ledger(db, "log", "--json", "--since", "2999-01-01").json() == []
    assert ledger(db, "log", "--json", "--until", "2000-01-01T00:00:00+00:00").json() == []
    assert ledger(db, "log", "--json", "--recorded-as-of", "2000-01-01T00:00:00Z").json() == []
    early = ledger(db, "log", "--json", "--as-of", "2020-06-01").json()
    assert isinstance(early, list)
    assert {e["entry_id"] for e in early} == {e["entry_id"] for e in everything
                                              if str(e["effective"]) <= "2020-06-01"}


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["--actor", "harbor"], "NOT_FOUND", "actor: no actor 'harbor' in the ledger; did you mean 'harbour'?"),
    (["--wave", "w22", "--programme", "demo"], "NOT_FOUND", "wave: no wave 'w22' in 'demo'; did you mean 'w2'?"),
    (["--type", "GoLiveRecord"], "INVALID_INPUT", "type: 'GoLiveRecord' is not an entry type; did you mean "
                                                  "'GoLiveRecorded' or 'GoLiveRescheduled'?"),
    (["--since", "yesterday"], "INVALID_INPUT", "since: "),
    (["--until", "2024-01-01T10:00"], "INVALID_INPUT", "until: '2024-01-01T10:00' has no UTC offset"),
])
def test_log_refuses_unknown_filters_with_the_closest_ids(db: str, argv: list[str], code: str, message: str) -> None:
    before = _log(db)
    _refused(ledger(db, "log", *argv), code, message)
    assert _log(db) == before


# -- did you mean ----------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["plan", "dmeo"],
    ["compare", "dmeo", "--baseline", "original plan"],
    ["history", "dmeo", "harbour"],
    ["log", "--programme", "dmeo"],
    ["export", "--programme", "dmeo"],
])
def test_a_misspelled_programme_gets_did_you_mean(db: str, argv: list[str]) -> None:
    before = _log(db)
    _refused(ledger(db, *argv), "NOT_FOUND", "programme: no programme 'dmeo' in the ledger; did you mean 'demo'?")
    assert _log(db) == before


def test_a_misspelled_actor_in_history_gets_did_you_mean(db: str) -> None:
    _refused(ledger(db, "history", "demo", "harbor"), "NOT_FOUND",
             "actor: actor 'harbor' is not registered in 'demo'; did you mean 'harbour'?")


def test_an_id_like_nothing_known_gets_no_suggestion(db: str) -> None:
    result = ledger(db, "plan", "zzzzzz")
    _refused(result, "NOT_FOUND", "no programme 'zzzzzz' in the ledger")
    assert "did you mean" not in result.err


def test_a_failed_export_leaves_an_earlier_output_file_as_it_was(db: str, tmp_path: Path) -> None:
    target = tmp_path / "backup.jsonl"
    target.write_text("earlier backup\n", encoding="utf-8")
    _refused(ledger(db, "export", "--programme", "dmeo", "--output", str(target)), "NOT_FOUND", "'demo'")
    assert target.read_text(encoding="utf-8") == "earlier backup\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backup")) == ["backup.jsonl"]


# -- a read never creates a ledger ---------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["plan"], ["plan", "demo"], ["compare", "demo", "--baseline", "original plan"], ["history", "demo", "harbour"],
    ["log"], ["export"],
])
def test_a_read_of_a_missing_sqlite_file_is_refused_and_creates_nothing(tmp_path: Path, argv: list[str]) -> None:
    missing = tmp_path / "typo" / "ledgr.db"
    result = ledger(f"sqlite:///{missing}", *argv)
    _refused(result, "NOT_FOUND", f"database: no ledger at {missing}; `ledger import` creates one")
    assert not missing.parent.exists()


def test_serve_on_a_missing_folder_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "ledger.db"
    result = ledger(f"sqlite:///{missing}", "serve")
    _refused(result, "NOT_FOUND", f"no folder {missing.parent} for the ledger ledger.db")
    assert not missing.parent.exists()


def test_import_still_creates_a_new_ledger(tmp_path: Path) -> None:
    fresh = tmp_path / "new" / "ledger.db"
    assert ledger(f"sqlite:///{fresh}", "import", str(SAMPLE)).code == 0
    assert fresh.exists()


# -- ledger run [PROGRAMME] ------------------------------------------------------------------------


@pytest.fixture
def two_programmes(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    for source in ("helseplattformen", str(SAMPLE)):
        assert ledger(url, "import", source).code == 0
    return url


def test_run_with_two_programmes_shows_the_bundled_one_and_names_the_other(two_programmes: str) -> None:
    result = ledger(two_programmes, "run", "--no-serve")
    assert result.code == 0, result.err
    assert "(helseplattformen), owner" in result.out
    assert "the ledger also holds demo: `ledger run PROGRAMME` shows another" in result.out


def test_run_shows_the_programme_it_is_given(two_programmes: str) -> None:
    result = ledger(two_programmes, "run", "demo", "--no-serve")
    assert result.code == 0, result.err
    assert "(demo), owner" in result.out
    assert "also holds helseplattformen" in result.out


def test_run_with_a_misspelled_programme_is_refused_before_serving(two_programmes: str) -> None:
    before = _log(two_programmes)
    result = ledger(two_programmes, "run", "dmeo", "--no-serve")
    assert result.code == 2
    assert "error [NOT_FOUND]: programme: no programme 'dmeo' in the ledger; did you mean 'demo'?" in result.err
    assert _log(two_programmes) == before


# -- tables ----------------------------------------------------------------------------------


def test_log_fits_100_columns_by_cutting_free_text_and_wide_shows_it_all(db: str) -> None:
    narrow, wide = ledger(db, "log").out, ledger(db, "log", "--wide").out
    title = "Board minutes October 2022, corrected copy"  # demo:22's source, 42 characters
    assert title in wide
    assert title not in narrow
    cut = {row[1]: row for row in _table_rows(narrow)}["demo:22"]
    assert any(cell.endswith(CUT_MARK) and title.startswith(cell[:-1]) for cell in cut)
    assert max(map(len, narrow.splitlines())) < max(map(len, wide.splitlines()))
    # Ids, types and dates are never cut: every entry id is shown whole.
    assert [row[1] for row in _table_rows(narrow)] == [f"demo:{n}" for n in range(1, 23)]


# -- --version, python -m ledger, a light --help -------------------------------------------------


def test_version_is_the_installed_distribution_s() -> None:
    from importlib.metadata import version

    done = _ledger_process("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"ledger {version('programme-ledger')}\n"


def test_python_m_ledger_is_the_ledger_command(db: str) -> None:
    done = _ledger_process("plan", "demo", "--as-of", "2022-12-01", "--json", "--database", db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == "demo"


def test_help_loads_none_of_the_server_stack() -> None:
    probe = ("import contextlib, io, sys\n"
             "from ledger_server.cli import main\n"
             "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
             "    main(['--help'])\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({SERVER_STACK!r})))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment(), capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_the_licence_is_the_mit_licence_the_package_declares() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License")
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


# -- progress bars ---------------------------------------------------------------------------


class Terminal(io.StringIO):
    """Standard error as a terminal sees it (progress bars are drawn only on a terminal)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "history.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in generate(2500, actors=30)), encoding="utf-8")
    return path


def _with_terminal(database: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), Terminal()
    code = main([*argv, "--database", database], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_a_large_import_shows_checking_and_writing_bars_on_a_terminal(sqlite_url: str, big_file: Path) -> None:
    code, out, err = _with_terminal(sqlite_url, "import", str(big_file))
    assert code == 0, err
    assert "2500 added" in out
    assert "checking" in err
    assert "writing" in err
    assert "2500/2500" in err


def test_a_long_export_shows_a_bar_on_a_terminal_and_nothing_when_piped(
    sqlite_url: str, big_file: Path, tmp_path: Path
) -> None:
    assert ledger(sqlite_url, "import", str(big_file)).code == 0
    code, _out, err = _with_terminal(sqlite_url, "export", "--output", str(tmp_path / "out.jsonl"))
    assert code == 0, err
    assert "export" in err
    assert "2500/2500" in err
    piped = ledger(sqlite_url, "export", "--output", str(tmp_path / "again.jsonl"))
    assert piped.err == ""


def test_a_question_on_a_long_log_shows_the_reading_on_a_terminal(sqlite_url: str, big_file: Path) -> None:
    assert ledger(sqlite_url, "import", str(big_file)).code == 0
    code, out, err = _with_terminal(sqlite_url, "log", "--limit", "1", "--json")
    assert code == 0, err
    assert json.loads(out)[0]["position"] == 1
    assert "reading" in err
    assert "2500/2500" in err


def test_a_small_import_draws_no_bar(sqlite_url: str) -> None:
    code, _out, err = _with_terminal(sqlite_url, "import", str(SAMPLE))
    assert code == 0
    assert err == ""


def test_the_cli_reads_a_postgresql_store_through_its_read_model(postgres_url: str) -> None:
    assert ledger(postgres_url, "import", str(SAMPLE)).code == 0
    assert StoreLocation(postgres_url).is_postgres
    plan = ledger(postgres_url, "plan", "demo", "--as-of", "2022-12-01", "--json").json()
    assert isinstance(plan, dict)
    assert {a["id"]: a["status"] for a in plan["actors"]}["harbour"] == "live"
