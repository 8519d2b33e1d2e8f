"""The plan of a programme on a date: views assembled from the facts in force.

`assemble` is shared by every read path (pure fold, in-memory index, PostgreSQL), so they
can only differ in which facts they find, never in what the facts mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from ledger.changes import (
    FOLLOWS_WAVE,
    POSTPONED,
    RESCHEDULED,
    SCHEDULED,
    UNSCHEDULED,
    ActorRegistered,
    AllocationMade,
    BaselineNamed,
    Change,
    DeliverablePlanned,
    GoLive,
    ProgrammeRegistered,
    Schedule,
    StatementRecorded,
    StatusAssessed,
    WavePlanned,
)
from ledger.errors import UnknownReference
from ledger.timeline import FactKey, Version
from ledger.values import LocalTime, PlannedWindow
from projections.costs import CostLine, EstimateView, cost_lines, estimate_views

Facts = Mapping[FactKey, Version]
END_OF_TIME = date.max  # as-of date for "everything ever planned" (baselines, registrations)

# Actor statuses (and "postponed", "unscheduled", "scheduled", "rescheduled": the schedule modes
# that take an actor off its wave's plan, each its own status).
LIVE, PLANNED, WITHDRAWN, REGISTERED = "live", "planned", "withdrawn", "registered"
OVERDUE = "overdue"  # the plan's latest day has passed with no go-live
OFF_WAVE = (POSTPONED, UNSCHEDULED, SCHEDULED, RESCHEDULED)


def days_overdue(window: PlannedWindow | None, as_of: date) -> int | None:
    """Days since the window's latest bound, when that lies before `as_of`; else None.

    A window with no latest bound ("after summer 2022") is never overdue: the source set no limit.
    """
    if window is None or window.latest is None or window.latest >= as_of:
        return None
    return (as_of - window.latest).days


@dataclass(frozen=True)
class ActorView:
    """An actor on the date: who it is, its wave, its planned window and whether it is live."""

    id: str
    name: str
    kind: str
    parent: str | None
    county: str | None
    status: str
    wave: str | None
    planned: PlannedWindow | None
    go_live: date | None
    member: bool
    go_live_at: LocalTime | None = None  # the local time of the go-live, where the source gave one
    days_overdue: int | None = None  # set when the status is overdue


@dataclass(frozen=True)
class WaveView:
    """A production wave on the date, with the actors planned in it."""

    id: str
    code: str
    name: str | None
    planned: PlannedWindow | None
    status: str
    actors: tuple[str, ...]
    days_overdue: int | None = None  # set when the status is overdue


@dataclass(frozen=True)
class DeliverableView:
    """A deliverable: its planned window and the day it was completed, if it was."""

    id: str
    name: str
    planned: PlannedWindow | None
    completed_on: date | None


@dataclass(frozen=True)
class AllocationView:
    """Money set aside from a reserve, what of it is released and what it has cost."""

    id: str
    reserve: str
    purpose: str
    amount: Decimal
    released: Decimal
    cost: Decimal
    actors: tuple[str, ...]
    made_on: date


@dataclass(frozen=True)
class ReserveView:
    """A cost reserve: total, allocated and remaining on the date."""

    id: str
    name: str
    total: Decimal
    allocated: Decimal
    remaining: Decimal
    allocations: tuple[AllocationView, ...]


@dataclass(frozen=True)
class StatementView:
    """A dated statement or finding."""

    seq: int
    made_on: date
    kind: str
    title: str
    summary: str
    by: str | None
    actors: tuple[str, ...]


@dataclass(frozen=True)
class BaselineView:
    """A named baseline: the plan as of a date."""

    name: str
    as_of: date
    description: str | None
    adopted_on: date | None = None  # the effective date of its latest adoption as the current baseline


@dataclass(frozen=True)
class AssessmentView:
    """The latest status and risk assessment."""

    status: str
    risk: str
    summary: str | None
    risks: tuple[str, ...]
    assessed_on: date


@dataclass(frozen=True)
class OtherFactView:
    """A fact in force of a family the plan has no view of its own for (a newer entry type's)."""

    family: str
    subject: str
    attribute: str
    effective: date
    seq: int  # the entry that stated it
    summary: str


# The families `assemble` shows in views of their own; facts of any other family are listed
# as `other_facts`, so a new entry type is never silently left out of a plan.
VIEWED_FAMILIES = frozenset({"programme", "actor", "wave", "deliverable", "reserve", "allocation", "statement",
                             "baseline", "budget", "estimate", "cost"})


@dataclass(frozen=True)
class ProgrammePlan:
    """Everything the ledger believes about a programme on `as_of`, as recorded by `recorded_as_of`."""

    id: str
    name: str
    owner: str
    description: str | None
    strategic_goal: str | None
    segment: str | None
    contact: str | None
    as_of: date
    recorded_as_of: datetime
    assessment: AssessmentView | None
    actors: tuple[ActorView, ...]
    waves: tuple[WaveView, ...]
    deliverables: tuple[DeliverableView, ...]
    reserves: tuple[ReserveView, ...]
    statements: tuple[StatementView, ...]
    baselines: tuple[BaselineView, ...]
    other_facts: tuple[OtherFactView, ...] = ()
    costs: tuple[CostLine, ...] = ()  # budgets, estimates and costs to date per scope
    estimates: tuple[EstimateView, ...] = ()
    current_baseline_name: str | None = None

    def actor(self, actor_id: str) -> ActorView | None:
        """The actor with this id, if known on the date."""
        return next((a for a in self.actors if a.id == actor_id), None)

    def wave(self, wave_id: str) -> WaveView | None:
        """The wave with this id, if known on the date."""
        return next((w for w in self.waves if w.id == wave_id), None)

    @property
    def current_baseline(self) -> BaselineView | None:
        """The baseline adopted most recently by the as-of date (re-baselining), if any was."""
        return next((b for b in self.baselines if b.name == self.current_baseline_name), None)

    def reserve(self, reserve_id: str) -> ReserveView | None:
        """The reserve with this id, if known on the date."""
        return next((r for r in self.reserves if r.id == reserve_id), None)

    @property
    def deliverables_completed(self) -> int:
        """How many deliverables are complete on the date."""
        return sum(1 for d in self.deliverables if d.completed_on is not None)


Grouped = dict[str, dict[str, dict[str, Version]]]  # kind -> subject -> attribute -> version


def _group(facts: Facts) -> Grouped:
    grouped: Grouped = {}
    for (kind, subject, attribute), version in facts.items():
        grouped.setdefault(kind, {}).setdefault(subject, {})[attribute] = version
    return grouped


def _subjects(grouped: Grouped, kind: str) -> list[tuple[str, dict[str, Version]]]:
    """The registered subjects of a kind (those with a profile), sorted by id."""
    return sorted((s, attrs) for s, attrs in grouped.get(kind, {}).items() if "profile" in attrs)


def _value(attrs: dict[str, Version], name: str) -> object:
    version = attrs.get(name)
    return None if version is None else version.value


def assemble(
    programme: str, facts: Facts, as_of: date, recorded_as_of: datetime
) -> ProgrammePlan | None:
    """The programme's plan from the facts in force; None if it is not registered by then."""
    profile = facts.get(("programme", "-", "profile"))
    if profile is None:
        return None
    assert isinstance(profile.value, ProgrammeRegistered)
    grouped = _group(facts)
    wave_windows = {
        wave: attrs["window"].value for wave, attrs in _subjects(grouped, "wave") if "window" in attrs
    }
    actors = tuple(_actor(slug, attrs, wave_windows, as_of) for slug, attrs in _subjects(grouped, "actor"))
    members: dict[str, list[ActorView]] = {}
    for actor, (_slug, attrs) in zip(actors, _subjects(grouped, "actor"), strict=True):
        # An actor off its wave's plan keeps its last wave for reference but no longer goes live with it.
        if actor.wave is not None and (actor.status == LIVE or _follows_wave(attrs)):
            members.setdefault(actor.wave, []).append(actor)
    registration = profile.value
    estimates = estimate_views(grouped.get("estimate", {}))
    return ProgrammePlan(
        id=programme,
        name=registration.name,
        owner=registration.owner,
        description=registration.description,
        strategic_goal=registration.strategic_goal,
        segment=registration.segment,
        contact=registration.contact,
        as_of=as_of,
        recorded_as_of=recorded_as_of,
        assessment=_assessment(facts.get(("programme", "-", "status"))),
        actors=actors,
        waves=tuple(_wave(slug, attrs, members.get(slug, []), as_of) for slug, attrs in _subjects(grouped, "wave")),
        deliverables=tuple(_deliverable(slug, attrs) for slug, attrs in _subjects(grouped, "deliverable")),
        reserves=_reserves(grouped),
        statements=_statements(grouped),
        baselines=_baselines(grouped),
        other_facts=_other_facts(facts),
        costs=cost_lines(grouped.get("budget", {}), estimates, grouped.get("cost", {})),
        estimates=estimates,
        current_baseline_name=_current_baseline(grouped),
    )


def _other_facts(facts: Facts) -> tuple[OtherFactView, ...]:
    found = [
        OtherFactView(family, subject, attribute, version.effective, version.seq,
                      version.value.describe() if isinstance(version.value, Change) else str(version.value))
        for (family, subject, attribute), version in facts.items()
        if family not in VIEWED_FAMILIES
    ]
    return tuple(sorted(found, key=lambda f: (f.family, f.subject, f.attribute)))


def _follows_wave(attrs: dict[str, Version]) -> bool:
    schedule = _value(attrs, "schedule")
    return not isinstance(schedule, Schedule) or schedule.mode == FOLLOWS_WAVE


def _actor_status(attrs: dict[str, Version], schedule: object, wave: object) -> str:
    if _value(attrs, "membership") == "left":
        return WITHDRAWN
    if "golive" in attrs:
        return LIVE
    if isinstance(schedule, Schedule) and schedule.mode in OFF_WAVE:
        return schedule.mode
    return PLANNED if wave is not None else REGISTERED


def _actor(slug: str, attrs: dict[str, Version], wave_windows: dict[str, object], as_of: date) -> ActorView:
    profile = attrs["profile"].value
    assert isinstance(profile, ActorRegistered)
    wave = _value(attrs, "wave")
    schedule = _value(attrs, "schedule")
    membership = _value(attrs, "membership")
    go_live = attrs.get("golive")
    planned: object = None
    if isinstance(schedule, Schedule):
        planned = wave_windows.get(str(wave)) if schedule.mode == FOLLOWS_WAVE else schedule.window
    window = planned if isinstance(planned, PlannedWindow) else None
    status = _actor_status(attrs, schedule, wave)
    overdue = days_overdue(window, as_of) if status in (PLANNED, *OFF_WAVE) else None
    return ActorView(
        id=slug,
        name=profile.name,
        kind=profile.kind.value,
        parent=profile.parent,
        county=profile.county,
        status=OVERDUE if overdue is not None else status,
        wave=None if wave is None else str(wave),
        planned=window,
        go_live=None if go_live is None else go_live.effective,
        member=membership == "member",
        go_live_at=go_live.value.at if go_live is not None and isinstance(go_live.value, GoLive) else None,
        days_overdue=overdue,
    )


def _wave(slug: str, attrs: dict[str, Version], member_views: list[ActorView], as_of: date) -> WaveView:
    profile = attrs["profile"].value
    assert isinstance(profile, WavePlanned)
    members = tuple(a.id for a in member_views)
    live = sum(1 for a in member_views if a.status == LIVE)
    if not members:
        status = "empty"
    elif live == len(members):
        status = "live"
    else:
        status = "partly live" if live else "planned"
    window = _value(attrs, "window")
    planned = window if isinstance(window, PlannedWindow) else None
    # Overdue only while none of it is live: "partly live" already says the wave is under way.
    overdue = days_overdue(planned, as_of) if status == "planned" else None
    return WaveView(
        id=slug,
        code=profile.code,
        name=profile.name,
        planned=planned,
        status=OVERDUE if overdue is not None else status,
        actors=members,
        days_overdue=overdue,
    )


def _deliverable(slug: str, attrs: dict[str, Version]) -> DeliverableView:
    profile = attrs["profile"].value
    assert isinstance(profile, DeliverablePlanned)
    window = _value(attrs, "window")
    completed = attrs.get("completed")
    return DeliverableView(
        id=slug,
        name=profile.name,
        planned=window if isinstance(window, PlannedWindow) else None,
        completed_on=None if completed is None else completed.effective,
    )


def _sum(attrs: dict[str, Version], prefix: str) -> Decimal:
    total = Decimal(0)
    for name, version in attrs.items():
        if name.startswith(prefix):
            assert isinstance(version.value, Decimal)
            total += version.value
    return total


def _reserves(grouped: Grouped) -> tuple[ReserveView, ...]:
    by_reserve: dict[str, list[AllocationView]] = {}
    for slug, attrs in _subjects(grouped, "allocation"):
        profile = attrs["profile"]
        assert isinstance(profile.value, AllocationMade)
        amount = _value(attrs, "amount")
        assert isinstance(amount, Decimal)
        by_reserve.setdefault(profile.value.reserve, []).append(
            AllocationView(
                id=slug,
                reserve=profile.value.reserve,
                purpose=profile.value.purpose,
                amount=amount,
                released=_sum(attrs, "release:"),
                cost=_sum(attrs, "cost:"),
                actors=profile.value.actors,
                made_on=profile.effective,
            )
        )
    views = []
    for slug, attrs in _subjects(grouped, "reserve"):
        name = attrs["profile"].value.name  # type: ignore[attr-defined]
        total = _value(attrs, "total")
        assert isinstance(total, Decimal)
        allocations = tuple(by_reserve.get(slug, ()))
        allocated = sum((a.amount for a in allocations), Decimal(0))
        views.append(ReserveView(slug, name, total, allocated, total - allocated, allocations))
    return tuple(views)


def _statements(grouped: Grouped) -> tuple[StatementView, ...]:
    views = []
    for _slug, attrs in _subjects(grouped, "statement"):
        version = attrs["profile"]
        statement = version.value
        assert isinstance(statement, StatementRecorded)
        views.append(
            StatementView(
                seq=version.seq,
                made_on=version.effective,
                kind=statement.kind,
                title=statement.title,
                summary=statement.summary,
                by=statement.by,
                actors=statement.actors,
            )
        )
    return tuple(sorted(views, key=lambda s: (s.made_on, s.seq)))


def _current_baseline(grouped: Grouped) -> str | None:
    """The latest adoption in force (by effective date, then by entry): re-adopting an older one counts."""
    adoptions = [attrs["adopted"] for _slug, attrs in _subjects(grouped, "baseline") if "adopted" in attrs]
    latest = max(adoptions, key=lambda version: (version.effective, version.seq), default=None)
    return None if latest is None else str(latest.value)


def _baselines(grouped: Grouped) -> tuple[BaselineView, ...]:
    views = []
    for _slug, attrs in _subjects(grouped, "baseline"):
        baseline = attrs["profile"].value
        assert isinstance(baseline, BaselineNamed)
        adopted = attrs.get("adopted")
        views.append(BaselineView(baseline.name, baseline.as_of, baseline.description,
                                  None if adopted is None else adopted.effective))
    return tuple(views)


def _assessment(version: Version | None) -> AssessmentView | None:
    if version is None:
        return None
    assessment = version.value
    assert isinstance(assessment, StatusAssessed)
    return AssessmentView(
        assessment.status, assessment.risk, assessment.summary, assessment.risks, version.effective
    )


def known(
    plan: ProgrammePlan | None, programme: str, as_of: date, recorded_later: datetime | None = None,
) -> ProgrammePlan:
    """The plan, or an error saying why the programme has none: unknown, not yet registered on
    `as_of`, or (when `recorded_later` is the moment asked about) not yet recorded then."""
    if plan is not None:
        return plan
    if recorded_later is not None:
        raise UnknownReference(
            f"programme {programme!r} was not yet recorded at {recorded_later.isoformat()}", field="programme")
    if as_of == END_OF_TIME:
        raise UnknownReference(f"programme {programme!r} is not known", field="programme")
    raise UnknownReference(f"programme {programme!r} is not known on {as_of}", field="programme")


def require_actor(latest: ProgrammePlan, actor: str) -> None:
    """Raise NOT_FOUND unless the actor is registered in the programme (at any date)."""
    if latest.actor(actor) is None:
        raise UnknownReference(f"actor {actor!r} is not registered in {latest.id!r}", field="actor")
