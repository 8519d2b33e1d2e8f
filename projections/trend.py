"""Milestone trend: how the forecast go-live of chosen actors and waves moved, report by report.

This is the milestone trend analysis (MTA) of project control: for each subject, one point per
entry that changed its planned go-live, placed at the entry's report date (its effective date,
or the day it was recorded when asked "as recorded"), ending at the actual go-live. A forecast
is the subject's planned window right after the entry took effect, as the ledger believes it at
`recorded_as_of`; entries retracted or corrected by then stay out, and a correction counts at
the date of the entry it corrects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ledger.application import RecordedEntry
from ledger.belief import target_seq
from ledger.changes import EntryCorrected, EntryRetracted
from ledger.errors import InvalidInput, UnknownReference
from ledger.timeline import Timeline
from ledger.values import PlannedWindow
from projections.audit import AuditLog
from projections.compare import wave_actual
from projections.fold import believed_timeline
from projections.history import is_relevant
from projections.plan import END_OF_TIME, LIVE, ProgrammePlan, assemble, known

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


def milestone_trend(
    log: Sequence[RecordedEntry], audit: AuditLog, programme: str, actors: Sequence[str], waves: Sequence[str],
    recorded_as_of: datetime, report_date: str = EFFECTIVE,
) -> MilestoneTrend:
    """The milestone trend of the chosen actors and waves (at least one), in the order given."""
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
    believed = _believed_entries(visible, audit, timeline, recorded_as_of)
    series = [_actor_series(latest, actor, believed, timeline, report_date) for actor in actors]
    series += [_wave_series(latest, wave, believed, timeline, report_date) for wave in waves]
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


@dataclass(frozen=True)
class _Believed:
    """An entry still believed, with the date its statement is in force from."""

    recorded: RecordedEntry
    effective: date


def _believed_entries(
    visible: Sequence[RecordedEntry], audit: AuditLog, timeline: Timeline, moment: datetime
) -> list[_Believed]:
    """Entries whose statement stands at `moment`: neither retracted nor corrected by then."""
    found = []
    for recorded in visible:
        change = recorded.entry.change
        if isinstance(change, EntryRetracted):
            continue
        if _overruled(audit, recorded.entry_id, moment):
            continue
        effective = recorded.entry.effective
        if isinstance(change, EntryCorrected):
            effective = timeline.effective_of(target_seq(change)) or effective
        found.append(_Believed(recorded, effective))
    return sorted(found, key=lambda b: (b.effective, b.recorded.position))


def _overruled(audit: AuditLog, entry_id: str, moment: datetime) -> bool:
    view = audit.get(entry_id)
    if view is None:
        return False
    later = [*view.corrected_by, *([view.retracted_by] if view.retracted_by else [])]
    return any((e := audit.get(other)) is not None and e.recorded_at <= moment for other in later)


def _actor_series(
    latest: ProgrammePlan, actor: str, believed: Sequence[_Believed], timeline: Timeline, report_date: str,
) -> TrendSeries:
    view = latest.actor(actor)
    assert view is not None  # checked by _require_known
    relevant = [b for b in believed if is_relevant(b.recorded, actor, timeline)]

    def window(plan: ProgrammePlan) -> PlannedWindow | None:
        state = plan.actor(actor)
        return state.planned if state and state.status != LIVE else None

    points = _points(latest.id, relevant, timeline, window, report_date)
    return TrendSeries("actor", actor, view.name, points, view.go_live)


def _wave_series(
    latest: ProgrammePlan, wave: str, believed: Sequence[_Believed], timeline: Timeline, report_date: str,
) -> TrendSeries:
    view = latest.wave(wave)
    assert view is not None  # checked by _require_known
    relevant = [b for b in believed if _touches_wave(b.recorded, wave)]

    def window(plan: ProgrammePlan) -> PlannedWindow | None:
        state = plan.wave(wave)
        return state.planned if state else None

    points = _points(latest.id, relevant, timeline, window, report_date)
    return TrendSeries("wave", wave, view.code, points, wave_actual(view, latest))


def _touches_wave(recorded: RecordedEntry, wave: str) -> bool:
    change = recorded.entry.change
    if isinstance(change, EntryCorrected):
        change = change.replacement
    return any(key == ("wave", wave, "window") for key, _value in change.facts(recorded.seq))


def _points(
    programme: str, relevant: Sequence[_Believed], timeline: Timeline, window: Window, report_date: str,
) -> tuple[TrendPoint, ...]:
    """One point per relevant entry that changed the window; none once the subject is live."""
    points: list[TrendPoint] = []
    for believed in relevant:
        plan = assemble(programme, timeline.snapshot(believed.effective), believed.effective,
                        believed.recorded.recorded_at)
        planned = window(plan) if plan else None
        if planned is None or (points and points[-1].planned == planned):
            continue
        entry = believed.recorded.entry
        reported = believed.effective if report_date == EFFECTIVE else believed.recorded.recorded_at.date()
        points.append(TrendPoint(
            reported=reported, planned=planned, entry_id=believed.recorded.entry_id, type=entry.change.TYPE,
            source=entry.provenance.source.title if entry.provenance.source else None,
            recorded_by=entry.provenance.recorded_by,
        ))
    return tuple(sorted(points, key=lambda p: p.reported))
