"""A representative subset of the Helseplattformen questions, asked through the GraphQL API with the
named operations of graphql/operations/, on the imported SQLite and PostgreSQL stores alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from ledger.settings import StoreLocation
from ledger_server.app import create_app
from ledger_server.settings import ApiSettings
from tests.acceptance.conftest import ImportedLedger
from tests.acceptance.helseplattformen_answers import (
    ALESUND_DAYS_OVERDUE,
    COMPARED_ON,
    COMPARISON_ACTORS,
    COMPARISON_SUMMARY,
    COMPARISON_WAVES,
    COMPLETED_ON,
    DELIVERABLES_COMPLETE,
    ENTRIES,
    ENTRY_COUNTS,
    HISTORY,
    HOSTEN_2022,
    LIVE_MUNICIPALITIES_MAY_2023,
    MORE_NINE,
    NOV_23,
    ORIGINAL_PLAN,
    ORIGINAL_PLAN_AS_OF,
    OVERDUE_ACTORS,
    OVERDUE_ON,
    OVERDUE_WAVES,
    PD1_DAY,
    PD1_ORIGINAL,
    PD2_MUNICIPALITIES,
    PD3_MUNICIPALITIES,
    PD4_DAY,
    PLAN_CHANGES,
    PROGRAMME,
    REVISED_PLAN,
    REVISED_PLAN_AS_OF,
    SIDE_BY_SIDE_ACTORS,
    SIDE_BY_SIDE_ON,
    SIDE_BY_SIDE_WAVES,
    TRONDHEIM_UNITS,
    VAREN_2023,
    Shape,
    collapsed,
    json_shape,
    plan_change_id,
)

OPERATIONS = Path(__file__).parent.parent.parent / "graphql" / "operations"
Run = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def graphql(hp: ImportedLedger) -> Iterator[Run]:
    """Run a named operation against the server on the imported store; returns `data`."""
    settings = ApiSettings(store=StoreLocation(hp.url), public_reads=True)
    with TestClient(create_app(settings)) as client:

        def run(operation: str, **variables: Any) -> dict[str, Any]:
            query = (OPERATIONS / f"{operation}.graphql").read_text(encoding="utf-8")
            response = client.post(
                "/graphql", json={"query": query, "operationName": operation, "variables": variables})
            assert response.status_code == 200, response.text
            body = response.json()
            assert "errors" not in body, body["errors"]
            data: dict[str, Any] = body["data"]
            return data

        yield run


def plan_on(graphql: Run, as_of: str) -> dict[str, Any]:
    programme: dict[str, Any] = graphql("PlanOnDate", programmeId=PROGRAMME, asOf=as_of)["programme"]
    return programme


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def bounds(window: dict[str, Any] | None) -> tuple[str | None, str | None] | None:
    return None if window is None else (window["earliest"], window["latest"])


def without_precision(window: Shape | None) -> tuple[str | None, str | None] | None:
    return None if window is None else window[:2]


def test_q01_q02_programme_record_and_status(graphql: Run) -> None:
    """Q1 "Who owns the programme ..." / Q2 "What is the status and risk as of 2023-05-01?" Source: 001 l.10-48."""
    programme = plan_on(graphql, "2023-05-01")
    assert (programme["name"], programme["owner"], programme["status"], programme["risk"]) == (
        "Helseplattformen", "Helse Midt-Norge RHF", "Noen utfordringer", "Middels")
    before = plan_on(graphql, "2023-04-30")
    assert (before["status"], before["risk"]) == (None, None)


def test_q03_programme_unknown_before_its_start(graphql: Run) -> None:
    """Q3 "Is the programme known before its start?" Source: 004 (procurement page) l.9, "høsten 2015"."""
    assert plan_on(graphql, "2015-07-31") is None
    assert plan_on(graphql, "2015-08-01")["id"] == PROGRAMME


def test_q11_to_q14_the_original_plan(graphql: Run) -> None:
    """Q12-Q14 "PD1 ... PD5 in the original plan" (and Q11 "Which baseline exists?") Source: 003 l.11; 001 l.90-128."""
    programme = plan_on(graphql, ORIGINAL_PLAN_AS_OF)
    assert programme["baselines"] == [{"name": ORIGINAL_PLAN, "asOf": ORIGINAL_PLAN_AS_OF, "adoptedOn": None}]
    assert programme["currentBaseline"] is None
    waves = {w["id"]: (w["code"], json_shape(w["plannedGoLive"]), {a["id"] for a in w["actors"]})
             for w in programme["waves"]}
    assert waves == {
        "pd1": ("PD1", PD1_DAY, set(PD1_ORIGINAL)),
        "pd2": ("PD2", HOSTEN_2022, set(PD2_MUNICIPALITIES)),
        "pd3": ("PD3", VAREN_2023, {"helse-nord-trondelag", *PD3_MUNICIPALITIES}),
        "pd4": ("PD4", PD4_DAY, {"alesund"}),
        "pd5": ("PD5", NOV_23, {"helse-more-og-romsdal", *MORE_NINE}),
    }


@pytest.mark.parametrize(
    ("question", "actor", "as_of", "wave", "status", "window"), PLAN_CHANGES, ids=map(plan_change_id, PLAN_CHANGES)
)
def test_q16_q17_q18_q20_planned_window_before_and_after_each_change(
    graphql: Run, question: str, actor: str, as_of: str, wave: str | None, status: str, window: Shape
) -> None:
    """Q16/Q17/Q18/Q20 "<actor> before and after its postponement / the revised plan" Source: 001 l.96-136; 000."""
    found = by_id(plan_on(graphql, as_of)["actors"])[actor]
    found_wave = None if found["wave"] is None else found["wave"]["id"]
    assert (found_wave, found["status"], json_shape(found["plannedGoLive"])) == (wave, status, window), question


@pytest.mark.parametrize(
    ("as_of", "live"),
    [
        ("2022-05-06", {}),  # Q22
        ("2022-05-07", dict.fromkeys(TRONDHEIM_UNITS, "2022-05-07")),  # Q22
        ("2022-11-12", {**dict.fromkeys(TRONDHEIM_UNITS, "2022-05-07"),
                        **dict.fromkeys(("st-olavs-hospital", *PD2_MUNICIPALITIES), "2022-11-12")}),  # Q23
    ],
    ids=["Q22 2022-05-06", "Q22 2022-05-07", "Q23 2022-11-12"],
)
def test_q22_q23_who_is_live_on_a_date(graphql: Run, as_of: str, live: dict[str, str]) -> None:
    """Q22 "PD1 go-live." / Q23 "PD2 go-live." Source: 001 (status page) l.90-104."""
    actors = plan_on(graphql, as_of)["actors"]
    assert {a["id"]: a["goLiveDate"] for a in actors if a["status"] == "live"} == live


def test_q24_pd3_go_live(graphql: Run) -> None:
    """Q24 "PD3 go-live." Source: 001 (status page) l.106-112."""
    pd3 = by_id(plan_on(graphql, "2023-02-11")["waves"])["pd3"]
    assert (pd3["status"], {a["id"] for a in pd3["actors"]}) == ("live", set(PD3_MUNICIPALITIES))


def test_q25_municipalities_live_in_may_2023(graphql: Run) -> None:
    """Q25 "How many municipalities are live in May 2023?" Source: 000 l.19; 001 (status page) l.42, 114-118."""
    actors = plan_on(graphql, "2023-05-16")["actors"]
    live = [a for a in actors if a["status"] == "live"]
    assert {a["id"] for a in live if a["kind"] == "municipality"} == LIVE_MUNICIPALITIES_MAY_2023
    assert Counter(a["kind"] for a in live) == {"health_trust": 1, "municipality": 9, "gp_office": 1,
                                                "emergency_clinic": 1}
    alesund = by_id(actors)["alesund"]
    assert (alesund["status"], alesund["daysOverdue"], alesund["goLiveDate"], alesund["wave"]["id"]) == (
        "overdue", ALESUND_DAYS_OVERDUE["2023-05-16"], None, "pd4")


@pytest.mark.parametrize(("as_of", "complete"), DELIVERABLES_COMPLETE, ids=[f"{d} is {n}" for d, n in
                                                                            DELIVERABLES_COMPLETE])
def test_q27_deliverables_complete_over_time(graphql: Run, as_of: str, complete: int) -> None:
    """Q27 "Complete count over time" ("ferdig med 9 av 12"). Source: 001 (status page) l.52-136."""
    assert plan_on(graphql, as_of)["deliverablesCompleted"] == complete


def test_q27_q28_nine_of_twelve_and_their_completion_dates(graphql: Run) -> None:
    """Q28 "Completion dates" (9 of 12 complete on 2023-05-01, Q27). Source: 001 (status page) l.52-136."""
    programme = plan_on(graphql, "2023-05-01")
    assert (programme["deliverablesCompleted"], len(programme["deliverables"])) == (9, 12)
    assert {d["id"]: d["completedOn"] for d in programme["deliverables"]} == COMPLETED_ON


@pytest.mark.parametrize(
    ("as_of", "reserves"),
    [
        ("2023-01-31", []),  # Q30
        ("2023-02-01", [("600000000", "380000000", "220000000", [("hnt-hmr-innforing", "380000000", "0",
                                                                   "2023-02-01")])]),  # Q31
        ("2023-05-15", [("600000000", "380000000", "220000000", [("hnt-hmr-innforing", "380000000", "0",
                                                                   "2023-02-01")])]),  # Q31
        ("2023-05-16", [("600000000", "522000000", "78000000", [("hnt-hmr-innforing", "522000000", "0",
                                                                  "2023-02-01")])]),  # Q32
    ],
    ids=["Q30 2023-01-31", "Q31 2023-02-01", "Q31 2023-05-15", "Q32 2023-05-16"],
)
def test_q30_q31_q32_reserve_before_and_after_each_change(
    graphql: Run, as_of: str, reserves: list[tuple[Any, ...]]
) -> None:
    """Q30-Q32 "Reserve before February 2023 / after the February allocation / after the revision" Source: 000 l.21."""
    found = [
        (r["total"], r["allocated"], r["remaining"],
         [(a["id"], a["amount"], a["released"], a["madeOn"]) for a in r["allocations"]])
        for r in plan_on(graphql, as_of)["reserves"]
    ]
    assert found == reserves


def test_q33_to_q38_original_plan_against_actuals(graphql: Run) -> None:
    """Q33-Q38 "baseline `original plan` against as-of 2023-06-01" (slip per actor and wave). Source: 003; 001; 000."""
    comparison = graphql("OriginalPlanAgainstActuals", programmeId=PROGRAMME, baseline=ORIGINAL_PLAN,
                         against=COMPARED_ON)["comparison"]
    assert (comparison["baseline"], comparison["baselineAsOf"], comparison["against"]) == (
        ORIGINAL_PLAN, ORIGINAL_PLAN_AS_OF, COMPARED_ON)
    rows = {r["actor"]["id"]: (bounds(r["baseline"]), r["actualGoLive"], r["slipDaysEarliest"],
                               r["slipDaysLatest"], r["status"]) for r in comparison["rows"]}
    expected = {actor: (without_precision(baseline), *rest) for actor, (baseline, *rest) in COMPARISON_ACTORS.items()}
    assert {a: rows.get(a) for a in expected} == expected
    waves = {r["wave"]["id"]: (r["actualGoLive"], r["slipDaysEarliest"], r["slipDaysLatest"], r["status"])
             for r in comparison["waveRows"]}
    assert waves == COMPARISON_WAVES
    summary = comparison["summary"]
    assert (summary["added"], summary["late"], summary["notYetLive"], summary["onTime"]) == (
        COMPARISON_SUMMARY["added"], COMPARISON_SUMMARY["late"], COMPARISON_SUMMARY["not yet live"],
        COMPARISON_SUMMARY["on time"])
    assert (summary["early"], summary["withdrawn"], summary["overdue"]) == (0, 0, COMPARISON_SUMMARY["overdue"])
    assert {r["actor"]["id"]: r["daysOverdue"] for r in comparison["rows"] if r["daysOverdue"]} == {
        "alesund": ALESUND_DAYS_OVERDUE[COMPARED_ON]}
    assert comparison["currentBaseline"] == REVISED_PLAN  # adopted on 2023-05-16 (Q11)


def test_q43_overdue_waves_and_actors_on_2026_12_01(graphql: Run) -> None:
    """Q43 "What is overdue on 2026-12-01?" (PlanOnDate). Source: 001 l.90-136; 000 l.4-8, 19."""
    programme = plan_on(graphql, OVERDUE_ON)
    assert {w["id"]: w["daysOverdue"] for w in programme["waves"] if w["status"] == "overdue"} == OVERDUE_WAVES
    assert {a["id"]: a["daysOverdue"] for a in programme["actors"] if a["status"] == "overdue"} == OVERDUE_ACTORS
    assert programme["currentBaseline"] == {"name": REVISED_PLAN, "asOf": REVISED_PLAN_AS_OF,
                                            "adoptedOn": REVISED_PLAN_AS_OF}


def test_q44_slip_against_the_original_and_the_current_baseline(graphql: Run) -> None:
    """Q44 "Slip against the original and the current baseline side by side" Source: 000 l.4-8, 19; 001; 003."""
    comparison = graphql("OriginalPlanAgainstActuals", programmeId=PROGRAMME, baseline=ORIGINAL_PLAN,
                         against=SIDE_BY_SIDE_ON)["comparison"]
    assert (comparison["currentBaseline"], comparison["currentBaselineAsOf"]) == (REVISED_PLAN, REVISED_PLAN_AS_OF)

    def side_by_side(row: dict[str, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        current = row["againstCurrent"]
        return ((row["slipDaysEarliest"], row["slipDaysLatest"], row["status"]),
                (current["slipDaysEarliest"], current["slipDaysLatest"], current["status"]))

    actors = {r["actor"]["id"]: side_by_side(r) for r in comparison["rows"]}
    assert {a: actors[a] for a in SIDE_BY_SIDE_ACTORS} == SIDE_BY_SIDE_ACTORS
    waves = {r["wave"]["id"]: side_by_side(r) for r in comparison["waveRows"]}
    assert {w: waves[w] for w in SIDE_BY_SIDE_WAVES} == SIDE_BY_SIDE_WAVES


@pytest.mark.parametrize("actor", sorted(HISTORY))
def test_history_of_the_two_later_trusts(graphql: Run, hp: ImportedLedger, actor: str) -> None:
    """Q17/Q18/Q20 "every revision of <actor>'s planned go-live" (ActorHistory). Source: 001 l.112-136; 000 l.4-8."""
    found = graphql("ActorHistory", programmeId=PROGRAMME, actorId=actor)["programme"]["actor"]
    history = found["history"]
    assert [r["effective"] for r in history] == sorted(r["effective"] for r in history)
    assert collapsed([json_shape(r["planned"]) for r in history]) == [w for *_, w in HISTORY[actor]]
    by_entry = {r["entry"]["id"]: r for r in history}
    entry_ids = {e.key: e.entry_id for e in hp.model.audit.entries(PROGRAMME)}
    for key, effective, wave, status, window in HISTORY[actor]:
        row = by_entry[entry_ids[key]]
        assert (row["effective"], row["wave"], row["status"], json_shape(row["planned"])) == (
            effective, wave, status, window), key
        assert row["entry"]["source"]["title"]
        assert row["entry"]["recordedBy"] == "acceptance"


def test_q42_the_audit_trail_pages_through_every_entry(graphql: Run, hp: ImportedLedger) -> None:
    """Q42 "Importing the file into an empty ledger adds 156 entries" (AuditTrailPage). Source: the dataset."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = graphql("AuditTrailPage", programmeId=PROGRAMME, first=50, after=after)["events"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(nodes) == ENTRIES
    assert Counter(n["type"] for n in nodes) == ENTRY_COUNTS
    assert [(n["key"], n["source"]["title"]) for n in nodes] == [
        (line["key"], line["source"]["title"]) for line in hp.lines]
    assert {n["recordedBy"] for n in nodes} == {"acceptance"}
    assert not any(n["operational"] for n in nodes)


def test_q15_q20_decisions_in_the_audit_trail(graphql: Run) -> None:
    """Q15 "What did the board decide on 2022-02-28?" / Q20 "The revised plan of 2023-05-16." Source: 003; 000."""
    decisions = graphql("AuditTrailPage", programmeId=PROGRAMME, first=50, types=["DecisionRecorded"])["events"]
    nodes = [edge["node"] for edge in decisions["edges"]]
    assert len(nodes) == ENTRY_COUNTS["DecisionRecorded"]
    board = [n for n in nodes if n["effective"] == "2022-02-28"]
    assert [n["decidingBody"] for n in board] == ["Styret i Helseplattformen"] * 2
    assert sorted(c["kind"] for n in board for c in n["data"]["changes"]) == ["agreement", "plan"]
    namsos = graphql("AuditTrailPage", programmeId=PROGRAMME, first=50, types=["DecisionRecorded"],
                     actorId="sykehuset-namsos")["events"]["edges"]
    assert [(e["node"]["effective"], e["node"]["decidingBody"], [c["type"] for c in e["node"]["data"]["changes"]])
            for e in namsos] == [("2023-05-16", "Styret for Helse Midt-Norge RHF", ["GoLivePostponed"] * 4)]
