"""Budgets, estimates and costs to date on a date: the evaluator's cost lines.

One line per scope (the programme, some actors together, a wave, a deliverable) that has a
budget, an estimate or a reported cost to date. Amounts are money windows as their sources
stated them; sums and variances keep both bounds and never narrow a window into a figure.
The variance is the latest one-off estimate less the budget, against the original budget
(the amount first set) and the current one (after revisions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from typing import TYPE_CHECKING

from ledger.changes import PROGRAMME_SCOPE, BudgetSet, CostBasis, CostEstimated
from ledger.timeline import Version
from ledger.values import MoneyWindow

if TYPE_CHECKING:
    from projections.plan import ProgrammePlan, ReserveView

Subjects = Mapping[str, Mapping[str, Version]]  # subject -> attribute -> version, of one family


@dataclass(frozen=True)
class EstimateView:
    """One cost estimate: its first and its latest amount, once or per year."""

    id: str
    name: str
    scope: str
    basis: str
    first: MoneyWindow
    latest: MoneyWindow
    estimated_on: date
    revised_on: date | None  # None while the estimate was never revised


@dataclass(frozen=True)
class CostLine:
    """A scope's budget (original and current), latest estimates, cost to date and variances."""

    scope: str
    actors: tuple[str, ...]
    wave: str | None
    deliverable: str | None
    name: str | None
    budget_original: MoneyWindow | None
    budget_current: MoneyWindow | None
    budget_set_on: date | None
    budget_revised_on: date | None
    estimate: MoneyWindow | None  # the one-off estimates of the scope, added up
    yearly_estimate: MoneyWindow | None  # the per-year estimates, added up
    estimated_on: date | None  # the latest day any of them was stated
    cost_to_date: MoneyWindow | None
    cost_reported_on: date | None
    variance_original: MoneyWindow | None  # estimate - original budget
    variance_current: MoneyWindow | None  # estimate - current budget


def scope_parts(scope: str) -> tuple[tuple[str, ...], str | None, str | None]:
    """The actors, wave and deliverable a scope id names (see `ledger.changes.CostScope`)."""
    kind, _, ids = scope.partition(":")
    if kind == "actor":
        return tuple(ids.split("+")), None, None
    return (), ids if kind == "wave" else None, ids if kind == "deliverable" else None


def estimate_views(estimates: Subjects) -> tuple[EstimateView, ...]:
    """Every estimate in force, by id."""
    views = []
    for slug, attrs in sorted(estimates.items()):
        profile, amount = attrs.get("profile"), attrs.get("amount")
        if profile is None or amount is None:
            continue
        stated = profile.value
        assert isinstance(stated, CostEstimated)
        assert isinstance(amount.value, MoneyWindow)
        revised = amount.seq != profile.seq
        views.append(EstimateView(
            id=slug, name=stated.name, scope=stated.scope, basis=stated.basis.value, first=stated.amount,
            latest=amount.value, estimated_on=profile.effective, revised_on=amount.effective if revised else None,
        ))
    return tuple(views)


def _total(windows: list[MoneyWindow]) -> MoneyWindow | None:
    return reduce(lambda a, b: a + b, windows) if windows else None


def difference(a: MoneyWindow | None, b: MoneyWindow | None) -> MoneyWindow | None:
    """a - b, or None where either is missing or the difference has no bound at all."""
    if a is None or b is None:
        return None
    result = a - b
    return None if result.low is None and result.high is None else result


def cost_lines(budgets: Subjects, estimates: tuple[EstimateView, ...], costs: Subjects) -> tuple[CostLine, ...]:
    """A line per scope with a budget, an estimate or a cost to date; the programme's first."""
    scopes = {*budgets, *(e.scope for e in estimates), *costs}
    ordered = sorted(scopes, key=lambda scope: (scope != PROGRAMME_SCOPE, scope))
    return tuple(_line(scope, budgets.get(scope, {}), [e for e in estimates if e.scope == scope],
                       costs.get(scope, {}).get("to-date")) for scope in ordered)


def _line(scope: str, budget: Mapping[str, Version], estimates: list[EstimateView],
          cost: Version | None) -> CostLine:
    profile, amount = budget.get("profile"), budget.get("amount")
    stated = profile.value if profile is not None else None
    assert stated is None or isinstance(stated, BudgetSet)
    original = stated.amount if stated is not None else None
    current = amount.value if amount is not None and stated is not None else None
    assert current is None or isinstance(current, MoneyWindow)
    one_off = _total([e.latest for e in estimates if e.basis == CostBasis.ONE_OFF.value])
    yearly = _total([e.latest for e in estimates if e.basis == CostBasis.PER_YEAR.value])
    stated_on = [e.revised_on or e.estimated_on for e in estimates]
    actors, wave, deliverable = scope_parts(scope)
    spent = None if cost is None else cost.value
    assert spent is None or isinstance(spent, MoneyWindow)
    return CostLine(
        scope=scope, actors=actors, wave=wave, deliverable=deliverable,
        name=stated.name if stated is not None else None,
        budget_original=original, budget_current=current,
        budget_set_on=profile.effective if profile is not None else None,
        budget_revised_on=amount.effective if amount is not None and profile is not None
        and amount.seq != profile.seq else None,
        estimate=one_off, yearly_estimate=yearly, estimated_on=max(stated_on) if stated_on else None,
        cost_to_date=spent,
        cost_reported_on=cost.effective if cost is not None else None,
        variance_original=difference(one_off, original), variance_current=difference(one_off, current),
    )


@dataclass(frozen=True)
class CostReport:
    """The evaluator's view of a programme's money on `as_of`, as recorded by `recorded_as_of`:
    cost lines and estimates beside the reserves and their allocations."""

    programme: str
    as_of: date
    recorded_as_of: datetime
    lines: tuple[CostLine, ...]
    estimates: tuple[EstimateView, ...]
    reserves: tuple[ReserveView, ...]


def cost_report(plan: ProgrammePlan) -> CostReport:
    """The cost report of a plan (which holds every fact it needs)."""
    return CostReport(plan.id, plan.as_of, plan.recorded_as_of, plan.costs, plan.estimates, plan.reserves)
