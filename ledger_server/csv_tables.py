"""The CLI's answers as CSV for spreadsheet users: one row per actor, wave, revision or entry.

A planned window becomes three columns (earliest, latest, label) so a spreadsheet can sort
and subtract dates; an empty cell is a bound the source never gave.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from ledger.values import PlannedWindow
from projections.audit import LogEntry
from projections.compare import Comparison, ComparisonRow
from projections.history import Revision
from projections.plan import ProgrammePlan
from projections.trend import MilestoneTrend


def _window(prefix: str) -> list[str]:
    return [f"{prefix}_earliest", f"{prefix}_latest", f"{prefix}_label"]


def _bounds(window: PlannedWindow | None) -> list[Any]:
    if window is None:
        return [None, None, None]
    return [window.earliest, window.latest, window.label]


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text with a header row; None is an empty cell, dates are ISO."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if hasattr(v, "isoformat") else v for v in row])
    return out.getvalue()


def plan_csv(plan: ProgrammePlan) -> str:
    """Waves, then actors in the rollout, of the plan on its date."""
    headers = ["row", "id", "name", "wave", *_window("planned"), "status", "go_live", "days_overdue"]
    waves = [["wave", w.id, w.code, w.id, *_bounds(w.planned), w.status, None, w.days_overdue] for w in plan.waves]
    actors = [["actor", a.id, a.name, a.wave, *_bounds(a.planned), a.status, a.go_live, a.days_overdue]
              for a in plan.actors if a.status != "registered"]
    return to_csv(headers, [*waves, *actors])


def comparison_csv(comparison: Comparison) -> str:
    """Waves, then actors: baseline and current windows, actual go-live, slip per bound, status; then the
    slip against the current (adopted) baseline, empty when none is adopted."""
    headers = ["row", "id", "name", "wave", *_window("baseline"), *_window("current"), "actual",
               "slip_days_earliest", "slip_days_latest", "status", "slip_hours", "days_overdue",
               *_window("current_baseline"), "current_slip_days_earliest", "current_slip_days_latest", "current_status"]
    rows = [[kind, r.subject, r.name, r.wave, *_bounds(r.baseline), *_bounds(r.current), r.actual,
             r.slip_days_earliest, r.slip_days_latest, r.status, r.slip_hours, r.days_overdue, *_current(r)]
            for kind, group in (("wave", comparison.waves), ("actor", comparison.actors)) for r in group]
    return to_csv(headers, rows)


def _current(row: ComparisonRow) -> list[Any]:
    slip = row.against_current
    if slip is None:
        return [None] * (len(_window("current_baseline")) + 3)
    return [*_bounds(slip.baseline), slip.slip_days_earliest, slip.slip_days_latest, slip.status]


def history_csv(revisions: Sequence[Revision]) -> str:
    """An actor's revisions, with the plan each left behind and its provenance."""
    headers = ["effective", "entry", "type", "wave", *_window("planned"), "status", "recorded_at", "recorded_by",
               "source", "note", "reason"]
    rows = [[r.effective, r.entry.entry_id, r.entry.type, r.wave, *_bounds(r.planned), r.status,
             r.entry.recorded_at, r.entry.recorded_by, r.entry.source.title if r.entry.source else None,
             r.note, r.entry.reason] for r in revisions]
    return to_csv(headers, rows)


def log_csv(entries: Sequence[LogEntry]) -> str:
    """The audit trail: position, entry, type, dates, recorder, source, and later fate."""
    headers = ["position", "entry", "type", "effective", "recorded_at", "recorded_by", "source", "corrected_by",
               "retracted_by"]
    rows = [[e.position, e.entry_id, e.type, e.effective, e.recorded_at, e.recorded_by,
             e.source.title if e.source else None, " ".join(e.corrected_by) or None, e.retracted_by]
            for e in entries]
    return to_csv(headers, rows)


def trend_csv(trend: MilestoneTrend) -> str:
    """One row per report of each chosen actor or wave, with its actual go-live on every row."""
    headers = ["kind", "subject", "reported", *_window("forecast"), "entry", "type", "source", "recorded_by",
               "actual"]
    rows = [[s.kind, s.subject, p.reported, *_bounds(p.planned), p.entry_id, p.type, p.source, p.recorded_by,
             s.actual] for s in trend.series for p in s.points]
    return to_csv(headers, rows)
