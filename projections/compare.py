"""Baseline against a later plan and against what actually happened: slip per actor and wave,
and budgets, estimates and costs to date per cost scope.

Slip is counted in days against both bounds of the baseline window, from the actual
go-live where there is one, else from the current plan's window (a forecast). A bound the
source never gave yields no slip for that bound rather than an invented one. Where both the
baseline day and the go-live carry a time of day, slip is also given in hours, and the status
follows the hours: a go-live at 22:00 the evening before a day planned from 00:00 is two hours
early, not a day. A row whose current window's latest day has passed with no go-live is
overdue. When a baseline has been adopted as the current one (re-baselining), every row also
carries its slip against that baseline, beside the slip against the baseline asked for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from ledger.errors import InvalidInput, UnknownReference
from ledger.values import MoneyWindow, PlannedWindow, parse_date
from projections.costs import CostLine, difference
from projections.plan import (
    LIVE,
    OVERDUE,
    REGISTERED,
    WITHDRAWN,
    ActorView,
    ProgrammePlan,
    WaveView,
)

EARLY, ON_TIME, LATE = "early", "on time", "late"
NOT_YET_LIVE, ADDED = "not yet live", "added"


@dataclass(frozen=True)
class Slip:
    """Slip against one baseline: its window, days against each bound, hours where both carry a time."""

    baseline: PlannedWindow | None
    slip_days_earliest: int | None
    slip_days_latest: int | None
    slip_hours: float | None
    status: str


@dataclass(frozen=True)
class ComparisonRow:
    """One actor or wave: baseline window, current window, actual date, slip and status.

    `against_current` is the same row measured against the current (adopted) baseline, when
    one has been adopted by the date compared with.
    """

    subject: str
    name: str
    wave: str | None
    baseline: PlannedWindow | None
    current: PlannedWindow | None
    actual: date | None
    slip_days_earliest: int | None
    slip_days_latest: int | None
    status: str
    slip_hours: float | None = None
    days_overdue: int | None = None
    actual_at: datetime | None = None  # the go-live moment in UTC, where its time of day is known
    against_current: Slip | None = None


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
    current_baseline: str | None = None  # the baseline adopted as current by `against`, if any
    current_baseline_as_of: date | None = None

    @property
    def summary(self) -> dict[str, int]:
        """How many actors have each status."""
        return dict(Counter(row.status for row in self.actors))


def _days(later: date | None, earlier: date | None) -> int | None:
    return None if later is None or earlier is None else (later - earlier).days


def _hours(actual_at: datetime | None, baseline: PlannedWindow | None) -> float | None:
    planned = baseline.moment if baseline else None
    if actual_at is None or planned is None:
        return None
    return round((actual_at - planned).total_seconds() / 3600, 2)


def _status(baseline: PlannedWindow | None, actual: date | None, hours: float | None, overdue: bool) -> str:
    if baseline is None:
        return ADDED
    if actual is None:
        return OVERDUE if overdue else NOT_YET_LIVE
    if hours is not None:  # both sides name the moment: compare moments, not days
        return EARLY if hours < 0 else LATE if hours > 0 else ON_TIME
    if baseline.earliest is not None and actual < baseline.earliest:
        return EARLY
    if baseline.latest is not None and actual > baseline.latest:
        return LATE
    return ON_TIME


@dataclass(frozen=True)
class _Observed:
    """What the plan on the compared date says of one subject."""

    current: PlannedWindow | None
    actual: date | None
    actual_at: datetime | None
    withdrawn: bool
    overdue: int | None


def _slip(baseline: PlannedWindow | None, seen: _Observed) -> Slip:
    earliest = seen.actual or (seen.current.earliest if seen.current else None)
    latest = seen.actual or (seen.current.latest if seen.current else None)
    hours = _hours(seen.actual_at, baseline)
    status = WITHDRAWN if seen.withdrawn else _status(baseline, seen.actual, hours, seen.overdue is not None)
    return Slip(
        baseline=baseline,
        slip_days_earliest=_days(earliest, baseline.earliest if baseline else None),
        slip_days_latest=_days(latest, baseline.latest if baseline else None),
        slip_hours=hours,
        status=status,
    )


@dataclass(frozen=True)
class _Adopted:
    """The subject's window in the current (adopted) baseline; None when it was not in it."""

    window: PlannedWindow | None


