"""Every named operation in graphql/operations/, sent through the Starlette app on both stores.

Each answer is compared with what the projections (`InMemoryReadModel` over the same store)
say for the same asOf and recordedAsOf, and with a few facts of the sample read off by hand,
so the API and the reference cannot be wrong together unnoticed.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger.application import LedgerApplication
from projections.audit import LogQuery
from projections.memory import InMemoryReadModel
from projections.trend import MilestoneTrend, milestone_trend
from tests.e2e.client import (
    OPERATIONS_SENT,
    Json,
    assess_status,
    audit_node_json,
    comparison_json,
    history_json,
    live_event_json,
    operation_names,
    operation_text,
    plan_as_recorded_json,
    plan_on_date_json,
    recorded,
    reference_model,
    timestamp,
    wait_until_live,
    window_json,
)
from tests.e2e.conftest import Served

FAR_FUTURE = "2100-01-01T00:00:00+00:00"
VERIFIER = Path(__file__).resolve().parents[2] / "scripts" / "verify_proof.py"
COVERED: set[str] = set()


def covers(*names: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a test as the test of these operations, and check that it really sends them."""

    def mark(test: Callable[..., None]) -> Callable[..., None]:
        COVERED.update(names)

        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> None:
            before = {name: OPERATIONS_SENT[name] for name in names}
            test(*args, **kwargs)
            unsent = [name for name in names if OPERATIONS_SENT[name] == before[name]]
            assert not unsent, f"{test.__name__} covers {unsent} but never sent them"

        return run

    return mark


def _programme(answer: Json) -> Json:
    programme: Json = answer["programme"]
    return programme


def _actor(programme: Json, actor_id: str) -> Json:
    return next(a for a in programme["actors"] if a["id"] == actor_id)


# -- PlanOnDate ----------------------------------------------------------------------------


@covers("PlanOnDate")
@pytest.mark.parametrize("as_of", ["2019-12-31", "2021-06-01", "2022-04-01", "2022-12-01", "2023-03-01",
                                   "2023-06-01", "2024-06-01"])
def test_plan_on_date_answers_what_the_projections_say(api: Served, as_of: str) -> None:
    answer = api.reader.operation_data("PlanOnDate", {"programmeId": "demo", "asOf": as_of})
    plan = reference_model(api.url).plan("demo", date.fromisoformat(as_of), datetime.now(UTC))
    expected = None if plan is None else plan_on_date_json(plan)
    assert answer["programme"] == expected


@covers("PlanOnDate")
def test_plan_on_date_shows_the_sample_as_read_by_hand(api: Served) -> None:
    before_start = api.reader.operation_data("PlanOnDate", {"programmeId": "demo", "asOf": "2019-12-31"})
    assert before_start["programme"] is None

    spring = _programme(api.reader.operation_data("PlanOnDate", {"programmeId": "demo", "asOf": "2022-04-01"}))
    north = _actor(spring, "north-trust")
    assert (north["status"], north["wave"]["code"]) == ("postponed", "W1")
    assert north["plannedGoLive"] == {"earliest": "2022-08-15", "latest": None, "precision": "season",
                                      "label": "after summer 2022", "at": None}
    assert north["parent"] == {"id": "demo-rhf", "name": "Demo RHF"}

    winter = _programme(api.reader.operation_data("PlanOnDate", {"programmeId": "demo", "asOf": "2022-12-01"}))
    assert [(a["id"], a["goLiveDate"]) for a in winter["actors"] if a["status"] == "live"] == [
        ("harbour", "2022-05-07"), ("north-trust", "2022-11-12")]
    assert [(w["code"], w["status"]) for w in winter["waves"]] == [("W1", "live"), ("W2", "live")]

    may = _programme(api.reader.operation_data("PlanOnDate", {"programmeId": "demo", "asOf": "2023-06-01"}))
    assert may["reserves"] == [{
        "id": "risk", "name": "Risk reserve", "total": "600000000", "allocated": "522000000", "remaining": "78000000",
        "allocations": [{"id": "south-intro", "purpose": "Introduction in South Trust", "amount": "522000000",
                         "released": "0", "madeOn": "2023-02-01"}],
    }]
    assert may["deliverablesCompleted"] == 1
    assert may["baselines"] == [{"name": "original plan", "asOf": "2021-01-01", "adoptedOn": None}]
    assert may["currentBaseline"] is None  # named, never adopted


@covers("PlanOnDate")
def test_plan_on_date_without_as_of_answers_for_today(api: Served) -> None:
    programme = _programme(api.reader.operation_data("PlanOnDate", {"programmeId": "demo"}))
    today = datetime.now(UTC).date()
    assert date.fromisoformat(programme["asOf"]) in (today - timedelta(days=1), today)
    plan = reference_model(api.url).plan("demo", date.fromisoformat(programme["asOf"]), datetime.now(UTC))
    assert plan is not None
    assert programme == plan_on_date_json(plan)


# -- PlanAsRecorded, CorrectEntry: a correction shows only to questions recorded after it ----

