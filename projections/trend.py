"""Milestone trend: how the forecast go-live of chosen actors and waves moved, report by report.

This is the milestone trend analysis (MTA) of project control: for each subject, one point per
entry that changed its planned go-live, ending at the actual go-live. A forecast is the subject's
planned window right after the entry took effect. Two readings:

- by effective date (the default): each report at the entry's effective date, as the ledger
  believes it at `recorded_as_of`: entries retracted or corrected by then stay out, and a
  correction stands at the date of the entry it corrects;
- "as recorded": each report on the day the ledger recorded it, with the forecast as the ledger
  knew it then, so a statement later corrected keeps its point and the correction adds one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ledger.belief import closed_target, fact_changes, stated_facts
from ledger.changes import EntryRetracted
from ledger.entry import RecordedEntry
from ledger.errors import InvalidInput, UnknownReference
from ledger.timeline import Timeline
from ledger.values import PlannedWindow
from projections.audit import AuditView
from projections.compare import wave_actual
from projections.fold import believed_timeline
from projections.history import is_relevant
from projections.plan import END_OF_TIME, LIVE, Facts, ProgrammePlan, assemble, known

EFFECTIVE, RECORDED = "effective", "recorded"
REPORT_DATES = (EFFECTIVE, RECORDED)


@dataclass(frozen=True)
class TrendPoint:
    """One report: the forecast window an entry left behind, and where it came from."""

    reported: date
    planned: PlannedWindow
    entry_id: str
    type: str
    source: str | None
    recorded_by: str


@dataclass(frozen=True)
class TrendSeries:
    """The forecasts of one actor or wave, oldest report first, and its actual go-live."""

    kind: str  # "actor" or "wave"
    subject: str
    name: str
    points: tuple[TrendPoint, ...]
    actual: date | None


@dataclass(frozen=True)
class MilestoneTrend:
    """The trend of every chosen subject, as known at `recorded_as_of`."""

    programme: str
    recorded_as_of: datetime
    report_date: str
    series: tuple[TrendSeries, ...]


Window = Callable[[ProgrammePlan], PlannedWindow | None]
Relevant = Callable[[RecordedEntry, Timeline], bool]


@dataclass(frozen=True)
class _Candidate:
    """An entry that may have moved a forecast: when it is reported, and the facts right after it."""

    recorded: RecordedEntry
    reported: date
    effective: date
    facts: Facts


def milestone_trend(
    log: Sequence[RecordedEntry], audit: AuditView, programme: str, actors: Sequence[str], waves: Sequence[str],
    recorded_as_of: datetime, report_date: str = EFFECTIVE,
) -> MilestoneTrend:
    """The milestone trend of the chosen actors and waves (at least one): actors first, then waves."""
    if report_date not in REPORT_DATES:
        raise InvalidInput(f"report date must be {' or '.join(REPORT_DATES)}, not {report_date!r}",
                           field="reportDate")
    if not actors and not waves:
        raise InvalidInput("choose at least one actor or wave for the trend", field="actorIds")
    visible = [r for r in log if r.entry.programme == programme and r.recorded_at <= recorded_as_of]
    timeline = believed_timeline(visible, programme, recorded_as_of)
    latest = known(assemble(programme, timeline.snapshot(END_OF_TIME), END_OF_TIME, recorded_as_of),
                   programme, END_OF_TIME)
    _require_known(latest, actors, waves)

    def candidates(relevant: Relevant) -> list[_Candidate]:
        if report_date == EFFECTIVE:
            return _as_believed_now(visible, audit, timeline, recorded_as_of, relevant)
        return _as_recorded_then(visible, relevant)

    series = [_actor_series(latest, actor, candidates) for actor in actors]
    series += [_wave_series(latest, wave, candidates) for wave in waves]
    return MilestoneTrend(programme, recorded_as_of, report_date, tuple(series))


def split_subjects(latest: ProgrammePlan, names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Sort names into actor and wave ids; `actor:ID` or `wave:ID` settles an id that is both."""
    actors: list[str] = []
    waves: list[str] = []
    for name in names:
        kind, _, subject = name.partition(":") if name.startswith(("actor:", "wave:")) else ("", "", name)
        is_actor = latest.actor(subject) is not None and kind != "wave"
        is_wave = latest.wave(subject) is not None and kind != "actor"
        if is_actor and is_wave:
            raise InvalidInput(f"{subject!r} is both an actor and a wave; write actor:{subject} or wave:{subject}",
                               field="subject")
        if not (is_actor or is_wave):
            raise UnknownReference(f"programme {latest.id!r} has no actor or wave {subject!r}", field="subject")
        (actors if is_actor else waves).append(subject)
    return actors, waves


