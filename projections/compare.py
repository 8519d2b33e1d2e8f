"""Baseline against a later plan and against what actually happened: slip per actor and wave,
and budgets, estimates and costs to date per cost scope.

Slip is counted in days against both bounds of the baseline window, from the actual
go-live where there is one, else from the current plan's window (a forecast). A bound the
source never gave yields no slip for that bound rather than an invented one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from ledger.errors import InvalidInput, UnknownReference
from ledger.values import MoneyWindow, PlannedWindow, parse_date
from projections.costs import CostLine, difference
from projections.plan import LIVE, REGISTERED, WITHDRAWN, ActorView, ProgrammePlan, WaveView

EARLY, ON_TIME, LATE = "early", "on time", "late"
NOT_YET_LIVE, ADDED = "not yet live", "added"


@dataclass(frozen=True)
class ComparisonRow:
    """One actor or wave: baseline window, current window, actual date, slip and status."""

    subject: str
    name: str
    wave: str | None
    baseline: PlannedWindow | None
    current: PlannedWindow | None
    actual: date | None
    slip_days_earliest: int | None
    slip_days_latest: int | None
    status: str


@dataclass(frozen=True)
class CostComparisonRow:
    """One cost scope: its budget and estimate in the baseline and now, cost to date, variances."""

    scope: str
    baseline_budget: MoneyWindow | None  # the budget in force on the baseline's date
    budget_original: MoneyWindow | None
    budget_current: MoneyWindow | None
    baseline_estimate: MoneyWindow | None
    estimate: MoneyWindow | None
    cost_to_date: MoneyWindow | None
    variance_original: MoneyWindow | None  # current estimate - original budget
    variance_current: MoneyWindow | None  # current estimate - current budget
    estimate_change: MoneyWindow | None  # current estimate - baseline estimate


@dataclass(frozen=True)
class Comparison:
    """A baseline plan set against the plan and go-lives on a later date."""

    programme: str
    baseline: str
    baseline_as_of: date
    against: date
    actors: tuple[ComparisonRow, ...]
    waves: tuple[ComparisonRow, ...]
    costs: tuple[CostComparisonRow, ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        """How many actors have each status."""
        return dict(Counter(row.status for row in self.actors))


def _days(later: date | None, earlier: date | None) -> int | None:
    return None if later is None or earlier is None else (later - earlier).days


def _status(baseline: PlannedWindow | None, actual: date | None, withdrawn: bool) -> str:
    if withdrawn:
        return WITHDRAWN
    if baseline is None:
        return ADDED
    if actual is None:
        return NOT_YET_LIVE
    if baseline.earliest is not None and actual < baseline.earliest:
        return EARLY
    if baseline.latest is not None and actual > baseline.latest:
        return LATE
    return ON_TIME


def _row(
    subject: str, name: str, wave: str | None, baseline: PlannedWindow | None,
    current: PlannedWindow | None, actual: date | None, withdrawn: bool,
) -> ComparisonRow:
    earliest = actual or (current.earliest if current else None)
    latest = actual or (current.latest if current else None)
    return ComparisonRow(
        subject=subject,
        name=name,
        wave=wave,
        baseline=baseline,
        current=current,
        actual=actual,
        slip_days_earliest=_days(earliest, baseline.earliest if baseline else None),
        slip_days_latest=_days(latest, baseline.latest if baseline else None),
        status=_status(baseline, actual, withdrawn),
    )


def _in_rollout(actor: ActorView | None) -> bool:
    return actor is not None and actor.status != REGISTERED


def _actor_rows(baseline: ProgrammePlan, current: ProgrammePlan) -> list[ComparisonRow]:
    rows = []
    for actor in current.actors:
        before = baseline.actor(actor.id)
        if not (_in_rollout(actor) or _in_rollout(before)):
            continue
        planned_before = before.planned if before and _in_rollout(before) else None
        rows.append(
            _row(
                actor.id, actor.name, actor.wave, planned_before, actor.planned,
                actor.go_live, actor.status == WITHDRAWN,
            )
        )
    return rows


def wave_actual(wave: WaveView, current: ProgrammePlan) -> date | None:
    """The day the wave's last member went live, once every member has."""
    days = [a.go_live for a in current.actors if a.id in wave.actors and a.status == LIVE]
    if not wave.actors or len(days) != len(wave.actors):
        return None
    return max(day for day in days if day is not None)


def _wave_rows(baseline: ProgrammePlan, current: ProgrammePlan) -> list[ComparisonRow]:
    rows = []
    for wave in current.waves:
        before = baseline.wave(wave.id)
        emptied = before is not None and bool(before.actors) and not wave.actors
        rows.append(
            _row(
                wave.id, wave.code, wave.id, before.planned if before else None, wave.planned,
                wave_actual(wave, current), emptied,
            )
        )
    return rows


def _cost_rows(baseline: ProgrammePlan, current: ProgrammePlan) -> list[CostComparisonRow]:
    before: dict[str, CostLine] = {line.scope: line for line in baseline.costs}
    rows = []
    for line in current.costs:
        then = before.get(line.scope)
        baseline_estimate = then.estimate if then else None
        change = difference(line.estimate, baseline_estimate)
        rows.append(CostComparisonRow(
            scope=line.scope, baseline_budget=then.budget_current if then else None,
            budget_original=line.budget_original, budget_current=line.budget_current,
            baseline_estimate=baseline_estimate, estimate=line.estimate, cost_to_date=line.cost_to_date,
            variance_original=line.variance_original, variance_current=line.variance_current,
            estimate_change=change,
        ))
    return rows


def compare(baseline_name: str, baseline: ProgrammePlan, current: ProgrammePlan) -> Comparison:
    """Set the baseline plan against the current one, actor by actor and wave by wave."""
    return Comparison(
        programme=current.id,
        baseline=baseline_name,
        baseline_as_of=baseline.as_of,
        against=current.as_of,
        actors=tuple(_actor_rows(baseline, current)),
        waves=tuple(_wave_rows(baseline, current)),
        costs=tuple(_cost_rows(baseline, current)),
    )


def baseline_date(baseline: str, latest: ProgrammePlan) -> date:
    """The as-of date of a baseline given by name (one of `latest`'s baselines) or as YYYY-MM-DD."""
    named = {b.name: b.as_of for b in latest.baselines}
    if baseline in named:
        return named[baseline]
    try:
        return parse_date(baseline, "baseline")
    except InvalidInput:
        known = ", ".join(repr(name) for name in sorted(named)) or "none named yet"
        raise UnknownReference(
            f"{baseline!r} is neither a baseline name ({known}) nor a date YYYY-MM-DD",
            field="baseline",
        ) from None
