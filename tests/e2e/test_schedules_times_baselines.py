"""An actor's own schedule, time of day, overdue and re-baselining, end to end on SQLite and PostgreSQL.

The story extends the sample programme `demo`: a new emergency clinic is scheduled on a window of
its own, rescheduled to a day with a time (00:00 Europe/Oslo), and goes live at 22:00 the evening
before; the board names "plan 2024" and adopts it as the current baseline; South Trust moves to a
new wave W3, is postponed and restored to it. Each step is imported with `ledger import`, asked with
`ledger plan`, `ledger compare` and `ledger history` (on PostgreSQL the CLI reads the PostgreSQL read
model), and through GraphQL (PostgreSQL read model on PostgreSQL), and recorded through the types'
own mutations.
"""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ledger_server.cli import main
from tests.e2e.client import SAMPLE, Tokens, record, recorded
from tests.e2e.conftest import serve

W3_LATEST = date(2025, 6, 30)  # W3 is planned for 2025-H1

STORY = [
    {"type": "ActorRegistered", "effective": "2020-01-01", "key": "s-1", "actor": "east-clinic",
     "name": "East emergency clinic", "kind": "emergency_clinic"},
    {"type": "GoLiveScheduled", "effective": "2023-01-10", "key": "s-2", "actor": "east-clinic", "window": "2024-05"},
    {"type": "GoLiveRescheduled", "effective": "2024-01-15", "key": "s-3", "actor": "east-clinic",
     "window": {"earliest": "2024-04-27", "latest": "2024-04-27", "precision": "day",
                "label": "27.04.2024 from midnight", "at": "00:00 Europe/Oslo"}},
    {"type": "BaselineNamed", "effective": "2024-02-01", "key": "s-4", "name": "plan 2024", "as_of": "2024-02-01"},
    {"type": "BaselineAdopted", "effective": "2024-02-01", "key": "s-5", "name": "plan 2024",
     "deciding_body": "Demo board"},
    {"type": "WavePlanned", "effective": "2024-03-01", "key": "s-6", "wave": "w3", "code": "W3", "window": "2025-H1"},
    {"type": "ActorMovedToWave", "effective": "2024-03-01", "key": "s-7", "actor": "south-trust", "wave": "w3",
     "from_wave": "w2"},
    {"type": "GoLiveRecorded", "effective": "2024-04-26", "key": "s-8", "actors": ["east-clinic"],
     "at": "22:00 Europe/Oslo"},
    {"type": "GoLivePostponed", "effective": "2024-06-01", "key": "s-9", "actor": "south-trust", "window": "2025-H2",
     "wave": "w3"},
    {"type": "ActorRestoredToWave", "effective": "2024-09-01", "key": "s-10", "actor": "south-trust", "wave": "w3"},
]

PLAN = """
query Plan($id: ID!, $asOf: Date) {
  programme(id: $id, asOf: $asOf) {
    waves { id status daysOverdue }
    actors { id status daysOverdue goLiveDate goLiveAt plannedGoLive { earliest latest precision label at } }
    currentBaseline { name asOf adoptedOn }
    baselineHistory { entry { key type decidingBody source { title } } effective name asOf current note }
  }
}
"""

COMPARE = """
query Compare($id: ID!, $baseline: String!, $against: Date) {
  comparison(programmeId: $id, baseline: $baseline, against: $against) {
    currentBaseline currentBaselineAsOf
    rows { actor { id } slipDaysEarliest slipDaysLatest slipHours daysOverdue status
           againstCurrent { slipDaysEarliest slipDaysLatest slipHours status } }
    waveRows { wave { id } daysOverdue status }
    summary { overdue early }
  }
}
"""


