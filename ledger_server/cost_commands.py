"""`ledger costs`: the evaluator's money question, budgets against estimates and costs to date.

Registered on the `ledger` parser here; the read side is imported when the command runs, so
`ledger --help` stays light.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger_server.cli import Session
    from ledger_server.reader import Reader
    from projections.costs import CostReport

Command = Callable[..., argparse.ArgumentParser]
# Two tables, so that each fits 100 columns with ranges of ten-digit amounts.
BUDGET_HEADERS = ["scope", "budget (original)", "budget (current)", "estimate", "cost to date"]
VARIANCE_HEADERS = ["scope", "variance (original)", "variance (current)", "per year", "name"]
ESTIMATE_HEADERS = ["estimate", "scope", "basis", "first", "latest", "latest on"]


def cmd_costs(session: Session) -> int:
    """Print the cost report of a programme on --as-of, as recorded by --recorded-as-of."""
    from ledger_server import render
    from ledger_server.cli import _require_programme

    as_of, recorded_as_of = session.as_of(), session.recorded_as_of()
    programme = str(session.args.programme)

    async def question(reader: Reader) -> CostReport:
        await _require_programme(reader, programme)
        return await reader.costs(programme, as_of, recorded_as_of)

    report = session.ask(question)
    if session.output_format() == "json":
        session.print(render.to_json(report))
        return 0
    _show(session, report)
    return 0


def _show(session: Session, report: CostReport) -> None:
    from ledger_server import render

    session.print(f"costs of {report.programme} as of {report.as_of}, "
                  f"as recorded by {report.recorded_as_of:%Y-%m-%d %H:%M:%S %Z} (NOK)")
    session.print("")
    if not report.lines:
        session.print("no budgets, estimates or costs to date recorded")
    else:
        session.print(session.table(BUDGET_HEADERS, [
            (line.scope, line.budget_original, line.budget_current, line.estimate, line.cost_to_date)
            for line in report.lines], flexible=["scope"]))
        session.print("")
        session.print(session.table(VARIANCE_HEADERS, [
            (line.scope, line.variance_original, line.variance_current, line.yearly_estimate, line.name)
            for line in report.lines], flexible=["scope", "name"]))
    if report.estimates:
        session.print("")
        session.print(session.table(ESTIMATE_HEADERS, [
            (e.id, e.scope, e.basis, e.first, e.latest, e.revised_on or e.estimated_on) for e in report.estimates
        ], flexible=["scope"]))
    for reserve in report.reserves:
        session.print(f"reserve {reserve.name}: total {render.cell(reserve.total)}, allocated "
                      f"{render.cell(reserve.allocated)}, remaining {render.cell(reserve.remaining)} NOK")


def add_commands(command: Command) -> None:
    """Register `ledger costs` on the `ledger` parser."""
    sub = command("costs", cmd_costs, "budgets, estimates, costs to date and variances, beside the reserves",
                  reads_only=True)
    sub.add_argument("programme")
    sub.add_argument("--as-of", help="the date, YYYY-MM-DD (default today)")
    sub.add_argument("--recorded-as-of", help="as the ledger knew it at this time, with an offset (default now)")
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub.add_argument("--wide", action="store_true", help="show every column in full (default: fit 100 columns)")