def _require_known(latest: ProgrammePlan, actors: Sequence[str], waves: Sequence[str]) -> None:
    for field, chosen, find in (("actorIds", actors, latest.actor), ("waveIds", waves, latest.wave)):
        missing = [subject for subject in chosen if find(subject) is None]
        if missing:
            kind = "actor" if field == "actorIds" else "wave"
            raise UnknownReference(
                f"programme {latest.id!r} has no {kind} {', '.join(map(repr, missing))}", field=field)


def _as_believed_now(
    visible: Sequence[RecordedEntry], audit: AuditView, timeline: Timeline, moment: datetime, relevant: Relevant,
) -> list[_Candidate]:
    """Report date = effective date: the entries still believed at `moment`, in effective order.

    Retracted and corrected entries stay out (their correction stands in, at the date of the
    entry it corrects), and every forecast is read from what is believed at `moment`.
    """
    found = []
    for recorded in visible:
        change = recorded.entry.change
        if isinstance(change, EntryRetracted) or _overruled(audit, recorded.entry_id, moment):
            continue
        if not relevant(recorded, timeline):
            continue
        # A correction stands at the date of the entry it corrects, as the belief function says.
        effective = fact_changes(recorded.entry, recorded.seq, timeline.effective_of).effective
        found.append(_Candidate(recorded, effective, effective, timeline.snapshot(effective)))
    return sorted(found, key=lambda c: (c.effective, c.recorded.position))


def _as_recorded_then(visible: Sequence[RecordedEntry], relevant: Relevant) -> list[_Candidate]:
    """Report date = recording day: every entry in recording order, read as the ledger knew it then.

    A statement later corrected keeps its point on the day it was recorded, with what it said;
    the correction adds a point on its own recording day, and a retraction one where the
    forecast falls back.
    """
    timeline = Timeline()
    by_seq: dict[int, RecordedEntry] = {}
    found = []
    for recorded in visible:  # position order is recording order
        changes = fact_changes(recorded.entry, recorded.seq, timeline.effective_of)
        timeline.apply(changes)
        by_seq[recorded.seq] = recorded
        change = recorded.entry.change
        target = None if (closes := closed_target(change)) is None else by_seq.get(closes)
        if relevant(target or recorded, timeline):
            found.append(_Candidate(recorded, recorded.recorded_at.date(), changes.effective,
                                    timeline.snapshot(changes.effective)))
    return found


def _overruled(audit: AuditView, entry_id: str, moment: datetime) -> bool:
    view = audit.get(entry_id)
    if view is None:
        return False
    later = [*view.corrected_by, *([view.retracted_by] if view.retracted_by else [])]
    return any((e := audit.get(other)) is not None and e.recorded_at <= moment for other in later)


def _actor_series(
    latest: ProgrammePlan, actor: str, candidates: Callable[[Relevant], list[_Candidate]],
) -> TrendSeries:
    view = latest.actor(actor)
    assert view is not None  # checked by _require_known

    def window(plan: ProgrammePlan) -> PlannedWindow | None:
        state = plan.actor(actor)
        return state.planned if state and state.status != LIVE else None

    found = candidates(lambda recorded, timeline: is_relevant(recorded, actor, timeline))
    return TrendSeries("actor", actor, view.name, _points(latest.id, found, window), view.go_live)


def _wave_series(
    latest: ProgrammePlan, wave: str, candidates: Callable[[Relevant], list[_Candidate]],
) -> TrendSeries:
    view = latest.wave(wave)
    assert view is not None  # checked by _require_known

    def window(plan: ProgrammePlan) -> PlannedWindow | None:
        state = plan.wave(wave)
        return state.planned if state else None

    found = candidates(lambda recorded, _timeline: _touches_wave(recorded, wave))
    return TrendSeries("wave", wave, view.code, _points(latest.id, found, window), wave_actual(view, latest))


def _touches_wave(recorded: RecordedEntry, wave: str) -> bool:
    return any(key == ("wave", wave, "window") for key, _value in stated_facts(recorded.entry, recorded.seq))


def _points(programme: str, candidates: Sequence[_Candidate], window: Window) -> tuple[TrendPoint, ...]:
    """One point per candidate that changed the window; none once the subject is live."""
    points: list[TrendPoint] = []
    for candidate in candidates:
        plan = assemble(programme, candidate.facts, candidate.effective, candidate.recorded.recorded_at)
        planned = window(plan) if plan else None
        if planned is None or (points and points[-1].planned == planned):
            continue
        entry = candidate.recorded.entry
        points.append(TrendPoint(
            reported=candidate.reported, planned=planned, entry_id=candidate.recorded.entry_id,
            type=entry.change.TYPE, source=entry.provenance.source.title if entry.provenance.source else None,
            recorded_by=entry.provenance.recorded_by,
        ))
    return tuple(sorted(points, key=lambda p: p.reported))  # stable: same-day reports keep their order