def _ledger(url: str, *argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = main([*argv, "--database", url], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _json(url: str, *argv: str) -> Any:
    code, out, err = _ledger(url, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def _line(entry: dict[str, Any]) -> str:
    return json.dumps({"programme": "demo", "source": {"title": "Board minutes"}, **entry})


@pytest.fixture
def story_url(store_url: str, tmp_path: Path) -> str:
    """A store holding the sample programme and the story, imported with `ledger import`."""
    history = tmp_path / "story.jsonl"
    history.write_text(SAMPLE.read_text(encoding="utf-8") + "".join(_line(e) + "\n" for e in STORY),
                       encoding="utf-8")
    code, out, err = _ledger(store_url, "import", str(history))
    assert code == 0, err
    assert "32 added" in out
    return store_url


def _actor(url: str, as_of: str, actor: str) -> dict[str, Any]:
    plan = _json(url, "plan", "demo", "--as-of", as_of)
    found: dict[str, Any] = next(a for a in plan["actors"] if a["id"] == actor)
    return found


def test_each_schedule_entry_has_its_own_status_and_a_restored_plan_is_planned(story_url: str) -> None:
    statuses = [_actor(story_url, day, "east-clinic")["status"] for day in ("2023-01-09", "2023-01-10", "2024-01-15")]
    assert statuses == ["registered", "scheduled", "rescheduled"]
    south = [(_actor(story_url, day, "south-trust")["status"], _actor(story_url, day, "south-trust")["wave"])
             for day in ("2024-03-01", "2024-06-01", "2024-09-01")]
    assert south == [("planned", "w3"), ("postponed", "w3"), ("planned", "w3")]
    restored = _actor(story_url, "2024-09-01", "south-trust")
    assert (restored["planned"]["earliest"], restored["planned"]["latest"]) == ("2025-01-01", "2025-06-30")
    plan = _json(story_url, "plan", "demo", "--as-of", "2024-09-01")
    assert next(w for w in plan["waves"] if w["id"] == "w3")["actors"] == ["south-trust"]
    history = _json(story_url, "history", "demo", "south-trust")
    assert [(r["entry"]["key"], r["status"]) for r in history][-3:] == [
        ("s-7", "planned"), ("s-9", "postponed"), ("s-10", "planned")]


def test_a_go_live_at_22_the_evening_before_is_two_hours_early(story_url: str) -> None:
    live = _actor(story_url, "2024-04-26", "east-clinic")
    assert (live["status"], live["go_live"], live["go_live_at"]) == ("live", "2024-04-26", "22:00 Europe/Oslo")
    comparison = _json(story_url, "compare", "demo", "--baseline", "plan 2024", "--against", "2024-05-01")
    row = next(r for r in comparison["actors"] if r["subject"] == "east-clinic")
    # Days stay days (the dates differ by one); the moments differ by two hours, and they decide the status.
    assert (row["slip_days_earliest"], row["slip_days_latest"], row["slip_hours"], row["status"]) == (-1, -1, -2.0,
                                                                                                        "early")
    code, out, err = _ledger(story_url, "compare", "demo", "--baseline", "plan 2024", "--against", "2024-05-01")
    assert code == 0, err
    table_row = next(line for line in out.splitlines() if line.startswith("east-clinic"))
    assert "-2.0" in table_row.split()


def test_an_overdue_wave_and_actor_show_their_days_overdue(story_url: str) -> None:
    day = "2025-08-01"
    overdue = (date.fromisoformat(day) - W3_LATEST).days
    plan = _json(story_url, "plan", "demo", "--as-of", day)
    w3 = next(w for w in plan["waves"] if w["id"] == "w3")
    assert (w3["status"], w3["days_overdue"]) == ("overdue", overdue)
    assert (_actor(story_url, day, "south-trust")["status"], _actor(story_url, day, "south-trust")["days_overdue"]) == (
        "overdue", overdue)
    assert _actor(story_url, "2025-06-30", "south-trust")["status"] == "planned"  # the latest day itself is not late
    code, out, err = _ledger(story_url, "plan", "demo", "--as-of", day)
    assert code == 0, err
    assert f"overdue ({overdue} days)" in next(line for line in out.splitlines() if line.startswith("w3 "))
    comparison = _json(story_url, "compare", "demo", "--baseline", "original plan", "--against", day)
    row = next(r for r in comparison["waves"] if r["subject"] == "w3")
    assert (row["status"], row["days_overdue"]) == ("added", overdue)  # W3 did not exist in the baseline
    south = next(r for r in comparison["actors"] if r["subject"] == "south-trust")
    assert (south["status"], south["days_overdue"]) == ("overdue", overdue)
    assert comparison["summary"]["overdue"] == 1


def test_the_adopted_baseline_is_shown_beside_the_one_asked_for(story_url: str) -> None:
    before = _json(story_url, "compare", "demo", "--baseline", "original plan", "--against", "2024-01-31")
    assert before["current_baseline"] is None
    assert {r["against_current"] is None for r in before["actors"]} == {True}
    comparison = _json(story_url, "compare", "demo", "--baseline", "original plan", "--against", "2024-05-01")
    assert (comparison["current_baseline"], comparison["current_baseline_as_of"]) == ("plan 2024", "2024-02-01")
    clinic = next(r for r in comparison["actors"] if r["subject"] == "east-clinic")
    assert clinic["status"] == "added"  # not in the original plan
    against_current = clinic["against_current"]
    assert (against_current["slip_days_earliest"], against_current["slip_hours"], against_current["status"]) == (
        -1, -2.0, "early")
    code, out, err = _ledger(story_url, "compare", "demo", "--baseline", "original plan", "--against", "2024-05-01")
    assert code == 0, err
    assert "current baseline 'plan 2024' (plan as of 2024-02-01), shown beside it" in out
    assert "status (current)" in out


def test_each_adoption_is_in_the_baseline_history_and_the_audit_trail(story_url: str) -> None:
    history = _json(story_url, "history", "demo", "--baselines")
    assert [(r["entry"]["key"], r["entry"]["type"], r["name"], r["current"]) for r in history] == [
        ("demo-9", "BaselineNamed", "original plan", None),
        ("s-4", "BaselineNamed", "plan 2024", None),
        ("s-5", "BaselineAdopted", "plan 2024", "plan 2024"),
    ]
    code, out, err = _ledger(story_url, "history", "demo", "--baselines")
    assert code == 0, err
    assert "Demo board" in next(line for line in out.splitlines() if "BaselineAdopted" in line)
    log = _json(story_url, "log", "--programme", "demo", "--type", "BaselineAdopted")
    assert [(e["key"], e["deciding_body"], e["source"]["title"], e["summary"]) for e in log] == [
        ("s-5", "Demo board", "Board minutes", "baseline 'plan 2024' adopted as the current baseline")]


def test_history_needs_an_actor_or_baselines(story_url: str) -> None:
    code, _out, err = _ledger(story_url, "history", "demo")
    assert code == 2
    assert "name an actor, or give --baselines" in err


def test_graphql_shows_statuses_times_overdue_and_both_baselines(story_url: str) -> None:
    tokens = Tokens.create(story_url)
    with serve(story_url, tokens, public_reads=False) as api:
        restored = api.reader.data(PLAN, {"id": "demo", "asOf": "2024-09-01"})["programme"]
        late = api.reader.data(PLAN, {"id": "demo", "asOf": "2025-08-01"})["programme"]
        compared = api.reader.data(COMPARE, {"id": "demo", "baseline": "plan 2024", "against": "2025-08-01"})
    actors = {a["id"]: a for a in restored["actors"]}
    assert (actors["south-trust"]["status"], actors["south-trust"]["daysOverdue"]) == ("planned", None)
    clinic = actors["east-clinic"]
    assert (clinic["goLiveDate"], clinic["goLiveAt"]) == ("2024-04-26", "22:00 Europe/Oslo")
    assert clinic["plannedGoLive"]["at"] == "00:00 Europe/Oslo"
    assert restored["currentBaseline"] == {"name": "plan 2024", "asOf": "2024-02-01", "adoptedOn": "2024-02-01"}
    adoption = restored["baselineHistory"][-1]
    assert (adoption["entry"]["type"], adoption["entry"]["decidingBody"], adoption["current"]) == (
        "BaselineAdopted", "Demo board", "plan 2024")
    overdue = (date(2025, 8, 1) - W3_LATEST).days
    assert {w["id"]: (w["status"], w["daysOverdue"]) for w in late["waves"]}["w3"] == ("overdue", overdue)
    comparison = compared["comparison"]
    rows = {r["actor"]["id"]: r for r in comparison["rows"]}
    assert (rows["east-clinic"]["slipHours"], rows["east-clinic"]["status"]) == (-2.0, "early")
    assert rows["east-clinic"]["againstCurrent"]["slipHours"] == -2.0
    assert (rows["south-trust"]["status"], rows["south-trust"]["daysOverdue"]) == ("overdue", overdue)
    assert {r["wave"]["id"]: r["status"] for r in comparison["waveRows"]}["w3"] == "added"
    assert comparison["currentBaseline"] == "plan 2024"
    assert comparison["summary"]["early"] == 1


def test_the_new_types_are_recorded_through_their_own_mutations(store_url: str, tmp_path: Path) -> None:
    history = tmp_path / "story.jsonl"
    history.write_text(SAMPLE.read_text(encoding="utf-8") + _line(STORY[0]) + "\n", encoding="utf-8")
    assert _ledger(store_url, "import", str(history))[0] == 0
    tokens = Tokens.create(store_url)
    source = {"title": "Board minutes"}
    with serve(store_url, tokens, public_reads=False) as api:
        def as_recorder(mutation: str, input_type: str, values: dict[str, Any]) -> dict[str, Any]:
            return recorded(record(api.recorder, mutation, input_type, {"programmeId": "demo", "source": source,
                                                                          **values}))

        as_recorder("scheduleGoLive", "GoLiveScheduledInput", {
            "effective": "2023-01-10", "actor": "east-clinic",
            "window": {"earliest": "2024-05-01", "latest": "2024-05-31", "precision": "MONTH", "label": "May 2024"}})
        as_recorder("rescheduleGoLive", "GoLiveRescheduledInput", {
            "effective": "2024-01-15", "actor": "east-clinic",
            "window": {"earliest": "2024-04-27", "latest": "2024-04-27", "precision": "DAY", "label": "27.04.2024",
                       "at": "00:00 Europe/Oslo"}})
        as_recorder("recordGoLive", "GoLiveRecordedInput", {
            "effective": "2024-04-26", "actors": ["east-clinic"], "at": "22:00 Europe/Oslo"})
        as_recorder("postponeGoLive", "GoLivePostponedInput", {
            "effective": "2023-06-01", "actor": "harbour", "wave": "w1",
            "window": {"earliest": "2025-01-01", "latest": "2025-12-31", "precision": "YEAR", "label": "2025"}})
        refused = record(api.recorder, "restoreActorToWave", "ActorRestoredToWaveInput", {
            "programmeId": "demo", "source": source, "effective": "2023-01-01", "actor": "south-trust", "wave": "w1"})
        assert refused["code"] == "NOT_IN_WAVE", refused
        baseline = {"programmeId": "demo", "source": source, "effective": "2024-02-01", "name": "original plan",
                    "decidingBody": "Demo board"}
        assert record(api.recorder, "adoptBaseline", "BaselineAdoptedInput", baseline)["code"] == "FORBIDDEN"
        entry = recorded(record(api.admin, "adoptBaseline", "BaselineAdoptedInput", baseline))["entry"]
        assert entry["type"] == "BaselineAdopted"
        plan = api.reader.data(PLAN, {"id": "demo", "asOf": "2024-05-01"})["programme"]
    actors = {a["id"]: a for a in plan["actors"]}
    assert (actors["east-clinic"]["status"], actors["east-clinic"]["goLiveAt"]) == ("live", "22:00 Europe/Oslo")
    assert actors["east-clinic"]["plannedGoLive"]["at"] == "00:00 Europe/Oslo"
    assert plan["currentBaseline"]["name"] == "original plan"


def test_a_bad_time_or_reschedule_through_graphql_names_the_field_and_writes_nothing(
    store_url: str, tmp_path: Path,
) -> None:
    assert _ledger(store_url, "import", str(SAMPLE))[0] == 0
    before = _ledger(store_url, "export")[1]
    tokens = Tokens.create(store_url)
    envelope = {"programmeId": "demo", "source": {"title": "Board minutes"}, "effective": "2020-07-01"}
    with serve(store_url, tokens, public_reads=False) as api:
        bad_zone = record(api.recorder, "recordGoLive", "GoLiveRecordedInput", {
            **envelope, "actors": ["south-trust"], "at": "22:00 Nowhere/City"})
        follows_wave = record(api.recorder, "rescheduleGoLive", "GoLiveRescheduledInput", {
            **envelope, "actor": "north-trust",
            "window": {"earliest": "2022-06-01", "latest": "2022-06-30", "precision": "MONTH", "label": "June"}})
    assert (bad_zone["code"], bad_zone["field"]) == ("INVALID_INPUT", "at"), bad_zone
    assert "'Nowhere/City' is not a known IANA time zone" in bad_zone["message"]
    assert (follows_wave["code"], follows_wave["field"]) == ("INVARIANT_VIOLATED", "actor"), follows_wave
    assert "follows its wave" in follows_wave["message"]
    assert _ledger(store_url, "export")[1] == before


def test_a_postgresql_rebuild_gives_the_same_answers(postgres_url: str, tmp_path: Path) -> None:
    """The new fact values (own windows, times of day, adoptions) survive the rebuild's COPY path."""
    history = tmp_path / "story.jsonl"
    history.write_text(SAMPLE.read_text(encoding="utf-8") + "".join(_line(e) + "\n" for e in STORY), encoding="utf-8")
    assert _ledger(postgres_url, "import", str(history))[0] == 0
    tokens = Tokens.create(postgres_url)
    variables = {"id": "demo", "baseline": "plan 2024", "against": "2025-08-01"}
    with serve(postgres_url, tokens, public_reads=False) as api:
        projected = (api.reader.data(PLAN, {"id": "demo", "asOf": "2024-09-01"}), api.reader.data(COMPARE, variables))
    code, _out, err = _ledger(postgres_url, "rebuild")
    assert code == 0, err
    with serve(postgres_url, tokens, public_reads=False) as api:
        rebuilt = (api.reader.data(PLAN, {"id": "demo", "asOf": "2024-09-01"}), api.reader.data(COMPARE, variables))
    assert rebuilt == projected
    assert rebuilt[0]["programme"]["currentBaseline"]["name"] == "plan 2024"