POSTPONE = """
mutation Postpone($input: GoLivePostponedInput!) {
  postponeGoLive(input: $input) {
    __typename
    ... on Recorded { position entry { id recordedAt } }
    ... on Problem { code message field }
  }
}
"""

Q3_2024 = {"earliest": "2024-07-01", "latest": "2024-09-30", "precision": "QUARTER", "label": "2024-Q3"}
Q4_2024 = {"earliest": "2024-10-01", "latest": "2024-12-31", "precision": "QUARTER", "label": "2024-Q4"}


@dataclass(frozen=True)
class CorrectedPostponement:
    """A postponement recorded through the API, then corrected in a later request."""

    original_id: str
    correction_id: str
    original_recorded_at: datetime
    correction_recorded_at: datetime

    @property
    def before(self) -> datetime:
        return self.original_recorded_at - timedelta(microseconds=1)

    @property
    def between(self) -> datetime:
        return self.original_recorded_at + (self.correction_recorded_at - self.original_recorded_at) / 2

    @property
    def after(self) -> datetime:
        return self.correction_recorded_at


def postpone_then_correct(api: Served) -> CorrectedPostponement:
    """South Trust postponed to 2024-Q3, then corrected to 2024-Q4 (separate requests)."""
    postponed = recorded(api.recorder.data(POSTPONE, {"input": {
        "programmeId": "demo", "effective": "2024-02-01", "actor": "south-trust", "wave": "w2", "window": Q3_2024,
        "source": {"title": "Board minutes February 2024"}, "reason": "South Trust needs more time",
    }})["postponeGoLive"])
    correction = recorded(api.admin.operation_data("CorrectEntry", {"input": {
        "programmeId": "demo", "effective": "2024-03-01", "targetEntry": postponed["entry"]["id"],
        "replacement": {"postponeGoLive": {"actor": "south-trust", "wave": "w2", "window": Q4_2024}},
        "source": {"title": "Board minutes February 2024, corrected copy"}, "reason": "the minutes said Q4",
    }})["correctEntry"])
    assert correction["entry"] == {"id": correction["entry"]["id"], "type": "EntryCorrected",
                                   "corrects": postponed["entry"]["id"]}
    assert correction["position"] == postponed["position"] + 1

    # The recording times as the audit trail reports them.
    page = api.reader.operation_data("AuditTrailPage", {
        "programmeId": "demo", "types": ["GoLivePostponed", "EntryCorrected"], "first": 50})
    nodes = {edge["node"]["id"]: edge["node"] for edge in page["events"]["edges"]}
    original, corrected = nodes[postponed["entry"]["id"]], nodes[correction["entry"]["id"]]
    assert original["correctedBy"] == [corrected["id"]]
    assert corrected["corrects"] == original["id"]
    scenario = CorrectedPostponement(
        original["id"], corrected["id"], timestamp(original["recordedAt"]), timestamp(corrected["recordedAt"]))
    assert scenario.original_recorded_at < scenario.correction_recorded_at
    assert scenario.original_recorded_at <= scenario.between < scenario.correction_recorded_at
    return scenario


def _plan_as_recorded(api: Served, as_of: str, recorded_as_of: datetime) -> Json:
    return _programme(api.reader.operation_data("PlanAsRecorded", {
        "programmeId": "demo", "asOf": as_of, "recordedAsOf": recorded_as_of.isoformat()}))


@covers("PlanAsRecorded", "CorrectEntry", "AuditTrailPage")
def test_plan_as_recorded_shows_the_original_window_until_the_correction_is_recorded(api: Served) -> None:
    scenario = postpone_then_correct(api)

    windows = {
        moment: _actor(_plan_as_recorded(api, "2024-06-01", at), "south-trust")["plannedGoLive"]
        for moment, at in (("before", scenario.before), ("between", scenario.between), ("after", scenario.after))
    }
    assert windows["before"]["label"] == "2024-Q1"  # the sample's own corrected postponement
    assert windows["between"] == {"earliest": "2024-07-01", "latest": "2024-09-30", "precision": "quarter",
                                  "label": "2024-Q3"}
    assert windows["after"] == {"earliest": "2024-10-01", "latest": "2024-12-31", "precision": "quarter",
                                "label": "2024-Q4"}


@covers("PlanAsRecorded", "CorrectEntry")
def test_plan_as_recorded_answers_what_the_projections_say_around_a_correction(api: Served) -> None:
    scenario = postpone_then_correct(api)
    model = reference_model(api.url)
    for as_of in ("2022-06-01", "2023-03-01", "2024-06-01"):
        for moment in (scenario.before, scenario.between, scenario.after, timestamp(FAR_FUTURE)):
            plan = model.plan("demo", date.fromisoformat(as_of), moment)
            assert plan is not None
            assert _plan_as_recorded(api, as_of, moment) == plan_as_recorded_json(plan), (as_of, moment)