def _row(
    subject: str, name: str, wave: str | None, baseline: PlannedWindow | None, seen: _Observed,
    adopted: _Adopted | None,
) -> ComparisonRow:
    """`adopted` is None when no baseline has been adopted as the current one."""
    slip = _slip(baseline, seen)
    return ComparisonRow(
        subject=subject,
        name=name,
        wave=wave,
        baseline=baseline,
        current=seen.current,
        actual=seen.actual,
        slip_days_earliest=slip.slip_days_earliest,
        slip_days_latest=slip.slip_days_latest,
        status=slip.status,
        slip_hours=slip.slip_hours,
        days_overdue=seen.overdue,
        actual_at=seen.actual_at,
        against_current=None if adopted is None else _slip(adopted.window, seen),
    )


def _in_rollout(actor: ActorView | None) -> bool:
    return actor is not None and actor.status != REGISTERED


def _planned_in(plan: ProgrammePlan, actor_id: str) -> PlannedWindow | None:
    """The actor's window in a baseline plan (None if it was not in the rollout then)."""
    before = plan.actor(actor_id)
    return before.planned if before and _in_rollout(before) else None


def _actor_rows(baseline: ProgrammePlan, current: ProgrammePlan, adopted: ProgrammePlan | None) -> list[ComparisonRow]:
    rows = []
    for actor in current.actors:
        before = baseline.actor(actor.id)
        if not (_in_rollout(actor) or _in_rollout(before)):
            continue
        go_live_at = actor.go_live_at.on(actor.go_live) if actor.go_live and actor.go_live_at else None
        seen = _Observed(actor.planned, actor.go_live, go_live_at, actor.status == WITHDRAWN, actor.days_overdue)
        in_adopted = None if adopted is None else _Adopted(_planned_in(adopted, actor.id))
        rows.append(_row(actor.id, actor.name, actor.wave, _planned_in(baseline, actor.id), seen, in_adopted))
    return rows


def wave_actual(wave: WaveView, current: ProgrammePlan) -> date | None:
    """The day the wave's last member went live, once every member has."""
    days = [a.go_live for a in current.actors if a.id in wave.actors and a.status == LIVE]
    if not wave.actors or len(days) != len(wave.actors):
        return None
    return max(day for day in days if day is not None)


def _wave_rows(baseline: ProgrammePlan, current: ProgrammePlan, adopted: ProgrammePlan | None) -> list[ComparisonRow]:
    rows = []
    for wave in current.waves:
        before = baseline.wave(wave.id)
        emptied = before is not None and bool(before.actors) and not wave.actors
        actual = wave_actual(wave, current)
        # Overdue as the plan says: its latest day has passed and none of its actors is live.
        seen = _Observed(wave.planned, actual, None, emptied, wave.days_overdue)
        then = adopted.wave(wave.id) if adopted else None
        in_adopted = None if adopted is None else _Adopted(then.planned if then else None)
        rows.append(_row(wave.id, wave.code, wave.id, before.planned if before else None, seen, in_adopted))
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


def compare(
    baseline_name: str, baseline: ProgrammePlan, current: ProgrammePlan, adopted: ProgrammePlan | None = None,
) -> Comparison:
    """Set the baseline plan against the current one, actor by actor and wave by wave.

    `adopted` is the plan of the baseline adopted as current by `current.as_of`, if one is.
    """
    chosen = current.current_baseline if adopted is not None else None
    return Comparison(
        programme=current.id,
        baseline=baseline_name,
        baseline_as_of=baseline.as_of,
        against=current.as_of,
        actors=tuple(_actor_rows(baseline, current, adopted)),
        waves=tuple(_wave_rows(baseline, current, adopted)),
        costs=tuple(_cost_rows(baseline, current)),
        current_baseline=chosen.name if chosen else None,
        current_baseline_as_of=chosen.as_of if chosen else None,
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
