"""GraphQL object types, built once per request from the read side's views.

Leaf fields are plain attributes on these precomputed objects; only fields that take
arguments or need more data (an actor's history) have resolvers.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from ledger.entry import entry_id
from ledger.values import PlannedWindow as PlannedWindowValue
from ledger.values import Source as SourceValue
from ledger_server import proofs
from projections import audit
from projections import baseline_history as baseline_views
from projections import compare as comparison_views
from projections import history as history_views
from projections import plan as views

if TYPE_CHECKING:
    from ledger_server.context import LedgerContext


@strawberry.type(description="A planned date as its source gave it: bounds, precision and the source's words.")
class PlannedWindow:
    earliest: date | None
    latest: date | None
    precision: str
    label: str
    at: str | None = strawberry.field(
        description='The local time of day and time zone the source gave ("22:00 Europe/Oslo"), on a one-day window')

    @classmethod
    def of(cls, window: PlannedWindowValue | None) -> PlannedWindow | None:
        if window is None:
            return None
        return cls(earliest=window.earliest, latest=window.latest, precision=window.precision.value, label=window.label,
                   at=str(window.at) if window.at else None)


@strawberry.type(description="The document an entry comes from.")
class Source:
    title: str
    publisher: str | None
    url: str | None
    reference: str | None
    published_on: date | None
    updated_on: date | None

    @classmethod
    def of(cls, source: SourceValue | None) -> Source | None:
        if source is None:
            return None
        return cls(
            title=source.title, publisher=source.publisher, url=source.url, reference=source.reference,
            published_on=source.published_on, updated_on=source.updated_on,
        )


@strawberry.type(description="A short reference to an actor.")
class ActorRef:
    id: strawberry.ID
    name: str


@strawberry.type(description="A short reference to a wave.")
class WaveRef:
    id: strawberry.ID
    code: str


@strawberry.type(description="One entry in an actor's history and the plan it left behind.")
class ActorRevision:
    entry: Annotated[LedgerEvent, strawberry.lazy("ledger_server.types")]
    effective: date
    wave: str | None
    planned: PlannedWindow | None
    status: str | None
    note: str | None


@strawberry.type(description="One entry that named or adopted a baseline, and the current baseline it left.")
class BaselineRevision:
    entry: Annotated[LedgerEvent, strawberry.lazy("ledger_server.types")]
    effective: date
    name: str = strawberry.field(description="The baseline the entry names or adopts")
    as_of: date | None = strawberry.field(description="The date of the plan that baseline stands for")
    current: str | None = strawberry.field(description="The current (adopted) baseline right after the entry")
    note: str | None = strawberry.field(description="Later corrections or retractions, or what a correction corrects")


@strawberry.type(description="An organisation in the programme, as it stood on the as-of date.")
class Actor:
    id: strawberry.ID
    name: str
    kind: str
    county: str | None
    parent: ActorRef | None
    status: str = strawberry.field(
        description="planned, scheduled (on its own window), rescheduled, postponed, unscheduled, overdue "
                    "(its window's latest day has passed with no go-live), live, withdrawn or registered")
    wave: WaveRef | None
    planned_go_live: PlannedWindow | None
    go_live_date: date | None
    go_live_at: str | None = strawberry.field(
        description='The local time of day of the go-live, where the source gave one ("22:00 Europe/Oslo")')
    days_overdue: int | None = strawberry.field(
        description="Days since the planned window's latest day, when the status is overdue")
    member: bool
    programme_id: strawberry.Private[str]
    recorded_as_of: strawberry.Private[datetime]

    @strawberry.field(description="Every entry that changed this actor's plan, as known at the query's recordedAsOf.")
    async def history(self, info: strawberry.Info[LedgerContext, None]) -> list[ActorRevision]:
        revisions = await info.context.reader.actor_history(self.programme_id, str(self.id), self.recorded_as_of)
        return [revision_of(r) for r in revisions]


@strawberry.type(description="A production wave (go-live batch) on the as-of date.")
class Wave:
    id: strawberry.ID
    code: str
    name: str | None
    planned_go_live: PlannedWindow | None
    status: str = strawberry.field(
        description="planned, overdue (its latest day has passed and no member is live), partly live, live or empty")
    days_overdue: int | None = strawberry.field(
        description="Days since the wave's latest planned day, when the status is overdue")
    actors: list[ActorRef]


@strawberry.type(description="A deliverable or milestone.")
class Deliverable:
    id: strawberry.ID
    name: str
    planned: PlannedWindow | None
    completed_on: date | None


@strawberry.type(description="Money set aside from a reserve for a purpose.")
class Allocation:
    id: strawberry.ID
    purpose: str
    amount: Decimal
    released: Decimal
    cost: Decimal
    actors: list[strawberry.ID]
    made_on: date


@strawberry.type(description="A cost reserve with what is allocated and what remains on the as-of date.")
class Reserve:
    id: strawberry.ID
    name: str
    total: Decimal
    allocated: Decimal
    remaining: Decimal
    allocations: list[Allocation]


@strawberry.type(description="A named baseline: the plan as of a date.")
class Baseline:
    name: str
    as_of: date
    description: str | None
    adopted_on: date | None = strawberry.field(
        description="The effective date of its latest adoption as the current baseline (re-baselining), if adopted")


@strawberry.type(description="A dated statement or finding linked to actors.")
class Statement:
    made_on: date
    kind: str
    title: str
    summary: str
    by: str | None
    actors: list[strawberry.ID]


@strawberry.type(description="A fact in force that the plan has no view of its own for (a newer entry type's).")
class OtherFact:
    family: str
    subject: str
    attribute: str
    effective: date
    entry_id: strawberry.ID = strawberry.field(description="The entry that stated it")
    summary: str


@strawberry.type(description="What the ledger believes about a programme on asOf, as recorded by recordedAsOf.")
class Programme:
    id: strawberry.ID
    name: str
    owner: str
    description: str | None
    strategic_goal: str | None
    segment: str | None
    contact: str | None
    status: str | None
    risk: str | None
    risks: list[str]
    as_of: date
    recorded_as_of: datetime
    waves: list[Wave]
    deliverables: list[Deliverable]
    deliverables_completed: int
    reserves: list[Reserve]
    baselines: list[Baseline]
    current_baseline: Baseline | None = strawberry.field(
        description="The baseline adopted most recently by asOf (re-baselining), if one has been adopted")
    statements: list[Statement]
    all_actors: strawberry.Private[list[Actor]]
    other_facts: list[OtherFact] = strawberry.field(
        description="Facts of families the plan has no view for, so that no entry type is silently left out")

    @strawberry.field(description="Actors, optionally only of one kind or status.")
    def actors(self, kind: str | None = None, status: str | None = None) -> list[Actor]:
        return [
            a for a in self.all_actors if (kind is None or a.kind == kind) and (status is None or a.status == status)
        ]

    @strawberry.field(description="One actor, or null if it is not known on the as-of date.")
    def actor(self, id: strawberry.ID) -> Actor | None:
        return next((a for a in self.all_actors if a.id == id), None)

    @strawberry.field(description="One wave, or null if it is not known on the as-of date.")
    def wave(self, id: strawberry.ID) -> Wave | None:
        return next((w for w in self.waves if w.id == id), None)

    @strawberry.field(description="Every entry that named or adopted a baseline (re-baselining), in effective "
                                  "order, as known at the query's recordedAsOf.")
    async def baseline_history(self, info: strawberry.Info[LedgerContext, None]) -> list[BaselineRevision]:
        revisions = await info.context.reader.baseline_history(str(self.id), self.recorded_as_of)
        return [baseline_revision_of(r) for r in revisions]


def _actor(view: views.ActorView, plan: views.ProgrammePlan) -> Actor:
    parent = plan.actor(view.parent) if view.parent else None
    wave = plan.wave(view.wave) if view.wave else None
    return Actor(
        id=strawberry.ID(view.id), name=view.name, kind=view.kind, county=view.county,
        parent=ActorRef(id=strawberry.ID(parent.id), name=parent.name) if parent else None,
        status=view.status,
        wave=WaveRef(id=strawberry.ID(wave.id), code=wave.code) if wave else None,
        planned_go_live=PlannedWindow.of(view.planned), go_live_date=view.go_live,
        go_live_at=str(view.go_live_at) if view.go_live_at else None, days_overdue=view.days_overdue,
        member=view.member,
        programme_id=plan.id, recorded_as_of=plan.recorded_as_of,
    )


def _baseline(view: views.BaselineView) -> Baseline:
    return Baseline(name=view.name, as_of=view.as_of, description=view.description, adopted_on=view.adopted_on)


def programme_of(plan: views.ProgrammePlan) -> Programme:
    """The GraphQL programme for a plan view."""
    names = {a.id: a.name for a in plan.actors}
    assessment = plan.assessment
    return Programme(
        id=strawberry.ID(plan.id), name=plan.name, owner=plan.owner, description=plan.description,
        strategic_goal=plan.strategic_goal, segment=plan.segment, contact=plan.contact,
        status=assessment.status if assessment else None, risk=assessment.risk if assessment else None,
        risks=list(assessment.risks) if assessment else [],
        as_of=plan.as_of, recorded_as_of=plan.recorded_as_of,
        waves=[
            Wave(id=strawberry.ID(w.id), code=w.code, name=w.name, planned_go_live=PlannedWindow.of(w.planned),
                 status=w.status, days_overdue=w.days_overdue,
                 actors=[ActorRef(id=strawberry.ID(a), name=names[a]) for a in w.actors])
            for w in plan.waves
        ],
        deliverables=[
            Deliverable(id=strawberry.ID(d.id), name=d.name, planned=PlannedWindow.of(d.planned),
                        completed_on=d.completed_on)
            for d in plan.deliverables
        ],
        deliverables_completed=plan.deliverables_completed,
        reserves=[
            Reserve(
                id=strawberry.ID(r.id), name=r.name, total=r.total, allocated=r.allocated, remaining=r.remaining,
                allocations=[
                    Allocation(id=strawberry.ID(a.id), purpose=a.purpose, amount=a.amount, released=a.released,
                               cost=a.cost, actors=[strawberry.ID(x) for x in a.actors], made_on=a.made_on)
                    for a in r.allocations
                ],
            )
            for r in plan.reserves
        ],
        baselines=[_baseline(b) for b in plan.baselines],
        current_baseline=_baseline(plan.current_baseline) if plan.current_baseline else None,
        statements=[
            Statement(made_on=s.made_on, kind=s.kind, title=s.title, summary=s.summary, by=s.by,
                      actors=[strawberry.ID(a) for a in s.actors])
            for s in plan.statements
        ],
        other_facts=[
            OtherFact(family=f.family, subject=f.subject, attribute=f.attribute, effective=f.effective,
                      entry_id=strawberry.ID(entry_id(plan.id, f.seq)), summary=f.summary)
            for f in plan.other_facts
        ],
        all_actors=[_actor(a, plan) for a in plan.actors],
    )


@strawberry.type(description="One entry of the ledger with its provenance and later fate.")
class LedgerEvent:
    id: strawberry.ID = strawberry.field(description="The entry id, programme:sequence")
    position: int = strawberry.field(description="Global position in the log")
    programme_id: strawberry.ID
    type: str
    effective: date
    recorded_at: datetime
    recorded_by: str
    key: str
    source: Source | None
    operational: bool = strawberry.field(description="Recorded live without a source document")
    deciding_body: str | None
    reason: str | None
    summary: str
    corrects: strawberry.ID | None = strawberry.field(description="The entry this one corrects or retracts")
    corrected_by: list[strawberry.ID]
    retracted_by: strawberry.ID | None
    data: JSON = strawberry.field(description="The entry's fields in the import format")

    @strawberry.field(description="Proof that this entry is in the log's tree of treeSize entries (default: all).")
    async def proof(
        self, info: strawberry.Info[LedgerContext, None], tree_size: int | None = None
    ) -> proofs.InclusionProof:
        return await proofs.inclusion_proof(info, str(self.id), self.position, tree_size)


def event_of(entry: audit.LogEntry) -> LedgerEvent:
    """The GraphQL view of a log entry."""
    return LedgerEvent(
        id=strawberry.ID(entry.entry_id), position=entry.position, programme_id=strawberry.ID(entry.programme),
        type=entry.type, effective=entry.effective, recorded_at=entry.recorded_at, recorded_by=entry.recorded_by,
        key=entry.key, source=Source.of(entry.source), operational=entry.operational,
        deciding_body=entry.deciding_body, reason=entry.reason, summary=entry.summary,
        corrects=strawberry.ID(entry.corrects) if entry.corrects else None,
        corrected_by=[strawberry.ID(e) for e in entry.corrected_by],
        retracted_by=strawberry.ID(entry.retracted_by) if entry.retracted_by else None,
        data=cast(JSON, entry.data),
    )


def baseline_revision_of(revision: baseline_views.BaselineRevision) -> BaselineRevision:
    """The GraphQL view of one baseline history row."""
    return BaselineRevision(entry=event_of(revision.entry), effective=revision.effective, name=revision.name,
                            as_of=revision.as_of, current=revision.current, note=revision.note)


def revision_of(revision: history_views.Revision) -> ActorRevision:
    """The GraphQL view of one history row."""
    return ActorRevision(
        entry=event_of(revision.entry), effective=revision.effective, wave=revision.wave,
        planned=PlannedWindow.of(revision.planned), status=revision.status, note=revision.note,
    )


@strawberry.type
class LedgerEventEdge:
    cursor: str
    node: LedgerEvent


@strawberry.type(description="Where a page sits in the whole result (Relay connection spec).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether entries follow this page (paging forward).")
    has_previous_page: bool = strawberry.field(
        description="Whether entries precede this page (paging backward with last/before; false paging forward).")
    start_cursor: str | None = strawberry.field(description="The first edge's cursor, for paging backward.")
    end_cursor: str | None = strawberry.field(description="The last edge's cursor, for paging forward.")


@strawberry.type(description="A page of the audit trail (Relay connection).")
class LedgerEventConnection:
    edges: list[LedgerEventEdge]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many entries match the filters, on every page together.")
    async def total_count(self) -> int:
        return await self._count()  # counted only when a client asks for it


def cursor_of(position: int) -> str:
    """An opaque cursor for a log position."""
    return base64.urlsafe_b64encode(f"position:{position}".encode()).decode()


def position_of(cursor: str) -> int | None:
    """The log position in a cursor, or None if it is not one of ours."""
    try:
        # A cursor is ASCII; anything else (a lone surrogate included) is not one of ours.
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (ValueError, UnicodeError):
        return None
    prefix, _, number = text.partition(":")
    if prefix != "position" or not number.isdigit() or len(number) > 18:  # positions are int64
        return None
    return int(number)


def connection_of(page: audit.LogPage, count: Callable[[], Awaitable[int]]) -> LedgerEventConnection:
    """A Relay connection for a log page; `count` gives the total number of matches when asked."""
    edges = [LedgerEventEdge(cursor=cursor_of(e.position), node=event_of(e)) for e in page.entries]
    info = PageInfo(has_next_page=page.has_more, has_previous_page=page.has_previous,
                    start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None)
    return LedgerEventConnection(edges=edges, page_info=info, _count=count)


STATUSES = "early, on time, late, not yet live, overdue, withdrawn or added"


@strawberry.type(description="One row's slip against the current (adopted) baseline.")
class BaselineSlip:
    baseline: PlannedWindow | None = strawberry.field(description="The row's window in the current baseline")
    slip_days_earliest: int | None = strawberry.field(description="Days against the earliest bound")
    slip_days_latest: int | None = strawberry.field(description="Days against the latest bound")
    slip_hours: float | None = strawberry.field(
        description="Hours against the planned moment, where both the baseline day and the go-live carry a time")
    status: str = strawberry.field(description=STATUSES)


@strawberry.type(description="One actor or wave in a comparison.")
class ComparisonRow:
    actor: ActorRef | None
    wave: WaveRef | None
    baseline: PlannedWindow | None
    current: PlannedWindow | None
    actual_go_live: date | None
    slip_days_earliest: int | None
    slip_days_latest: int | None
    slip_hours: float | None = strawberry.field(
        description="Hours against the baseline's planned moment, where both it and the go-live carry a time "
                    "(a go-live at 22:00 the evening before a day planned from 00:00 is -2)")
    days_overdue: int | None = strawberry.field(
        description="Days since the current window's latest day, while there is no go-live")
    status: str = strawberry.field(description=STATUSES)
    against_current: BaselineSlip | None = strawberry.field(
        description="The same row against the current (adopted) baseline; null when none is adopted")


@strawberry.type(description="How many actors have each status.")
class ComparisonSummary:
    early: int
    on_time: int
    late: int
    not_yet_live: int
    overdue: int = strawberry.field(description="Actors whose window has passed with no go-live")
    withdrawn: int
    added: int


@strawberry.type(description="A baseline set against the plan and the actual go-lives on a later date.")
class Comparison:
    baseline: str
    baseline_as_of: date
    against: date
    current_baseline: str | None = strawberry.field(
        description="The baseline adopted as current by the against date (re-baselining), if any")
    current_baseline_as_of: date | None = strawberry.field(description="The as-of date of the current baseline")
    rows: list[ComparisonRow]
    wave_rows: list[ComparisonRow]
    summary: ComparisonSummary


def _slip(slip: comparison_views.Slip) -> BaselineSlip:
    return BaselineSlip(baseline=PlannedWindow.of(slip.baseline), slip_days_earliest=slip.slip_days_earliest,
                        slip_days_latest=slip.slip_days_latest, slip_hours=slip.slip_hours, status=slip.status)


def comparison_of(result: comparison_views.Comparison, plan: views.ProgrammePlan) -> Comparison:
    """The GraphQL comparison; `plan` (on the against date) names the actors and waves."""
    codes = {w.id: w.code for w in plan.waves}

    def wave_ref(wave: str | None) -> WaveRef | None:
        return WaveRef(id=strawberry.ID(wave), code=codes.get(wave, wave)) if wave else None

    def row(r: comparison_views.ComparisonRow, is_actor: bool) -> ComparisonRow:
        return ComparisonRow(
            actor=ActorRef(id=strawberry.ID(r.subject), name=r.name) if is_actor else None,
            wave=wave_ref(r.wave), baseline=PlannedWindow.of(r.baseline), current=PlannedWindow.of(r.current),
            actual_go_live=r.actual, slip_days_earliest=r.slip_days_earliest, slip_days_latest=r.slip_days_latest,
            slip_hours=r.slip_hours, days_overdue=r.days_overdue, status=r.status,
            against_current=_slip(r.against_current) if r.against_current else None,
        )

    counts = result.summary
    return Comparison(
        baseline=result.baseline, baseline_as_of=result.baseline_as_of, against=result.against,
        current_baseline=result.current_baseline, current_baseline_as_of=result.current_baseline_as_of,
        rows=[row(r, True) for r in result.actors], wave_rows=[row(r, False) for r in result.waves],
        summary=ComparisonSummary(
            early=counts.get("early", 0), on_time=counts.get("on time", 0), late=counts.get("late", 0),
            not_yet_live=counts.get("not yet live", 0), overdue=counts.get("overdue", 0),
            withdrawn=counts.get("withdrawn", 0),
            added=counts.get("added", 0),
        ),
    )