@covers("PlanAsRecorded")
def test_plan_as_recorded_before_the_programme_was_recorded_is_null(api: Served, ledger: LedgerApplication) -> None:
    first = ledger.read(0, 1)[0]
    answer = api.reader.operation_data("PlanAsRecorded", {
        "programmeId": "demo", "asOf": "2024-06-01",
        "recordedAsOf": (first.recorded_at - timedelta(seconds=1)).isoformat()})
    assert answer["programme"] is None


# -- MilestoneTrend ------------------------------------------------------------------------


def _trend_json(trend: MilestoneTrend) -> Json:
    """What MilestoneTrend must answer for this projection result."""
    return {
        "programmeId": trend.programme, "recordedAsOf": trend.recorded_as_of.isoformat(),
        "reportDate": trend.report_date.upper(),
        "series": [
            {"kind": s.kind, "id": s.subject, "name": s.name, "actual": s.actual and s.actual.isoformat(),
             "points": [{"reported": p.reported.isoformat(), "planned": window_json(p.planned),
                         "entryId": p.entry_id, "type": p.type, "source": p.source, "recordedBy": p.recorded_by}
                        for p in s.points]}
            for s in trend.series
        ],
    }


@covers("MilestoneTrend")
def test_milestone_trend_answers_what_the_projections_say(api: Served) -> None:
    variables = {"programmeId": "demo", "actorIds": ["south-trust", "north-trust"], "waveIds": ["w2"],
                 "recordedAsOf": FAR_FUTURE}
    answer = api.reader.operation_data("MilestoneTrend", variables)["milestoneTrend"]
    expected = reference_model(api.url)
    trend = milestone_trend(expected.log, expected.audit, "demo", ["south-trust", "north-trust"], ["w2"],
                            timestamp(FAR_FUTURE))
    assert answer == _trend_json(trend)
    south = answer["series"][0]
    # South Trust: W2's autumn 2022, then the postponement as corrected (2024-Q1, not 2023-Q4).
    assert [p["planned"]["label"] for p in south["points"]][-1] == "2024-Q1"
    assert answer["series"][1]["actual"] == "2022-11-12"
    recorded = api.reader.operation_data("MilestoneTrend", {**variables, "reportDate": "RECORDED"})["milestoneTrend"]
    as_recorded = milestone_trend(expected.log, expected.audit, "demo", ["south-trust", "north-trust"], ["w2"],
                                  timestamp(FAR_FUTURE), "recorded")
    assert recorded == _trend_json(as_recorded)
    assert {p["reported"] for s in recorded["series"] for p in s["points"]} == {
        e.recorded_at.date().isoformat() for e in expected.log}


@covers("MilestoneTrend", "CorrectEntry")
def test_milestone_trend_as_recorded_before_and_after_a_correction(api: Served) -> None:
    scenario = postpone_then_correct(api)
    model = reference_model(api.url)

    def last_report(moment: datetime) -> Json:
        answer = api.reader.operation_data("MilestoneTrend", {
            "programmeId": "demo", "actorIds": ["south-trust"], "recordedAsOf": moment.isoformat()})
        trend = milestone_trend(model.log, model.audit, "demo", ["south-trust"], [], moment)
        assert answer["milestoneTrend"] == _trend_json(trend)
        point: Json = answer["milestoneTrend"]["series"][0]["points"][-1]
        return point

    before, between, after = (last_report(m) for m in (scenario.before, scenario.between, scenario.after))
    assert before["planned"]["label"] == "2024-Q1"  # the sample's own corrected postponement
    assert (between["planned"]["label"], between["entryId"]) == ("2024-Q3", scenario.original_id)
    # After the correction the report stays on the original's date, with the corrected window.
    assert (after["planned"]["label"], after["entryId"], after["reported"]) == (
        "2024-Q4", scenario.correction_id, "2024-02-01")


@covers("MilestoneTrend", "CorrectEntry")
def test_milestone_trend_by_recording_day_keeps_the_corrected_statement_and_adds_the_correction(
    api: Served,
) -> None:
    scenario = postpone_then_correct(api)
    answer = api.reader.operation_data("MilestoneTrend", {
        "programmeId": "demo", "actorIds": ["south-trust"], "reportDate": "RECORDED",
        "recordedAsOf": scenario.after.isoformat()})["milestoneTrend"]
    points = answer["series"][0]["points"]
    assert [(p["entryId"], p["planned"]["label"]) for p in points][-2:] == [
        (scenario.original_id, "2024-Q3"), (scenario.correction_id, "2024-Q4")]
    assert points[-1]["reported"] == scenario.correction_recorded_at.date().isoformat()
    by_effective = api.reader.operation_data("MilestoneTrend", {
        "programmeId": "demo", "actorIds": ["south-trust"], "recordedAsOf": scenario.after.isoformat()})
    ids = [p["entryId"] for p in by_effective["milestoneTrend"]["series"][0]["points"]]
    assert scenario.original_id not in ids  # believed now: the correction stands in for it
    assert ids[-1] == scenario.correction_id


