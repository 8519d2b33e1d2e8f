"""The 42 questions of helseplattformen_expectations.md, asked of the projections over the bundled
dataset, on SQLite and on PostgreSQL. Documents: 000 (HMN news 16.05.2023), 001 (portfolio status
page, "pr 1. mai" 2023), 002 (user committees' statement 31.10.2023), 003 (Helseplattformen news
01.03.2022), 004 (procurement / municipalities page)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from projections.audit import LogEntry
from projections.compare import Comparison, ComparisonRow
from projections.plan import ActorView, DeliverableView, ProgrammePlan, WaveView
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
    ETTER_SOMMEREN_2022,
    GO_LIVE_DELIVERABLE_WINDOWS,
    HOSTEN_2022,
    JOINED_ON_2017_09_30,
    LIVE_MUNICIPALITIES_MAY_2023,
    MORE_NINE,
    MUNICIPALITIES,
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
    PD6_DAY,
    PD6_MUNICIPALITIES,
    PHASES,
    PLAN_CHANGES,
    PROGRAMME,
    REVISED_PLAN,
    REVISED_PLAN_AS_OF,
    REVISED_PLAN_BODY,
    SERVICE_AGREEMENT_18,
    SIDE_BY_SIDE_ACTORS,
    SIDE_BY_SIDE_ON,
    SIDE_BY_SIDE_WAVES,
    STARTEN_AV_2019,
    TRONDHEIM_UNITS,
    VAREN_2023,
    Shape,
    plan_change_id,
    shape,
)

END_OF_TIME = date.max

# -- helpers -----------------------------------------------------------------------------


def plan_on(hp: ImportedLedger, day: str | date) -> ProgrammePlan:
    as_of = day if isinstance(day, date) else date.fromisoformat(day)
    return hp.model.require_plan(PROGRAMME, as_of, hp.now)


def actor_on(hp: ImportedLedger, day: str, actor: str) -> ActorView:
    view = plan_on(hp, day).actor(actor)
    assert view is not None, f"{actor} is not known on {day}"
    return view


def wave_on(hp: ImportedLedger, day: str, wave: str) -> WaveView:
    view = plan_on(hp, day).wave(wave)
    assert view is not None, f"{wave} is not known on {day}"
    return view


def deliverables_on(hp: ImportedLedger, day: str) -> dict[str, DeliverableView]:
    return {d.id: d for d in plan_on(hp, day).deliverables}


def live_on(hp: ImportedLedger, day: str) -> dict[str, ActorView]:
    return {a.id: a for a in plan_on(hp, day).actors if a.status == "live"}


def log_entries(hp: ImportedLedger, entry_type: str | None = None) -> list[LogEntry]:
    return [e for e in hp.model.audit.entries(PROGRAMME) if entry_type is None or e.type == entry_type]


def window_of(view: ActorView | WaveView) -> tuple[Shape | None, str | None]:
    return shape(view.planned), None if view.planned is None else view.planned.label


def original_plan_against_actuals(hp: ImportedLedger) -> Comparison:
    return hp.model.comparison(PROGRAMME, ORIGINAL_PLAN, date.fromisoformat(COMPARED_ON), hp.now)


def iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


# -- A. Programme record and status --------------------------------------------------------


def test_q01_owner_and_contact(hp: ImportedLedger) -> None:
    """Q1 "Who owns the programme and who is the contact?" Source: 001 (status page) l.14-32."""
    plan = plan_on(hp, "2024-01-01")
    assert (plan.name, plan.owner, plan.contact, plan.segment, plan.strategic_goal) == (
        "Helseplattformen", "Helse Midt-Norge RHF", "Trond Utne", "Koordinere",
        "4 - Tilgjengelig informasjon og styrket samhandling",
    )


def test_q02_status_and_risk_as_of_2023_05_01(hp: ImportedLedger) -> None:
    """Q2 "What is the status and risk as of 2023-05-01?" Source: 001 (status page) l.10-12, 22-24, 38-48."""
    assessment = plan_on(hp, "2023-05-01").assessment
    assert assessment is not None
    assert (assessment.status, assessment.risk, assessment.assessed_on, len(assessment.risks)) == (
        "Noen utfordringer", "Middels", date(2023, 5, 1), 4)
    assert plan_on(hp, "2023-04-30").assessment is None


def test_q03_programme_unknown_before_its_start(hp: ImportedLedger) -> None:
    """Q3 "Is the programme known before its start?" Source: 004 (procurement page) l.9, "høsten 2015"."""
    assert hp.model.plan(PROGRAMME, date(2015, 7, 31), hp.now) is None
    assert hp.model.plan(PROGRAMME, date(2015, 8, 1), hp.now) is not None


# -- B. Procurement --------------------------------------------------------------------------


def test_q04_supplier_field_narrowed(hp: ImportedLedger) -> None:
    """Q4 "How did the supplier field narrow?" Source: 004 (procurement page) l.5."""
    procurement = [s for s in plan_on(hp, "2024-01-01").statements if s.kind == "procurement"]
    assert [s.made_on for s in procurement] == [date(2017, 10, 1), date(2018, 1, 1)]
    assert set(procurement[1].actors) == {"cerner-norway", "epic-systems-corporation", "helse-midt-norge"}


def test_q05_the_two_bidders_are_private(hp: ImportedLedger) -> None:
    """Q5 "What kind of actor are the two bidders?" Source: 004 (procurement page) l.5."""
    plan = plan_on(hp, "2024-01-01")
    bidders = {a.id: (a.name, a.kind, a.parent) for a in plan.actors if a.id in {"cerner-norway",
                                                                                  "epic-systems-corporation"}}
    assert bidders == {
        "cerner-norway": ("Cerner Norway", "private", None),
        "epic-systems-corporation": ("Epic Systems Corporation", "private", None),
    }


def test_q06_contract_planned_and_signed(hp: ImportedLedger) -> None:
    """Q6 "When was the contract planned and signed?" Source: 004 (procurement page) l.5; 001 l.54-58."""
    contract = deliverables_on(hp, "2024-01-01")["anskaffelse-kontrakt"]
    assert (shape(contract.planned), contract.planned and contract.planned.label) == (STARTEN_AV_2019,
                                                                                      "starten av 2019")
    assert contract.completed_on == date(2019, 4, 1)
    before = deliverables_on(hp, "2018-12-31").get("anskaffelse-kontrakt")
    assert before is not None
    assert (shape(before.planned), before.completed_on) == (STARTEN_AV_2019, None)


# -- C. Actors -------------------------------------------------------------------------------


def test_q07_kinds_and_parents_of_the_health_organisations(hp: ImportedLedger) -> None:
    """Q7 "Kinds and parents of the health organisations." Source: 000 (HMN news) l.6; 001 l.90, 96; 004 l.11."""
    expected = {
        "helse-midt-norge": ("regional_health_authority", None),
        "st-olavs-hospital": ("health_trust", "helse-midt-norge"),
        "helse-nord-trondelag": ("health_trust", "helse-midt-norge"),
        "helse-more-og-romsdal": ("health_trust", "helse-midt-norge"),
        "sykehuset-levanger": ("hospital", "helse-nord-trondelag"),
        "sykehuset-namsos": ("hospital", "helse-nord-trondelag"),
        "trondheim-kommunalt-fastlegekontor": ("gp_office", "trondheim"),
        "trondheim-legevakt": ("emergency_clinic", "trondheim"),
        "hemit": ("other", "helse-midt-norge"),
        "helseplattformen-as": ("other", None),
        "ks-sor-trondelag": ("other", "ks"),
    }
    plan = plan_on(hp, "2024-01-01")
    assert {a.id: (a.kind, a.parent) for a in plan.actors if a.id in expected} == expected
    kinds = {a.id: a.kind for a in plan.actors}
    assert (kinds.get("ks"), kinds.get("kristiansand")) == ("other", "municipality")
    hemit = plan.actor("hemit")
    assert hemit is not None
    assert hemit.name == "Hemit HF"


def test_q08_how_many_actors_and_municipalities(hp: ImportedLedger) -> None:
    """Q8 "How many actors and municipalities are there (as of 2024-01-01)?" Source: 003 l.11; 001 l.136; 004."""
    plan = plan_on(hp, "2024-01-01")
    assert len(plan.actors) == 45
    assert {a.id for a in plan.actors if a.kind == "municipality"} == MUNICIPALITIES
    assert len(MUNICIPALITIES) == 26


def test_q09_trondheim_joined_in_august_2016(hp: ImportedLedger) -> None:
    """Q9 "When did Trondheim join?" Source: 004 (procurement page) l.9, "i august 2016"."""
    assert plan_on(hp, "2016-07-31").actor("trondheim") is None
    trondheim = actor_on(hp, "2016-08-01", "trondheim")
    assert trondheim.member is True


def test_q10_the_other_municipalities_joined_by_2017_09_30(hp: ImportedLedger) -> None:
    """Q10 "When did the other municipalities join?" Source: 004 (procurement page) l.9, "mars - september 2017"."""
    assert len(JOINED_ON_2017_09_30) == 23
    day_before = plan_on(hp, "2017-09-29")
    assert [m for m in sorted(JOINED_ON_2017_09_30) if day_before.actor(m) is not None] == []
    joined = plan_on(hp, "2017-09-30")
    assert {a.id for a in joined.actors if a.member} == JOINED_ON_2017_09_30 | {"trondheim"}
    assert sum(1 for a in joined.actors if a.member) == 24
    ever = plan_on(hp, END_OF_TIME)
    assert [(a.id, a.member) for a in ever.actors if a.id in {"os", "kristiansand"}] == [
        ("kristiansand", False), ("os", False)]
    assert len(log_entries(hp, "ActorJoined")) == 24


# -- D. The original plan ------------------------------------------------------------------------


def test_q11_the_original_plan_and_the_revised_plan_adopted_in_may_2023(hp: ImportedLedger) -> None:
    """Q11 "Which baselines exist?" Source: 003 (Helseplattformen news, 01.03.2022); 000 l.4-8."""
    before = plan_on(hp, "2023-05-15")
    assert [(b.name, b.as_of.isoformat(), b.adopted_on) for b in before.baselines] == [
        (ORIGINAL_PLAN, ORIGINAL_PLAN_AS_OF, None)]
    assert before.current_baseline is None
    after = plan_on(hp, "2023-05-16")
    assert sorted((b.name, b.as_of.isoformat(), iso(b.adopted_on)) for b in after.baselines) == [
        (ORIGINAL_PLAN, ORIGINAL_PLAN_AS_OF, None), (REVISED_PLAN, REVISED_PLAN_AS_OF, REVISED_PLAN_AS_OF)]
    assert after.current_baseline is not None
    assert after.current_baseline.name == REVISED_PLAN
    adopted = log_entries(hp, "BaselineAdopted")
    assert [(e.effective.isoformat(), e.deciding_body, e.data["name"]) for e in adopted] == [
        (REVISED_PLAN_AS_OF, REVISED_PLAN_BODY, REVISED_PLAN)]


def test_q12_pd1_in_the_original_plan(hp: ImportedLedger) -> None:
    """Q12 "PD1 in the original plan" Source: 003 (Helseplattformen news) l.11; 001 (status page) l.90-96."""
    pd1 = wave_on(hp, ORIGINAL_PLAN_AS_OF, "pd1")
    assert (pd1.code, shape(pd1.planned), set(pd1.actors)) == ("PD1", PD1_DAY, set(PD1_ORIGINAL))


def test_q13_pd2_and_pd3_in_the_original_plan(hp: ImportedLedger) -> None:
    """Q13 "PD2 and PD3 in the original plan" Source: 003 (Helseplattformen news) l.11; 001 l.98, 112."""
    pd2 = wave_on(hp, ORIGINAL_PLAN_AS_OF, "pd2")
    pd3 = wave_on(hp, ORIGINAL_PLAN_AS_OF, "pd3")
    assert (window_of(pd2), set(pd2.actors)) == ((HOSTEN_2022, "høsten 2022"), set(PD2_MUNICIPALITIES))
    assert (window_of(pd3), set(pd3.actors)) == (
        (VAREN_2023, "våren 2023"), {"helse-nord-trondelag", *PD3_MUNICIPALITIES})


def test_q14_pd4_and_pd5_in_the_original_plan(hp: ImportedLedger) -> None:
    """Q14 "PD4 and PD5 in the original plan" Source: 001 (status page) l.114-120, 128 "nov 23"."""
    pd4 = wave_on(hp, ORIGINAL_PLAN_AS_OF, "pd4")
    pd5 = wave_on(hp, ORIGINAL_PLAN_AS_OF, "pd5")
    assert (shape(pd4.planned), pd4.actors) == (PD4_DAY, ("alesund",))
    assert (window_of(pd5), set(pd5.actors)) == ((NOV_23, "nov 23"), {"helse-more-og-romsdal", *MORE_NINE})
    assert plan_on(hp, ORIGINAL_PLAN_AS_OF).wave("pd6") is None


def test_q15_board_decisions_of_2022_02_28(hp: ImportedLedger) -> None:
    """Q15 "What did the Helseplattformen board decide on 2022-02-28?" Source: 003 (news) l.5-7, 23-35, 44-46."""
    decisions = [e for e in log_entries(hp, "DecisionRecorded") if e.effective == date(2022, 2, 28)]
    assert [e.deciding_body for e in decisions] == ["Styret i Helseplattformen"] * 2
    changes = [change for e in decisions for change in e.data["changes"]]
    assert [c["type"] for c in changes] == ["StatementRecorded"] * 2  # neither changes a wave
    assert sorted(c["kind"] for c in changes) == ["agreement", "plan"]
    agreement = next(c for c in changes if c["kind"] == "agreement")
    assert set(agreement["actors"]) == set(SERVICE_AGREEMENT_18)
    made = [(s.kind, s.by) for s in plan_on(hp, "2022-02-28").statements if s.made_on == date(2022, 2, 28)]
    assert sorted(made) == [("agreement", "Styret i Helseplattformen"), ("plan", "Styret i Helseplattformen")]


# -- E. Postponements and the revised plan ---------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "actor", "as_of", "wave", "status", "window"), PLAN_CHANGES, ids=map(plan_change_id, PLAN_CHANGES)
)
def test_q16_q17_q18_q20_planned_window_before_and_after_each_change(
    hp: ImportedLedger, question: str, actor: str, as_of: str, wave: str | None, status: str, window: Shape
) -> None:
    """Q16/Q17/Q18/Q20 "<actor> before and after its postponement / the revised plan" Source: 001 l.96-136; 000."""
    view = actor_on(hp, as_of, actor)
    assert (view.wave, view.status, shape(view.planned)) == (wave, status, window), question


def test_q16_st_olavs_window_keeps_the_sources_words(hp: ImportedLedger) -> None:
    """Q16 "St. Olavs before and after its postponement." Source: 001 (status page) l.96."""
    after = actor_on(hp, "2022-04-29", "st-olavs-hospital")
    assert window_of(after) == (ETTER_SOMMEREN_2022, "etter sommeren 2022")


def test_q19_pd6_is_planned_on_2023_03_20(hp: ImportedLedger) -> None:
    """Q19 "PD6." (does it exist, its window, and who goes with it) Source: 001 (status page) l.130-136."""
    assert plan_on(hp, "2023-03-19").wave("pd6") is None
    pd6 = wave_on(hp, "2023-03-20", "pd6")
    assert (pd6.code, shape(pd6.planned)) == ("PD6", PD6_DAY)
    assert set(PD6_MUNICIPALITIES) <= set(pd6.actors)
    assert actor_on(hp, "2023-03-20", "helse-more-og-romsdal").wave == "pd6"


def test_q19_pd6_goes_live_without_the_postponed_trust(hp: ImportedLedger) -> None:
    """Q19 "PD6." members: HMR and the six Trøndelag municipalities. Source: 001 (status page) l.130-136.

    The ledger keeps HMR's own wave as pd6 but, while HMR's go-live is postponed to its own
    window, lists only the actors that go live with the wave as its members.
    """
    pd6 = wave_on(hp, "2023-03-20", "pd6")
    assert set(pd6.actors) == set(PD6_MUNICIPALITIES)
    hmr = actor_on(hp, "2023-03-20", "helse-more-og-romsdal")
    assert (hmr.wave, hmr.status) == ("pd6", "postponed")


def test_q20_the_revised_plan_of_2023_05_16(hp: ImportedLedger) -> None:
    """Q20 "The revised plan of 2023-05-16." Source: 000 (HMN news "Vedtok revidert innføringsplan") l.4-8, 19."""
    decisions = [e for e in log_entries(hp, "DecisionRecorded") if e.effective == date(2023, 5, 16)]
    assert [e.deciding_body for e in decisions] == ["Styret for Helse Midt-Norge RHF"]
    changes = decisions[0].data["changes"]
    assert [c["type"] for c in changes] == ["GoLivePostponed"] * 4
    assert {c["actor"] for c in changes} == {
        "helse-more-og-romsdal", "helse-nord-trondelag", "sykehuset-levanger", "sykehuset-namsos"}
    labels = {a: window_of(actor_on(hp, "2023-05-16", a))[1] for a in (
        "helse-more-og-romsdal", "helse-nord-trondelag", "sykehuset-levanger", "sykehuset-namsos")}
    assert labels == {
        "helse-more-og-romsdal": "før sommeren 2024", "helse-nord-trondelag": "oktober/november 2024",
        "sykehuset-levanger": "høsten 2024", "sykehuset-namsos": "høsten 2024",
    }


def test_q21_pd5_after_the_revised_plan(hp: ImportedLedger) -> None:
    """Q21 "PD5 members after the revised plan (as of 2023-05-16)" (window, municipalities). Source: 000 l.19; 001."""
    pd5 = wave_on(hp, "2023-05-16", "pd5")
    assert shape(pd5.planned) == NOV_23
    assert set(MORE_NINE) <= set(pd5.actors)
    assert actor_on(hp, "2023-05-16", "helse-nord-trondelag").wave == "pd5"


def test_q21_pd5_goes_live_without_the_postponed_trust(hp: ImportedLedger) -> None:
    """Q21 "PD5 members after the revised plan (as of 2023-05-16)" (10 actors). Source: 000 l.19; 001 l.128.

    HNT's own wave stays pd5, but with its own window (October/November 2024) it is not among the
    actors that go live with PD5, so the wave lists the nine Møre municipalities.
    """
    pd5 = wave_on(hp, "2023-05-16", "pd5")
    assert set(pd5.actors) == set(MORE_NINE)
    hnt = actor_on(hp, "2023-05-16", "helse-nord-trondelag")
    assert (hnt.wave, hnt.status) == ("pd5", "postponed")


# -- F. Go-lives --------------------------------------------------------------------------------


def test_q22_pd1_go_live(hp: ImportedLedger) -> None:
    """Q22 "PD1 go-live." Source: 001 (status page) l.90-96."""
    assert live_on(hp, "2022-05-06") == {}
    live = live_on(hp, "2022-05-07")
    assert {a: iso(v.go_live) for a, v in live.items()} == dict.fromkeys(TRONDHEIM_UNITS, "2022-05-07")
    assert wave_on(hp, "2022-05-07", "pd1").status == "live"
    assert "st-olavs-hospital" not in live


def test_q23_pd2_go_live(hp: ImportedLedger) -> None:
    """Q23 "PD2 go-live." Source: 001 (status page) l.98-104."""
    live = live_on(hp, "2022-11-12")
    pd2 = ("st-olavs-hospital", *PD2_MUNICIPALITIES)
    assert {a: iso(live[a].go_live) for a in pd2 if a in live} == dict.fromkeys(pd2, "2022-11-12")
    assert wave_on(hp, "2022-11-12", "pd2").status == "live"
    assert (len(live), sum(1 for a in live.values() if a.kind == "municipality")) == (10, 7)


def test_q24_pd3_go_live(hp: ImportedLedger) -> None:
    """Q24 "PD3 go-live." Source: 001 (status page) l.106-112."""
    live = live_on(hp, "2023-02-11")
    assert {a: iso(live[a].go_live) for a in PD3_MUNICIPALITIES if a in live} == dict.fromkeys(
        PD3_MUNICIPALITIES, "2023-02-11")
    pd3 = wave_on(hp, "2023-02-11", "pd3")
    assert (pd3.status, set(pd3.actors)) == ("live", set(PD3_MUNICIPALITIES))


def test_q25_municipalities_live_in_may_2023(hp: ImportedLedger) -> None:
    """Q25 "How many municipalities are live in May 2023?" Source: 000 l.19; 001 l.42, 114-118."""
    live = live_on(hp, "2023-05-16")
    assert {a for a, v in live.items() if v.kind == "municipality"} == LIVE_MUNICIPALITIES_MAY_2023
    assert Counter(v.kind for v in live.values()) == {
        "health_trust": 1, "municipality": 9, "gp_office": 1, "emergency_clinic": 1}
    alesund = actor_on(hp, "2023-05-16", "alesund")
    assert (alesund.status, alesund.days_overdue, alesund.go_live, alesund.wave) == (
        "overdue", ALESUND_DAYS_OVERDUE["2023-05-16"], None, "pd4")
    note = [e for e in log_entries(hp, "StatementRecorded") if e.key == "hp-note-ten-municipalities"]
    assert [(e.effective, e.data["kind"], e.data["actors"]) for e in note] == [
        (date(2023, 5, 16), "note", ["alesund"])]


def test_q26_no_actor_goes_live_twice(hp: ImportedLedger) -> None:
    """Q26 "Does any actor go live twice?" Source: 001 (status page) l.90-112."""
    with_go_live = [a.id for a in plan_on(hp, END_OF_TIME).actors if a.go_live is not None]
    recorded = [actor for e in log_entries(hp, "GoLiveRecorded") for actor in e.data["actors"]]
    assert len(with_go_live) == 12
    assert sorted(recorded) == sorted(with_go_live)  # each actor in exactly one go-live entry


# -- G. Deliverables ------------------------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "complete"), DELIVERABLES_COMPLETE, ids=[f"{d} is {n}" for d, n in
                                                                            DELIVERABLES_COMPLETE])
def test_q27_deliverables_complete_over_time(hp: ImportedLedger, as_of: str, complete: int) -> None:
    """Q27 "Complete count over time" ("ferdig med 9 av 12"). Source: 001 (status page) l.52-136."""
    assert plan_on(hp, as_of).deliverables_completed == complete


def test_q27_nine_of_twelve_on_2023_05_01(hp: ImportedLedger) -> None:
    """Q27 "Complete count over time": 9 of 12 deliverables known on 2023-05-01. Source: 001 l.52."""
    plan = plan_on(hp, "2023-05-01")
    assert (plan.deliverables_completed, len(plan.deliverables)) == (9, 12)


def test_q28_completion_dates(hp: ImportedLedger) -> None:
    """Q28 "Completion dates" of the deliverables. Source: 001 (status page) l.52-136."""
    found = deliverables_on(hp, "2024-01-01")
    assert {d: iso(v.completed_on) for d, v in found.items()} == COMPLETED_ON


def test_q29_planned_windows_of_the_go_live_deliverables(hp: ImportedLedger) -> None:
    """Q29 "Planned windows of the go-live deliverables" Source: 003 l.11; 001 (status page) l.118-134."""
    found = deliverables_on(hp, "2024-01-01")
    assert {d: shape(found[d].planned) for d in GO_LIVE_DELIVERABLE_WINDOWS} == GO_LIVE_DELIVERABLE_WINDOWS
    phases = {d: shape(found[d].planned) for d in PHASES}
    assert phases == {d: (COMPLETED_ON[d], COMPLETED_ON[d], "day") for d in PHASES}


# -- H. Risk reserve ------------------------------------------------------------------------------


def test_q30_no_reserve_before_february_2023(hp: ImportedLedger) -> None:
    """Q30 "Reserve before February 2023" Source: 000 (HMN news) l.21 "i februar"."""
    assert plan_on(hp, "2023-01-31").reserves == ()


@pytest.mark.parametrize("as_of", ["2023-02-01", "2023-05-15"])
def test_q31_after_the_february_allocation(hp: ImportedLedger, as_of: str) -> None:
    """Q31 "After the February allocation (as of 2023-02-01 and as of 2023-05-15)" Source: 000 (HMN news) l.21."""
    reserve = plan_on(hp, as_of).reserve("risikoavsetning")
    assert reserve is not None
    assert (reserve.total, reserve.allocated, reserve.remaining) == (
        Decimal("600000000"), Decimal("380000000"), Decimal("220000000"))
    assert [(a.id, a.amount, set(a.actors), a.made_on, a.released) for a in reserve.allocations] == [
        ("hnt-hmr-innforing", Decimal("380000000"), {"helse-nord-trondelag", "helse-more-og-romsdal"},
         date(2023, 2, 1), Decimal(0))]


def test_q32_after_the_revision(hp: ImportedLedger) -> None:
    """Q32 "After the revision (as of 2023-05-16)" Source: 000 (HMN news) l.21 "fra 380 til 522 millioner"."""
    reserve = plan_on(hp, "2023-05-16").reserve("risikoavsetning")
    assert reserve is not None
    assert (reserve.total, reserve.allocated, reserve.remaining) == (
        Decimal("600000000"), Decimal("522000000"), Decimal("78000000"))
    assert [(a.id, a.amount) for a in reserve.allocations] == [("hnt-hmr-innforing", Decimal("522000000"))]


def test_q32a_the_budget_of_the_hnt_and_hmr_project(hp: ImportedLedger) -> None:
    """Q32a "The budget of the HNT and HMR project" Source: 000 (HMN news) l.21 "inntil 380 ... økt til 522"."""
    assert plan_on(hp, "2023-01-31").costs == ()
    scope = "actor:helse-more-og-romsdal+helse-nord-trondelag"

    def budget(day: str) -> list[tuple[object, ...]]:
        return [(line.scope, line.budget_original and (line.budget_original.kind.value, line.budget_original.low,
                 line.budget_original.high, line.budget_original.label),
                 line.budget_current and (line.budget_current.kind.value, line.budget_current.high,
                                          line.budget_current.label),
                 line.estimate, line.cost_to_date, line.variance_original, line.variance_current)
                for line in plan_on(hp, day).costs]

    original = ("at_most", None, Decimal("380000000"), "inntil 380 millioner kroner")
    for day in ("2023-02-01", "2023-05-15"):
        assert budget(day) == [(scope, original, ("at_most", Decimal("380000000"), "inntil 380 millioner kroner"),
                                None, None, None, None)]
    assert budget("2023-05-16") == [(scope, original, ("at_most", Decimal("522000000"), "økt til 522 millioner kroner"),
                                     None, None, None, None)]


# -- I. Baseline against actual ---------------------------------------------------------------------


def _comparison_rows(hp: ImportedLedger, actors: list[str]) -> dict[str, tuple[object, ...]]:
    rows = {r.subject: r for r in original_plan_against_actuals(hp).actors}
    return {a: (shape(rows[a].baseline), iso(rows[a].actual), rows[a].slip_days_earliest,
                rows[a].slip_days_latest, rows[a].status) for a in actors if a in rows}


def _expected_rows(actors: list[str]) -> dict[str, tuple[object, ...]]:
    return {a: COMPARISON_ACTORS[a] for a in actors}


def test_q33_trondheim_went_live_a_week_late(hp: ImportedLedger) -> None:
    """Q33 "trondheim, its GP office and emergency clinic against the original plan" Source: 003 l.11; 001 l.94."""
    actors = list(TRONDHEIM_UNITS)
    assert _comparison_rows(hp, actors) == _expected_rows(actors)


def test_q34_st_olavs_against_the_original_plan(hp: ImportedLedger) -> None:
    """Q34 "st-olavs-hospital against the original plan" Source: 003 l.11; 001 (status page) l.102."""
    assert _comparison_rows(hp, ["st-olavs-hospital"]) == _expected_rows(["st-olavs-hospital"])


def test_q35_pd2_and_pd3_municipalities_on_time(hp: ImportedLedger) -> None:
    """Q35 "PD2 and PD3 municipalities against the original plan" Source: 003 l.11; 001 l.98-112."""
    actors = [*PD2_MUNICIPALITIES, *PD3_MUNICIPALITIES]
    assert _comparison_rows(hp, actors) == _expected_rows(actors)


def test_q36_the_two_later_trusts_not_yet_live(hp: ImportedLedger) -> None:
    """Q36 "helse-nord-trondelag and helse-more-og-romsdal against the original plan" Source: 000; 001 l.112-136."""
    actors = ["helse-nord-trondelag", "helse-more-og-romsdal"]
    assert _comparison_rows(hp, actors) == _expected_rows(actors)
    rows = {r.subject: r for r in original_plan_against_actuals(hp).actors}
    assert (shape(rows["helse-nord-trondelag"].current), shape(rows["helse-more-og-romsdal"].current)) == (
        ("2024-10-01", "2024-11-30", "window"), (None, "2024-06-30", "season"))


def test_q37_alesund_the_added_actors_and_the_summary(hp: ImportedLedger) -> None:
    """Q37 "alesund, the PD6 municipalities and the two hospitals; actor summary" Source: 001 l.114-136; 000 l.6."""
    actors = ["alesund", *PD6_MUNICIPALITIES, "sykehuset-levanger", "sykehuset-namsos"]
    assert _comparison_rows(hp, actors) == _expected_rows(actors)
    comparison = original_plan_against_actuals(hp)
    assert comparison.summary == COMPARISON_SUMMARY
    statuses = {r.subject: r.status for r in comparison.actors}
    assert {r.subject: r.days_overdue for r in comparison.actors if r.days_overdue} == {
        "alesund": ALESUND_DAYS_OVERDUE[COMPARED_ON]}
    # Every actor in the rollout has a row; the 11 "not yet live" are HNT, HMR and the nine of PD5.
    assert set(statuses) == set(COMPARISON_ACTORS) | set(MORE_NINE)
    assert {statuses[a] for a in MORE_NINE} == {"not yet live"}


def test_q38_waves_against_the_original_plan(hp: ImportedLedger) -> None:
    """Q38 "Waves" against the original plan on 2023-06-01. Source: 003 l.11; 001 (status page) l.90-136."""
    comparison = original_plan_against_actuals(hp)
    assert (comparison.baseline_as_of.isoformat(), comparison.against.isoformat()) == (ORIGINAL_PLAN_AS_OF,
                                                                                       COMPARED_ON)
    waves = {r.subject: (iso(r.actual), r.slip_days_earliest, r.slip_days_latest, r.status)
             for r in comparison.waves}
    assert waves == COMPARISON_WAVES


# -- J. Statements ------------------------------------------------------------------------------------


def test_q39_the_user_committees_statement(hp: ImportedLedger) -> None:
    """Q39 "The user committees' statement" Source: 002 (user committees' statement 31.10.2023) l.2-41."""
    found = [s for s in plan_on(hp, "2023-10-31").statements if s.kind == "statement"]
    assert [(s.made_on, s.by) for s in found] == [(date(2023, 10, 31), "Brukerutvalgene i Helse Midt-Norge")]
    assert {"st-olavs-hospital", "helse-midt-norge", "helseplattformen-as", "hemit"} <= set(found[0].actors)
    assert [s for s in plan_on(hp, "2023-10-30").statements if s.kind == "statement"] == []


def test_q40_the_st_olavs_user_committee_decision(hp: ImportedLedger) -> None:
    """Q40 "The St. Olavs user committee decision it refers to" Source: 002 (user committees' statement) l.39-41."""
    found = [s for s in plan_on(hp, "2024-01-01").statements if s.kind == "decision"]
    assert [(s.made_on, s.by, s.actors) for s in found] == [
        (date(2023, 10, 17), "Brukerutvalget ved St. Olavs hospital HF", ("st-olavs-hospital",))]
    assert "59/23" in found[0].title


def test_q41_how_many_statements(hp: ImportedLedger) -> None:
    """Q41 "How many statements are there?" Source: 000-004, all five documents."""
    statements = plan_on(hp, "2024-01-01").statements
    assert len(statements) == 13
    assert Counter(s.kind for s in statements) == {
        "note": 6, "procurement": 2, "plan": 1, "agreement": 1, "finding": 1, "decision": 1, "statement": 1}
    finding = next(s for s in statements if s.kind == "finding")
    assert (finding.by, finding.made_on) == ("Helsetilsynet", date(2023, 5, 1))


# -- K. Import behaviour ------------------------------------------------------------------------------


def test_q42_import_adds_156_and_a_second_import_adds_nothing(hp: ImportedLedger) -> None:
    """Q42 "Importing the file into an empty ledger adds 156 entries; importing it again adds 0" Source: dataset."""
    assert (hp.first_import.added, hp.first_import.already_present) == (ENTRIES, 0)
    assert (hp.second_import.added, hp.second_import.already_present) == (0, ENTRIES)
    keys = [line["key"] for line in hp.lines]
    assert (len(keys), len(set(keys))) == (ENTRIES, ENTRIES)
    entries = log_entries(hp)
    assert entries[0].type == "ProgrammeRegistered"
    assert Counter(e.type for e in entries) == ENTRY_COUNTS
    assert sorted(e.key for e in entries) == sorted(keys)


# -- L. Overdue and re-baselining --------------------------------------------------------------------


def test_q43_what_is_overdue_on_2026_12_01(hp: ImportedLedger) -> None:
    """Q43 "What is overdue on 2026-12-01?" Source: 001 l.90-136 (last go-live PD3); 000 l.4-8, 19."""
    plan = plan_on(hp, OVERDUE_ON)
    assert {w.id: w.days_overdue for w in plan.waves if w.status == "overdue"} == OVERDUE_WAVES
    assert {w.id: w.status for w in plan.waves if w.id in ("pd1", "pd2", "pd3")} == dict.fromkeys(
        ("pd1", "pd2", "pd3"), "live")
    assert {a.id: a.days_overdue for a in plan.actors if a.status == "overdue"} == OVERDUE_ACTORS
    assert not [a.id for a in plan.actors if a.status in ("planned", "postponed")]


def _side_by_side(rows: tuple[ComparisonRow, ...]) -> dict[str, object]:
    def against_current(row: ComparisonRow) -> object:
        slip = row.against_current
        return None if slip is None else (slip.slip_days_earliest, slip.slip_days_latest, slip.status)

    return {r.subject: ((r.slip_days_earliest, r.slip_days_latest, r.status), against_current(r)) for r in rows}


def test_q44_slip_against_the_original_and_the_current_baseline(hp: ImportedLedger) -> None:
    """Q44 "Slip against the original and the current baseline side by side" Source: 000 l.4-8, 19; 001; 003."""
    comparison = hp.model.comparison(PROGRAMME, ORIGINAL_PLAN, date.fromisoformat(SIDE_BY_SIDE_ON), hp.now)
    assert (comparison.current_baseline, iso(comparison.current_baseline_as_of)) == (REVISED_PLAN, REVISED_PLAN_AS_OF)
    actors = _side_by_side(comparison.actors)
    assert {a: actors[a] for a in SIDE_BY_SIDE_ACTORS} == SIDE_BY_SIDE_ACTORS
    waves = _side_by_side(comparison.waves)
    assert {w: waves[w] for w in SIDE_BY_SIDE_WAVES} == SIDE_BY_SIDE_WAVES
    before = hp.model.comparison(PROGRAMME, ORIGINAL_PLAN, date(2023, 5, 15), hp.now)
    assert before.current_baseline is None
    assert {r.against_current for r in (*before.actors, *before.waves)} == {None}


def test_q45_each_adoption_is_in_the_baseline_history(hp: ImportedLedger) -> None:
    """Q45 "Each adoption is visible" Source: 003; 000 l.4-8."""
    history = hp.model.baseline_history(PROGRAMME, hp.now)
    assert [(r.entry.key, r.entry.type, r.effective.isoformat(), r.name, r.current) for r in history] == [
        ("hp-baseline-original-plan", "BaselineNamed", ORIGINAL_PLAN_AS_OF, ORIGINAL_PLAN, None),
        ("hp-baseline-revised-plan-2023", "BaselineNamed", REVISED_PLAN_AS_OF, REVISED_PLAN, None),
        ("hp-2023-05-16-rebaselined", "BaselineAdopted", REVISED_PLAN_AS_OF, REVISED_PLAN, REVISED_PLAN),
    ]
    adoption = history[-1].entry
    assert (adoption.deciding_body, adoption.source.title if adoption.source else None) == (
        REVISED_PLAN_BODY, "Vedtok revidert innføringsplan")
