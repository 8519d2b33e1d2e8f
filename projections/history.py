"""How an actor's plan changed: every entry that moved its planned window, in effective order.

Each row shows the actor's wave, planned window and status right after the entry took
effect, as the ledger believes it at `recorded_as_of`. Entries that were later corrected
or retracted stay in the list, marked, because an auditor must see what was once stated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ledger.belief import closed_target, stated_facts, target_seq
from ledger.changes import EntryCorrected, EntryRetracted
from ledger.entry import RecordedEntry
from ledger.timeline import FactKey, Timeline
from ledger.values import PlannedWindow
from projections.audit import AuditView, LogEntry
from projections.fold import believed_timeline
from projections.plan import assemble


@dataclass(frozen=True)
class Revision:
    """One entry in an actor's history and the plan it left behind."""

    entry: LogEntry
    effective: date
    wave: str | None
    planned: PlannedWindow | None
    status: str | None
    note: str | None


def is_relevant(recorded: RecordedEntry, actor: str, timeline: Timeline) -> bool:
    """Whether the entry set the actor's own facts, or the window of the wave it was in then."""
    for (kind, subject, attribute), _value in stated_facts(recorded.entry, recorded.seq):
        if kind == "actor" and subject == actor:
            return True
        in_wave = timeline.value(("actor", actor, "wave"), recorded.entry.effective) == subject
        if kind == "wave" and attribute == "window" and in_wave:
            return True
    return False


def actor_history(
    log: Sequence[RecordedEntry], audit: AuditView, programme: str, actor: str, recorded_as_of: datetime
) -> list[Revision]:
    """The revisions of one actor's plan, as known at `recorded_as_of`."""
    visible = [r for r in log if r.entry.programme == programme and r.recorded_at <= recorded_as_of]
    timeline = believed_timeline(visible, programme, recorded_as_of)
    by_seq = {r.seq: r for r in visible}
    # Only the facts an actor's view depends on (its own, the programme's, the waves'), so a
    # row costs what the actor has, not what the whole programme has.
    every_key = timeline.keys()
    keys = [key for key in every_key if key[0] in ("wave", "programme") or key[:2] == ("actor", actor)]
    rows = []
    for recorded in visible:
        change = recorded.entry.change
        target = None if (closes := closed_target(change)) is None else by_seq.get(closes)
        if not is_relevant(target or recorded, actor, timeline):
            continue
        rows.append(_revision(recorded, audit, timeline, keys, programme, actor, recorded_as_of))
    return sorted(rows, key=lambda row: (row.effective, row.entry.position))


@dataclass(frozen=True)
class Fate:
    """Where an entry stands at a moment: its note, and the statement (seq, effective) it speaks for."""

    view: LogEntry
    seq: int
    effective: date
    note: str | None

    @property
    def shows_state(self) -> bool:
        """Whether the row shows the state the entry left (not for an entry since corrected or retracted)."""
        return not self.note or self.note.startswith("corrects")


def fate_of(recorded: RecordedEntry, audit: AuditView, timeline: Timeline, recorded_as_of: datetime) -> Fate:
    """The entry's later fate as known at `recorded_as_of`; a correction speaks for its target."""
    view = audit.get(recorded.entry_id)
    assert view is not None
    later = [e for e in view.corrected_by if _recorded_by_then(audit, e, recorded_as_of)]
    retracted = view.retracted_by if _recorded_by_then(audit, view.retracted_by, recorded_as_of) else None
    note = None
    effective = recorded.entry.effective
    if retracted:
        note = f"retracted by {retracted}"
    elif later:
        note = f"corrected by {', '.join(later)}"
    change = recorded.entry.change
    seq = recorded.seq
    if isinstance(change, EntryCorrected | EntryRetracted):
        note = f"{'corrects' if isinstance(change, EntryCorrected) else 'retracts'} {change.target_entry}"
        seq = target_seq(change)
        effective = timeline.effective_of(seq) or effective
    return Fate(view, seq, effective, note)


def _revision(
    recorded: RecordedEntry, audit: AuditView, timeline: Timeline, keys: list[FactKey], programme: str, actor: str,
    recorded_as_of: datetime,
) -> Revision:
    fate = fate_of(recorded, audit, timeline, recorded_as_of)
    view, effective, note = fate.view, fate.effective, fate.note
    if not fate.shows_state:
        return Revision(view, effective, None, None, None, note)
    # The plan right after this entry took effect: a later entry of the same day is not its doing.
    plan = assemble(programme, timeline.snapshot_of(keys, effective, through_seq=fate.seq), effective, recorded_as_of)
    state = plan.actor(actor) if plan else None
    return Revision(
        view, effective, state.wave if state else None, state.planned if state else None,
        state.status if state else None, note,
    )


def _recorded_by_then(audit: AuditView, entry_id: str | None, moment: datetime) -> bool:
    if entry_id is None:
        return False
    found = audit.get(entry_id)
    return found is not None and found.recorded_at <= moment