@covers("MilestoneTrend")
@pytest.mark.parametrize(("variables", "code", "words"), [
    ({"programmeId": "demo", "actorIds": ["nobody"]}, "NOT_FOUND", "no actor 'nobody'"),
    ({"programmeId": "demo", "waveIds": ["w9"]}, "NOT_FOUND", "no wave 'w9'"),
    ({"programmeId": "demo"}, "INVALID_INPUT", "choose at least one actor or wave"),
    ({"programmeId": "nowhere", "actorIds": ["harbour"]}, "NOT_FOUND", "nowhere"),
])
def test_milestone_trend_names_what_was_wrong(
    api: Served, ledger: LedgerApplication, variables: Json, code: str, words: str,
) -> None:
    before = ledger.last_position()
    errors = api.reader.operation("MilestoneTrend", variables)["errors"]
    assert errors[0]["extensions"]["code"] == code
    assert words in errors[0]["message"]
    assert ledger.last_position() == before


# -- ActorHistory --------------------------------------------------------------------------


def _history(api: Served, actor: str, recorded_as_of: str | None) -> Json:
    variables: Json = {"programmeId": "demo", "actorId": actor}
    if recorded_as_of is not None:
        variables["recordedAsOf"] = recorded_as_of
    found: Json = _programme(api.reader.operation_data("ActorHistory", variables))["actor"]
    return found


@covers("ActorHistory")
@pytest.mark.parametrize("actor", ["demo-rhf", "harbour", "north-trust", "south-trust"])
def test_actor_history_answers_what_the_projections_say(api: Served, actor: str) -> None:
    model = reference_model(api.url)
    found = _history(api, actor, FAR_FUTURE)
    plan = model.plan("demo", date.max, timestamp(FAR_FUTURE))
    assert plan is not None
    name = plan.actor(actor).name  # type: ignore[union-attr]
    assert found == {"id": actor, "name": name,
                     "history": history_json(model.actor_history("demo", actor, timestamp(FAR_FUTURE)))}


@covers("ActorHistory")
def test_actor_history_keeps_the_corrected_postponement_marked(api: Served) -> None:
    history = _history(api, "south-trust", None)["history"]
    ids = {row["entry"]["type"]: row["entry"]["id"] for row in history}
    postponed, correction = (next(row for row in history if row["entry"]["type"] == kind)
                             for kind in ("GoLivePostponed", "EntryCorrected"))
    assert postponed["entry"]["source"] == {"title": "Board minutes October 2022", "publishedOn": None}
    assert postponed["note"] == f"corrected by {ids['EntryCorrected']}"
    assert correction["note"] == f"corrects {ids['GoLivePostponed']}"
    assert (correction["status"], correction["planned"]["label"]) == ("postponed", "2024-Q1")


@covers("ActorHistory", "CorrectEntry")
def test_actor_history_as_recorded_between_an_entry_and_its_correction(api: Served) -> None:
    scenario = postpone_then_correct(api)
    model = reference_model(api.url)
    for moment in (scenario.before, scenario.between, scenario.after):
        found = _history(api, "south-trust", moment.isoformat())
        assert found["history"] == history_json(model.actor_history("demo", "south-trust", moment)), moment
    between = _history(api, "south-trust", scenario.between.isoformat())["history"]
    assert between[-1]["entry"]["id"] == scenario.original_id
    assert between[-1]["planned"]["label"] == "2024-Q3"
    after = _history(api, "south-trust", scenario.after.isoformat())["history"]
    assert [row["entry"]["id"] for row in after][-2:] == [scenario.original_id, scenario.correction_id]


@covers("ActorHistory")
def test_actor_history_of_an_unknown_actor_is_null(api: Served) -> None:
    assert _history(api, "nobody", None) is None


# -- AuditTrailPage ------------------------------------------------------------------------


def _all_pages(api: Served, variables: Json, page_size: int) -> tuple[list[Json], int]:
    """Every node, following `after` until hasNextPage is false; and how many pages it took."""
    nodes: list[Json] = []
    after = None
    for pages in range(1, 200):  # bounded: the sample needs a handful
        connection = api.reader.operation_data(
            "AuditTrailPage", {**variables, "first": page_size, "after": after})["events"]
        edges = connection["edges"]
        assert len(edges) <= page_size
        nodes.extend(edge["node"] for edge in edges)
        info = connection["pageInfo"]
        assert info["endCursor"] == (edges[-1]["cursor"] if edges else None)
        if not info["hasNextPage"]:
            return nodes, pages
        assert len(edges) == page_size
        after = info["endCursor"]
    raise AssertionError("hasNextPage never became false")


@covers("AuditTrailPage")
def test_audit_trail_pages_through_the_whole_log_until_has_next_page_is_false(api: Served) -> None:
    nodes, pages = _all_pages(api, {"programmeId": "demo"}, page_size=4)
    model = reference_model(api.url)
    expected = model.log_page(LogQuery(programme="demo", first=1000)).entries
    assert len(expected) == 22
    assert pages == 6  # 22 entries in pages of 4
    assert nodes == [audit_node_json(entry) for entry in expected]
    assert [node["position"] for node in nodes] == list(range(1, 23))


