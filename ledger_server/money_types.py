"""GraphQL types of money: reserves and allocations, money windows, budgets, estimates and costs.

Built from the read side's views (projections/plan.py, projections/costs.py and the cost rows of
projections/compare.py); every field says what it holds, as evaluators read them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from ledger.values import MoneyWindow as MoneyWindowValue
from ledger_server.inputs import MoneyKindEnum
from projections import compare as comparison_views
from projections import costs as cost_views
from projections import plan as views


@strawberry.type(description="Money set aside from a reserve for a purpose.")
class Allocation:
    id: strawberry.ID = strawberry.field(description="The allocation's id (a lower-case slug).")
    purpose: str = strawberry.field(description="What the money is for.")
    amount: Decimal = strawberry.field(
        description="The amount set aside on the as-of date, in NOK (the last revision's).")
    released: Decimal = strawberry.field(description="The sum paid out of it by the as-of date, in NOK.")
    cost: Decimal = strawberry.field(description="The actual costs booked against it by the as-of date, in NOK.")
    actors: list[strawberry.ID] = strawberry.field(
        description="The ids of the actors the money is for; empty when it concerns the programme as a whole.")
    made_on: date = strawberry.field(description="The day the allocation was made (its effective date).")


@strawberry.type(description="A cost reserve with what is allocated and what remains on the as-of date.")
class Reserve:
    id: strawberry.ID = strawberry.field(description="The reserve's id (a lower-case slug).")
    name: str = strawberry.field(description="The reserve's name.")
    total: Decimal = strawberry.field(description="The reserve's total on the as-of date, in NOK.")
    allocated: Decimal = strawberry.field(description="The sum of its allocations' amounts on the as-of date, in NOK.")
    remaining: Decimal = strawberry.field(description="total minus allocated, in NOK.")
    allocations: list[Allocation] = strawberry.field(
        description="The allocations made from it by the as-of date, oldest first.")


def reserve_of(r: views.ReserveView) -> Reserve:
    """The GraphQL reserve of a reserve view."""
    return Reserve(
        id=strawberry.ID(r.id), name=r.name, total=r.total, allocated=r.allocated, remaining=r.remaining,
        allocations=[
            Allocation(id=strawberry.ID(a.id), purpose=a.purpose, amount=a.amount, released=a.released,
                       cost=a.cost, actors=[strawberry.ID(x) for x in a.actors], made_on=a.made_on)
            for a in r.allocations
        ],
    )


@strawberry.type(description="An amount of money as its source gave it (or as computed from such amounts): "
                             "a bound the source did not give stays null, and no figure is invented.")
class MoneyWindow:
    kind: MoneyKindEnum = strawberry.field(description="How the amount was stated")  # type: ignore[valid-type]
    low: Decimal | None = strawberry.field(description="The floor (NOK); null when there is none (at most)")
    high: Decimal | None = strawberry.field(description="The ceiling (NOK); null when there is none (at least)")
    label: str = strawberry.field(description="The source's own words; for a computed amount, its bounds")

    @classmethod
    def of(cls, window: MoneyWindowValue | None) -> MoneyWindow | None:
        """The GraphQL money window of a value, or None."""
        if window is None:
            return None
        return cls(kind=window.kind, low=window.low, high=window.high, label=window.label)


@strawberry.type(description="One cost estimate: its first and its latest amount, once or per year.")
class CostEstimate:
    id: strawberry.ID = strawberry.field(description="The estimate's id")
    name: str = strawberry.field(description="What is estimated")
    scope: str = strawberry.field(description="programme, actor:ID(+ID...), wave:ID or deliverable:ID")
    basis: str = strawberry.field(description="one_off or per_year")
    first: MoneyWindow = strawberry.field(description="The amount first estimated")
    latest: MoneyWindow = strawberry.field(description="The amount estimated last, as of the date")
    estimated_on: date = strawberry.field(description="The day it was first estimated")
    revised_on: date | None = strawberry.field(description="The day of the latest revision; null if never revised")


@strawberry.type(description="One cost scope on the date: budget, latest estimates, cost to date and variances.")
class CostLine:
    scope: str = strawberry.field(description="programme, actor:ID(+ID...), wave:ID or deliverable:ID")
    actors: list[strawberry.ID] = strawberry.field(description="The actors the scope names together, if any")
    wave: strawberry.ID | None = strawberry.field(description="The wave the scope names, if any")
    deliverable: strawberry.ID | None = strawberry.field(description="The deliverable the scope names, if any")
    name: str | None = strawberry.field(description="The budget's name, where given")
    budget_original: MoneyWindow | None = strawberry.field(description="The budget as first set")
    budget_current: MoneyWindow | None = strawberry.field(description="The budget after its latest revision")
    budget_set_on: date | None = strawberry.field(description="The day the budget was set")
    budget_revised_on: date | None = strawberry.field(description="The day of its latest revision, if any")
    estimate: MoneyWindow | None = strawberry.field(description="The latest one-off estimates, added up")
    yearly_estimate: MoneyWindow | None = strawberry.field(description="The latest per-year estimates, added up")
    estimated_on: date | None = strawberry.field(description="The latest day an estimate was stated or revised")
    cost_to_date: MoneyWindow | None = strawberry.field(description="The latest reported cost to date")
    cost_reported_on: date | None = strawberry.field(description="The day the cost to date was reported")
    variance_original: MoneyWindow | None = strawberry.field(
        description="Estimate less the original budget (negative: under it)")
    variance_current: MoneyWindow | None = strawberry.field(
        description="Estimate less the current budget (negative: under it)")


@strawberry.type(description="A programme's money on asOf as recorded by recordedAsOf: its cost lines and "
                             "estimates beside its reserves and their allocations.")
class CostReport:
    programme_id: strawberry.ID = strawberry.field(description="The programme")
    as_of: date = strawberry.field(description="The date the report is for")
    recorded_as_of: datetime = strawberry.field(description="As the ledger knew it at this time")
    lines: list[CostLine] = strawberry.field(description="One line per scope, the programme's first")
    estimates: list[CostEstimate] = strawberry.field(description="Every estimate in force")
    reserves: list[Reserve] = strawberry.field(description="The reserves and their allocations")


def _line_of(line: cost_views.CostLine) -> CostLine:
    m = MoneyWindow.of
    return CostLine(
        scope=line.scope, actors=[strawberry.ID(a) for a in line.actors],
        wave=None if line.wave is None else strawberry.ID(line.wave),
        deliverable=None if line.deliverable is None else strawberry.ID(line.deliverable), name=line.name,
        budget_original=m(line.budget_original), budget_current=m(line.budget_current),
        budget_set_on=line.budget_set_on, budget_revised_on=line.budget_revised_on, estimate=m(line.estimate),
        yearly_estimate=m(line.yearly_estimate), estimated_on=line.estimated_on,
        cost_to_date=m(line.cost_to_date), cost_reported_on=line.cost_reported_on,
        variance_original=m(line.variance_original), variance_current=m(line.variance_current),
    )


def _estimate_of(e: cost_views.EstimateView) -> CostEstimate:
    first, latest = MoneyWindow.of(e.first), MoneyWindow.of(e.latest)
    assert first is not None
    assert latest is not None
    return CostEstimate(id=strawberry.ID(e.id), name=e.name, scope=e.scope, basis=e.basis, first=first,
                        latest=latest, estimated_on=e.estimated_on, revised_on=e.revised_on)


def cost_report_of(report: cost_views.CostReport) -> CostReport:
    """The GraphQL cost report of a report view."""
    return CostReport(
        programme_id=strawberry.ID(report.programme), as_of=report.as_of, recorded_as_of=report.recorded_as_of,
        lines=[_line_of(line) for line in report.lines], estimates=[_estimate_of(e) for e in report.estimates],
        reserves=[reserve_of(r) for r in report.reserves],
    )


@strawberry.type(description="One cost scope in a comparison: the baseline's budget and estimate against now.")
class CostComparisonRow:
    scope: str = strawberry.field(description="programme, actor:ID(+ID...), wave:ID or deliverable:ID")
    baseline_budget: MoneyWindow | None = strawberry.field(description="The budget in force on the baseline's date")
    budget_original: MoneyWindow | None = strawberry.field(description="The budget as first set")
    budget_current: MoneyWindow | None = strawberry.field(description="The budget on the against date")
    baseline_estimate: MoneyWindow | None = strawberry.field(description="The one-off estimate on the baseline's date")
    estimate: MoneyWindow | None = strawberry.field(description="The one-off estimate on the against date")
    cost_to_date: MoneyWindow | None = strawberry.field(description="The cost to date on the against date")
    variance_original: MoneyWindow | None = strawberry.field(description="Estimate less the original budget")
    variance_current: MoneyWindow | None = strawberry.field(description="Estimate less the current budget")
    estimate_change: MoneyWindow | None = strawberry.field(description="Estimate now less the baseline's estimate")


def cost_comparison_row_of(row: comparison_views.CostComparisonRow) -> CostComparisonRow:
    """The GraphQL row of a cost comparison row."""
    m = MoneyWindow.of
    return CostComparisonRow(
        scope=row.scope, baseline_budget=m(row.baseline_budget), budget_original=m(row.budget_original),
        budget_current=m(row.budget_current), baseline_estimate=m(row.baseline_estimate),
        estimate=m(row.estimate), cost_to_date=m(row.cost_to_date), variance_original=m(row.variance_original),
        variance_current=m(row.variance_current), estimate_change=m(row.estimate_change),
    )
