"""How the programme's baselines changed: every naming and every adoption (re-baselining), in order.

Each row shows the baseline the entry names or adopts and which baseline was the current one
right after the entry took effect, as the ledger believes it at `recorded_as_of`. Entries later
corrected or retracted stay in the list, marked, as in an actor's history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ledger.belief import closed_target, stated_facts
from ledger.entry import RecordedEntry
from projections.audit import AuditView, LogEntry
from projections.fold import believed_timeline
from projections.history import fate_of
from projections.plan import assemble


@dataclass(frozen=True)
class BaselineRevision:
    """One entry about a baseline and the current baseline it left behind."""

    entry: LogEntry
    effective: date
    name: str  # the baseline the entry names or adopts
    as_of: date | None  # that baseline's date (the plan it stands for), where it is still named
    current: str | None  # the current (adopted) baseline right after the entry
    note: str | None


def _named(recorded: RecordedEntry) -> str | None:
    """The baseline an entry names or adopts, if it is about one."""
    return next((subject for (kind, subject, _attribute), _value in stated_facts(recorded.entry, recorded.seq)
                 if kind == "baseline"), None)


def baseline_history(
    log: Sequence[RecordedEntry], audit: AuditView, programme: str, recorded_as_of: datetime,
) -> list[BaselineRevision]:
    """Every entry that named or adopted one of the programme's baselines, as known at `recorded_as_of`."""
    visible = [r for r in log if r.entry.programme == programme and r.recorded_at <= recorded_as_of]
    timeline = believed_timeline(visible, programme, recorded_as_of)
    by_seq = {r.seq: r for r in visible}
    every_key = timeline.keys()
    keys = [key for key in every_key if key[0] in ("baseline", "programme")]
    rows = []
    for recorded in visible:
        target = None if (closes := closed_target(recorded.entry.change)) is None else by_seq.get(closes)
        name = _named(target or recorded)
        if name is None:
            continue
        fate = fate_of(recorded, audit, timeline, recorded_as_of)
        if not fate.shows_state:
            rows.append(BaselineRevision(fate.view, fate.effective, name, None, None, fate.note))
            continue
        snapshot = timeline.snapshot_of(keys, fate.effective, through_seq=fate.seq)
        plan = assemble(programme, snapshot, fate.effective, recorded_as_of)
        named = next((b for b in plan.baselines if b.name == name), None) if plan else None
        rows.append(BaselineRevision(fate.view, fate.effective, name, named.as_of if named else None,
                                     plan.current_baseline_name if plan else None, fate.note))
    return sorted(rows, key=lambda row: (row.effective, row.entry.position))