@covers("AuditTrailPage")
def test_audit_trail_marks_corrections_and_their_targets(api: Served) -> None:
    nodes, _ = _all_pages(api, {"programmeId": "demo"}, page_size=50)
    by_key = {node["key"]: node for node in nodes}
    assert by_key["demo-22"]["corrects"] == by_key["demo-18"]["id"]
    assert by_key["demo-18"]["correctedBy"] == [by_key["demo-22"]["id"]]
    assert by_key["demo-18"]["recordedBy"] == "seed"
    assert by_key["demo-1"]["source"] == {"title": "Programme charter", "publisher": "Demo RHF", "url": None,
                                          "publishedOn": "2020-01-01"}
    assert by_key["demo-8"]["decidingBody"] == "Demo board"


@covers("AuditTrailPage")
@pytest.mark.parametrize(("types", "actor"), [
    (["GoLiveRecorded", "GoLivePostponed"], None),
    (None, "north-trust"),
    (["ActorMovedToWave"], "north-trust"),
    (["NoSuchType"], None),
])
def test_audit_trail_filters_by_type_and_actor_like_the_projections(
    api: Served, types: list[str] | None, actor: str | None
) -> None:
    nodes, _ = _all_pages(api, {"programmeId": "demo", "types": types, "actorId": actor}, page_size=3)
    query = LogQuery(programme="demo", types=frozenset(types or ()), subject=actor, first=1000)
    assert nodes == [audit_node_json(entry) for entry in reference_model(api.url).log_page(query).entries]


@covers("AuditTrailPage")
def test_audit_trail_of_every_programme_includes_entries_recorded_through_the_api(api: Served) -> None:
    added = [recorded(assess_status(api.recorder, "demo", f"2024-01-0{day}"))["position"] for day in (1, 2, 3)]
    nodes, _ = _all_pages(api, {}, page_size=7)
    assert [node["position"] for node in nodes] == [*range(1, 23), *added]
    assert {node["recordedBy"] for node in nodes[22:]} == {"token:e2e-recorder"}
    assert all(node["operational"] is False for node in nodes)
    assert nodes == [audit_node_json(e) for e in reference_model(api.url).log_page(LogQuery(first=1000)).entries]


# -- OriginalPlanAgainstActuals ------------------------------------------------------------


def _comparison(api: Served, baseline: str, against: str) -> Json:
    comparison: Json = api.reader.operation_data(
        "OriginalPlanAgainstActuals", {"programmeId": "demo", "baseline": baseline, "against": against})["comparison"]
    return comparison


def _expected_comparison(model: InMemoryReadModel, baseline: str, against: str) -> Json:
    moment = datetime.now(UTC)
    day = date.fromisoformat(against)
    plan = model.plan("demo", day, moment)
    assert plan is not None
    return comparison_json(model.comparison("demo", baseline, day, moment), plan)


@covers("OriginalPlanAgainstActuals")
@pytest.mark.parametrize(("baseline", "against"), [
    ("original plan", "2022-12-01"),
    ("original plan", "2024-06-01"),
    ("2021-01-01", "2023-06-01"),
    ("2022-06-15", "2024-06-01"),
])
def test_comparison_answers_what_the_projections_say(api: Served, baseline: str, against: str) -> None:
    found = _comparison(api, baseline, against)
    assert found == _expected_comparison(reference_model(api.url), baseline, against)


@covers("OriginalPlanAgainstActuals")
def test_comparison_slips_as_read_by_hand(api: Served) -> None:
    found = _comparison(api, "original plan", "2024-06-01")
    rows = {row["actor"]["id"]: row for row in found["rows"]}
    assert (rows["harbour"]["actualGoLive"], rows["harbour"]["slipDaysEarliest"], rows["harbour"]["status"]) == (
        "2022-05-07", 7, "late")
    assert (rows["north-trust"]["slipDaysEarliest"], rows["north-trust"]["slipDaysLatest"]) == (196, 196)
    # Its window (2024-Q1, as corrected) has closed by 2024-06-01 with no go-live: overdue.
    assert (rows["south-trust"]["status"], rows["south-trust"]["actualGoLive"]) == ("overdue", None)
    assert rows["south-trust"]["daysOverdue"] == 62  # 2024-03-31 to 2024-06-01
    assert found["summary"] == {"early": 0, "onTime": 0, "late": 2, "notYetLive": 0, "overdue": 1, "withdrawn": 0,
                                "added": 0}
    assert found["baselineAsOf"] == "2021-01-01"


# -- CostsOnDate ---------------------------------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _costs_json(value: Any) -> Any:
    """A cost report view as CostsOnDate selects it: camelCase keys, enums as GraphQL names."""
    from ledger_server.render import jsonable

    def convert(item: Any) -> Any:
        if isinstance(item, dict):
            if set(item) == {"kind", "low", "high", "label"}:
                return {**item, "kind": item["kind"].upper()}
            return {_camel(k): convert(v) for k, v in item.items()}
        return [convert(v) for v in item] if isinstance(item, list) else item

    return convert(jsonable(value))


