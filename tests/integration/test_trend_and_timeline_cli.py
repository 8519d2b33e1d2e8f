"""`ledger trend` and `ledger compare --svg` on the bundled Helseplattformen history (real SQLite file)."""

from __future__ import annotations

import io
import json
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ledger_server.cli import main
from tests.conftest import store_position

NS = {"svg": "http://www.w3.org/2000/svg"}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('hp') / 'ledger.db'}"
    assert main(["import", "helseplattformen", "--database", url], out=io.StringIO(), err=io.StringIO()) == 0
    return url


def _run(database: str, *arguments: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([*arguments, "--database", database], out=out, err=err)
    return status, out.getvalue(), err.getvalue()




def test_trend_of_st_olavs_and_a_wave_as_json_and_svg(database: str, tmp_path: Path) -> None:
    chart = tmp_path / "trend.svg"
    status, out, err = _run(database, "trend", "helseplattformen", "st-olavs-hospital", "pd5", "--json",
                            "--svg", str(chart))
    assert status == 0, err
    trend = json.loads(out)
    olavs, pd5 = trend["series"]
    assert (olavs["kind"], olavs["subject"], olavs["actual"]) == ("actor", "st-olavs-hospital", "2022-11-12")
    assert [p["planned"]["label"] for p in olavs["points"]] == ["30. april 2022", "etter sommeren 2022"]
    assert [p["reported"] for p in olavs["points"]] == ["2022-02-28", "2022-04-29"]
    assert (pd5["kind"], pd5["actual"]) == ("wave", None)
    root = ET.parse(chart).getroot()
    lines = root.findall(".//svg:g[@class='series']/svg:path[@class='trend-line']", NS)
    assert len(lines) == 2
    assert f"wrote the milestone trend chart to {chart}" in err


def test_trend_as_recorded_places_reports_on_the_recording_day(database: str) -> None:
    status, out, err = _run(database, "trend", "helseplattformen", "st-olavs-hospital", "--json",
                            "--report-date", "recorded")
    assert status == 0, err
    trend = json.loads(out)
    recorded_days = {p["reported"] for p in trend["series"][0]["points"]}
    assert trend["report_date"] == "recorded"
    assert recorded_days == {trend["recorded_as_of"][:10]}  # the whole history was imported today


def test_compare_svg_shows_st_olavs_196_days_late_against_the_original_plan(database: str, tmp_path: Path) -> None:
    chart = tmp_path / "timeline.svg"
    status, out, err = _run(database, "compare", "helseplattformen", "--baseline", "original plan",
                            "--against", "2024-06-01", "--svg", str(chart))
    assert status == 0, err
    assert "st-olavs-hospital" in out  # the table is still printed
    root = ET.parse(chart).getroot()
    olavs = root.find("svg:g[@data-subject='st-olavs-hospital']", NS)
    assert olavs is not None
    assert olavs.get("data-status") == "late"
    assert olavs.findtext("svg:text[@class='slip']", namespaces=NS).startswith("+196 d | +196 d")
    waves = [g.get("data-subject") for g in root.findall("svg:g[@class='wave-row']", NS)]
    assert waves == ["pd1", "pd2", "pd3", "pd4", "pd5", "pd6"]


@pytest.mark.parametrize(("arguments", "message"), [
    (["trend", "helseplattformen", "nobody"], "error [NOT_FOUND]: subject: programme 'helseplattformen' has no "
                                              "actor or wave 'nobody'"),
    (["trend", "helseplattformen", "wave:st-olavs-hospital"], "no actor or wave 'st-olavs-hospital'"),
    (["trend", "nowhere", "pd1"], "error [NOT_FOUND]"),
    (["trend", "helseplattformen", "pd1", "--recorded-as-of", "2024-01-01"], "has no UTC offset"),
])
def test_bad_trend_requests_name_what_was_wrong_and_write_nothing(
    database: str, tmp_path: Path, arguments: list[str], message: str,
) -> None:
    before = store_position(database)
    chart = tmp_path / "never.svg"
    status, out, err = _run(database, *arguments, "--svg", str(chart))
    assert status == 2
    assert message in err
    assert out == ""
    assert not chart.exists()
    assert store_position(database) == before


def test_an_unwritable_chart_file_is_an_error_that_names_it(database: str, tmp_path: Path) -> None:
    before = store_position(database)
    target = tmp_path / "missing-folder" / "chart.svg"
    for arguments in (["trend", "helseplattformen", "pd1"],
                      ["compare", "helseplattformen", "--baseline", "original plan"]):
        status, out, err = _run(database, *arguments, "--svg", str(target))
        assert status == 2
        assert "cannot write the" in err
        assert str(target) in err
        assert "No such file or directory" in err
        assert out == ""
    assert store_position(database) == before


def _readme_chart_commands() -> list[list[str]]:
    readme = (Path(__file__).parent.parent.parent / "README.md").read_text(encoding="utf-8")
    lines = [line.removeprefix("$ ledger ") for line in readme.splitlines() if line.startswith("$ ledger ")]
    return [shlex.split(line) for line in lines if "--svg" in line]


def test_the_readme_chart_commands_draw_what_they_say(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    commands = _readme_chart_commands()
    assert [c[0] for c in commands] == ["trend", "compare"]
    for command in commands:
        status, out, err = _run(database, *command)
        assert status == 0, err
        assert out.strip()
    trend_command = commands[0]
    subjects = trend_command[2:trend_command.index("--svg")]
    trend = ET.parse(tmp_path / trend_command[trend_command.index("--svg") + 1]).getroot()
    drawn = [g.get("data-subject") for g in trend.findall(".//svg:g[@class='series']", NS)]
    assert sorted(drawn) == sorted(subjects)
    timeline = ET.parse(tmp_path / commands[1][commands[1].index("--svg") + 1]).getroot()
    olavs = timeline.find("svg:g[@data-subject='st-olavs-hospital']", NS)
    assert olavs is not None
    assert olavs.findtext("svg:text[@class='slip']", namespaces=NS).startswith("+196 d")
