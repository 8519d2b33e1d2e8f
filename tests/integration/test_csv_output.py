"""`--format csv` on plan, compare, history, log and trend, read back with the csv module."""

from __future__ import annotations

import contextlib
import csv
import io

import pytest

from ledger_server.cli import main
from tests.conftest import store_position


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('csv') / 'ledger.db'}"
    assert main(["import", "helseplattformen", "--database", url], out=io.StringIO(), err=io.StringIO()) == 0
    return url


def _rows(database: str, *arguments: str) -> list[dict[str, str]]:
    out, err = io.StringIO(), io.StringIO()
    assert main([*arguments, "--format", "csv", "--database", database], out=out, err=err) == 0, err.getvalue()
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def _by_id(rows: list[dict[str, str]], key: str, value: str) -> dict[str, str]:
    return next(row for row in rows if row[key] == value)


def test_plan_as_csv_splits_windows_into_bounds_and_label(database: str) -> None:
    rows = _rows(database, "plan", "helseplattformen", "--as-of", "2022-06-01")
    olavs = _by_id(rows, "id", "st-olavs-hospital")
    assert olavs == {"row": "actor", "id": "st-olavs-hospital", "name": "St. Olavs hospital HF", "wave": "pd2",
                     "planned_earliest": "2022-08-01", "planned_latest": "", "planned_label": "etter sommeren 2022",
                     "status": "postponed", "go_live": "", "days_overdue": ""}
    assert _by_id(rows, "id", "pd1")["row"] == "wave"


def test_compare_as_csv_has_the_slip_per_bound(database: str) -> None:
    rows = _rows(database, "compare", "helseplattformen", "--baseline", "original plan", "--against", "2024-06-01")
    olavs = _by_id(rows, "id", "st-olavs-hospital")
    assert (olavs["baseline_earliest"], olavs["actual"]) == ("2022-04-30", "2022-11-12")
    assert (olavs["slip_days_earliest"], olavs["slip_days_latest"], olavs["status"]) == ("196", "196", "late")


def test_history_log_and_trend_as_csv(database: str) -> None:
    history = _rows(database, "history", "helseplattformen", "st-olavs-hospital")
    assert history[-1]["type"] == "GoLiveRecorded"
    assert all(row["recorded_by"].startswith("cli:") for row in history)
    log = _rows(database, "log", "--programme", "helseplattformen", "--limit", "5")
    assert [row["position"] for row in log] == ["1", "2", "3", "4", "5"]
    assert log[0]["type"] == "ProgrammeRegistered"
    trend = _rows(database, "trend", "helseplattformen", "st-olavs-hospital")
    assert [row["forecast_label"] for row in trend] == ["30. april 2022", "etter sommeren 2022"]
    assert {row["actual"] for row in trend} == {"2022-11-12"}




def test_two_formats_at_once_is_an_error_that_says_so(database: str) -> None:
    before = store_position(database)
    out, err = io.StringIO(), io.StringIO()
    status = main(["plan", "helseplattformen", "--json", "--format", "csv", "--database", database], out=out, err=err)
    assert status == 2
    assert err.getvalue() == "error [INVALID_INPUT]: format: --json and --format csv ask for two formats; give one\n"
    assert out.getvalue() == ""
    assert store_position(database) == before


def test_an_unknown_format_is_refused_by_name(database: str) -> None:
    before = store_position(database)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as stopped:
        main(["log", "--format", "xml", "--database", database])
    assert stopped.value.code == 2
    assert "argument --format: invalid choice: 'xml'" in err.getvalue()
    assert store_position(database) == before