@covers("CostsOnDate")
@pytest.mark.parametrize("as_of", ["2021-12-31", "2023-12-31", "2025-01-01"])
def test_costs_answer_what_the_projections_say(api: Served, as_of: str) -> None:
    from tests.e2e.test_costs_graphql import _record_costs

    _record_costs(api)
    found = api.reader.operation_data("CostsOnDate", {"programmeId": "demo", "asOf": as_of})["costs"]
    report = reference_model(api.url).costs("demo", date.fromisoformat(as_of), datetime.now(UTC))
    expected = _costs_json(report)
    reserves = [{"id": r["id"], "name": r["name"], "total": r["total"], "allocated": r["allocated"],
                 "remaining": r["remaining"], "allocations": [{"id": a["id"], "amount": a["amount"]}
                                                              for a in r["allocations"]]}
                for r in expected["reserves"]]
    assert found == {"programmeId": "demo", "asOf": as_of, "lines": expected["lines"],
                     "estimates": expected["estimates"], "reserves": reserves}
    assert found["lines"], "the recorded costs are in force on every date asked"


# -- RecordGoLive --------------------------------------------------------------------------

SOUTH_GOES_LIVE = {
    "programmeId": "demo", "effective": "2024-03-01", "actors": ["south-trust"], "wave": "w2",
    "key": "south-live", "source": {"title": "Go-live report March 2024"},
}


@covers("RecordGoLive", "OriginalPlanAgainstActuals", "PlanOnDate")
def test_record_go_live_is_seen_by_the_plan_and_the_comparison(api: Served, ledger: LedgerApplication) -> None:
    before = ledger.last_position()
    result = recorded(api.recorder.operation_data("RecordGoLive", {"input": SOUTH_GOES_LIVE})["recordGoLive"])
    assert result["added"] is True
    assert result["position"] == before + 1 == ledger.last_position()
    assert result["entry"] == {"id": result["entry"]["id"], "type": "GoLiveRecorded", "effective": "2024-03-01",
                               "recordedBy": "token:e2e-recorder"}

    plan = _programme(api.reader.operation_data("PlanOnDate", {"programmeId": "demo", "asOf": "2024-03-02"}))
    south = _actor(plan, "south-trust")
    assert (south["status"], south["goLiveDate"]) == ("live", "2024-03-01")
    reference = reference_model(api.url).plan("demo", date(2024, 3, 2), datetime.now(UTC))
    assert reference is not None
    assert plan == plan_on_date_json(reference)

    found = _comparison(api, "original plan", "2024-06-01")
    south_row = next(row for row in found["rows"] if row["actor"]["id"] == "south-trust")
    assert south_row["actualGoLive"] == "2024-03-01"
    assert (south_row["slipDaysEarliest"], south_row["slipDaysLatest"], south_row["status"]) == (
        (date(2024, 3, 1) - date(2022, 9, 1)).days, (date(2024, 3, 1) - date(2022, 11, 30)).days, "late")
    assert found == _expected_comparison(reference_model(api.url), "original plan", "2024-06-01")


@covers("RecordGoLive")
def test_record_go_live_twice_with_the_same_key_is_a_no_op(api: Served, ledger: LedgerApplication) -> None:
    first = recorded(api.recorder.operation_data("RecordGoLive", {"input": SOUTH_GOES_LIVE})["recordGoLive"])
    again = recorded(api.recorder.operation_data("RecordGoLive", {"input": SOUTH_GOES_LIVE})["recordGoLive"])
    assert again["added"] is False
    assert (again["position"], again["entry"]["id"]) == (first["position"], first["entry"]["id"])
    assert ledger.last_position() == first["position"]


@covers("RecordGoLive")
def test_a_second_go_live_is_a_rule_violation_and_writes_nothing(api: Served, ledger: LedgerApplication) -> None:
    before = ledger.last_position()
    result = api.recorder.operation_data("RecordGoLive", {"input": {
        "programmeId": "demo", "effective": "2024-03-01", "actors": ["harbour"], "wave": "w1"}})["recordGoLive"]
    assert result["__typename"] == "RuleViolationProblem"
    assert result["code"] == "ALREADY_LIVE"
    assert "harbour" in result["message"]
    assert ledger.last_position() == before


@covers("RecordGoLive")
def test_the_same_key_with_other_content_is_a_key_conflict(api: Served, ledger: LedgerApplication) -> None:
    recorded(api.recorder.operation_data("RecordGoLive", {"input": SOUTH_GOES_LIVE})["recordGoLive"])
    before = ledger.last_position()
    result = api.recorder.operation_data(
        "RecordGoLive", {"input": {**SOUTH_GOES_LIVE, "effective": "2024-03-02"}})["recordGoLive"]
    assert (result["__typename"], result["code"]) == ("KeyConflictProblem", "KEY_CONFLICT")
    assert ledger.last_position() == before


# -- RecordDecision ------------------------------------------------------------------------

W3_WINDOW = {"earliest": "2024-10-01", "latest": "2024-11-30", "precision": "WINDOW", "label": "October/November 2024"}


def _decision(*changes: Json) -> Json:
    return {"input": {
        "programmeId": "demo", "effective": "2023-05-16", "title": "Revised plan", "decidingBody": "Demo board",
        "source": {"title": "Board decision May 2023"}, "changes": list(changes),
    }}


@covers("RecordDecision", "PlanOnDate")
def test_record_decision_makes_all_its_changes_at_once(api: Served, ledger: LedgerApplication) -> None:
    before = ledger.last_position()
    result = recorded(api.recorder.operation_data("RecordDecision", _decision(
        {"planWave": {"wave": "w3", "code": "W3", "name": "Third wave", "window": W3_WINDOW}},
        {"assignActorToWave": {"actor": "demo-rhf", "wave": "w3"}},
        {"changeReserve": {"reserve": "risk", "total": "700000000.50"}},
    ))["recordDecision"])
    assert result["position"] == before + 1 == ledger.last_position()  # one entry, however many changes
    entry = result["entry"]
    reference = reference_model(api.url)
    logged = reference.audit.get(entry["id"])
    assert logged is not None
    assert entry == {"id": logged.entry_id, "type": "DecisionRecorded", "effective": "2023-05-16",
                     "recordedAt": logged.recorded_at.isoformat(), "recordedBy": "token:e2e-recorder",
                     "summary": logged.summary}

    plan = _programme(api.reader.operation_data("PlanOnDate", {"programmeId": "demo", "asOf": "2024-01-01"}))
    rhf = _actor(plan, "demo-rhf")
    assert (rhf["status"], rhf["wave"]) == ("planned", {"id": "w3", "code": "W3"})
    assert rhf["plannedGoLive"] == {"earliest": "2024-10-01", "latest": "2024-11-30", "precision": "window",
                                    "label": "October/November 2024", "at": None}
    assert (plan["reserves"][0]["total"], plan["reserves"][0]["remaining"]) == ("700000000.50", "178000000.50")
    expected = reference.plan("demo", date(2024, 1, 1), datetime.now(UTC))
    assert expected is not None
    assert plan == plan_on_date_json(expected)


@covers("RecordDecision")
def test_a_decision_with_one_unknown_actor_writes_nothing(api: Served, ledger: LedgerApplication) -> None:
    before = ledger.last_position()
    result = api.recorder.operation_data("RecordDecision", _decision(
        {"planWave": {"wave": "w3", "code": "W3", "window": W3_WINDOW}},
        {"assignActorToWave": {"actor": "nobody", "wave": "w3"}},
    ))["recordDecision"]
    assert (result["__typename"], result["code"]) == ("NotFoundProblem", "NOT_FOUND")
    assert "nobody" in result["message"]
    assert ledger.last_position() == before
    plan = _programme(api.reader.operation_data("PlanOnDate", {"programmeId": "demo", "asOf": "2024-01-01"}))
    assert [wave["id"] for wave in plan["waves"]] == ["w1", "w2"]


@covers("RecordDecision")
def test_a_decision_change_must_name_exactly_one_kind_of_change(api: Served, ledger: LedgerApplication) -> None:
    before = ledger.last_position()
    answer = api.recorder.operation("RecordDecision", _decision(
        {"planWave": {"wave": "w3", "code": "W3", "window": W3_WINDOW},
         "assignActorToWave": {"actor": "demo-rhf", "wave": "w3"}},
    ))
    assert answer["data"] is None
    assert "ChangeInput" in answer["errors"][0]["message"]
    assert ledger.last_position() == before


# -- CorrectEntry --------------------------------------------------------------------------


@covers("CorrectEntry", "PlanOnDate")
def test_correct_entry_by_its_key_replaces_the_window_from_then_on(api: Served) -> None:
    result = recorded(api.admin.operation_data("CorrectEntry", {"input": {
        "programmeId": "demo", "effective": "2023-01-01", "targetKey": "demo-16",
        "replacement": {"rescheduleWave": {"wave": "w2", "window": {
            "earliest": "2022-11-19", "latest": "2022-11-19", "precision": "DAY", "label": "19 November 2022"}}},
        "reason": "the minutes named the wrong Saturday", "source": {"title": "Corrected minutes"},
    }})["correctEntry"])
    model = reference_model(api.url)
    target = next(e for e in model.audit.entries("demo") if e.key == "demo-16")
    assert result["entry"]["corrects"] == target.entry_id
    assert target.corrected_by == (result["entry"]["id"],)

    plan = _programme(api.reader.operation_data("PlanOnDate", {"programmeId": "demo", "asOf": "2022-10-01"}))
    w2 = next(w for w in plan["waves"] if w["id"] == "w2")
    assert w2["plannedGoLive"]["label"] == "19 November 2022"
    expected = model.plan("demo", date(2022, 10, 1), datetime.now(UTC))
    assert expected is not None
    assert plan == plan_on_date_json(expected)


@covers("CorrectEntry")
def test_a_correction_must_keep_the_target_type(api: Served, ledger: LedgerApplication) -> None:
    before = ledger.last_position()
    result = api.admin.operation_data("CorrectEntry", {"input": {
        "programmeId": "demo", "effective": "2023-01-01", "targetKey": "demo-16",
        "replacement": {"assessStatus": {"status": "fine", "risk": "low"}},
    }})["correctEntry"]
    assert result["__typename"] in ("InvalidInputProblem", "RuleViolationProblem")
    assert result["message"]
    assert ledger.last_position() == before


# -- FollowLiveEntries ---------------------------------------------------------------------


@covers("FollowLiveEntries", "RecordGoLive")
def test_follow_live_entries_delivers_the_go_live_recorded_after_subscribing(api: Served) -> None:
    with api.socket() as socket:
        assert socket.initialise({"Authorization": f"Bearer {api.tokens.reader}"}) == {"type": "connection_ack"}
        socket.subscribe("live", operation_text("FollowLiveEntries"), {"programmeId": "demo"},
                         operation_name="FollowLiveEntries")
        count = itertools.count(1)
        wait_until_live(socket, "live", lambda: recorded(
            assess_status(api.recorder, "demo", "2024-01-01", status=f"sentinel {next(count)}"))["position"])

        result = recorded(api.recorder.operation_data("RecordGoLive", {"input": SOUTH_GOES_LIVE})["recordGoLive"])
        event = socket.next_event("live")
    logged = reference_model(api.url).audit.get(result["entry"]["id"])
    assert logged is not None
    assert event == live_event_json(logged)
    assert event["position"] == result["position"]


# -- the operations folder and these tests stay in step ---------------------------------


def test_every_operation_in_the_operations_folder_has_a_test() -> None:
    untested = sorted(set(operation_names()) - COVERED)
    assert not untested, f"graphql/operations/ has operations without an end-to-end test: {untested}"
    assert set(operation_names()) >= COVERED, f"tests cover operations that no longer exist: {COVERED}"


# -- the verifiable log: digests and proofs, checked by the standalone verifier -----------


def _standalone_check(tmp_path: Path, proof: Json, *digests: Json) -> str:
    """What scripts/verify_proof.py (run isolated, standard library only) says of a proof."""
    files = []
    for name, document in [("proof", proof), *((f"digest{i}", d) for i, d in enumerate(digests))]:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        files.append(str(path))
    done = subprocess.run([sys.executable, "-I", str(VERIFIER), *files], capture_output=True, text=True, check=False)
    return done.stdout


def _snake(document: Json) -> Json:
    return {re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower(): value for key, value in document.items()}


@covers("LedgerDigest", "EntryProof")
def test_an_auditor_saves_a_digest_and_checks_an_entry_and_a_later_log_against_it(
    api: Served, tmp_path: Path,
) -> None:
    saved = api.reader.operation_data("LedgerDigest")["ledgerDigest"]
    assert saved["treeSize"] == saved["lastPosition"] == 22
    assert saved["hashing"].startswith("SHA-256, RFC 9162")
    recorded(assess_status(api.recorder, "demo", "2024-01-01", status="after the digest"))
    answer = api.reader.operation_data("EntryProof", {"id": "demo:3", "treeSize": saved["treeSize"]})
    proof = answer["event"]["proof"]
    assert (proof["entryId"], proof["position"], proof["leafIndex"], proof["treeSize"]) == ("demo:3", 3, 2, 22)
    assert proof["rootHash"] == saved["rootHash"]
    digest = {**_snake(saved), "taken_at": saved["takenAt"]}
    inclusion = {"kind": "inclusion", **_snake(proof)}
    assert _standalone_check(tmp_path, inclusion, digest) == "ok: entry at position 3 is leaf 2 of the digest's tree\n"
    later = {**_snake(answer["ledgerDigest"]), "taken_at": answer["ledgerDigest"]["takenAt"]}
    assert later["tree_size"] == 23
    consistency = {"kind": "consistency", **_snake(answer["consistencyProof"])}
    assert _standalone_check(tmp_path, consistency, digest, later) == (
        "ok: the log of 23 entries extends the digest of 22\n"
    )
    changed = {**inclusion, "audit_path": [bytes(32).hex(), *inclusion["audit_path"][1:]]}
    assert _standalone_check(tmp_path, changed, digest).startswith("REFUSED")


def test_proofs_for_trees_the_log_does_not_have_are_coded_errors(api: Served) -> None:
    answer = api.reader.operation("EntryProof", {"id": "demo:5", "treeSize": 2})
    assert answer["errors"][0]["message"] == (
        "treeSize: the entry at position 5 is leaf 5; a tree of 2 entries does not hold it"
    )
    assert answer["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    beyond = api.reader.operation("LedgerDigest", {"treeSize": 99})
    assert beyond["errors"][0]["message"] == "treeSize: the log holds 22 entries; there is no tree of 99"
    assert api.anonymous.operation("LedgerDigest")["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert api.reader.operation_data("LedgerDigest")["ledgerDigest"]["treeSize"] == 22  # nothing was written
