"""GraphQL object types, built once per request from the read side's views.

Leaf fields are plain attributes on these precomputed objects; only fields that take
arguments or need more data (an actor's history) have resolvers.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from ledger.entry import entry_id
from ledger.values import PlannedWindow as PlannedWindowValue
from ledger.values import Source as SourceValue
from ledger_server import proofs
from ledger_server.money_types import CostComparisonRow, Reserve, cost_comparison_row_of, reserve_of
from projections import audit
from projections import baseline_history as baseline_views
from projections import compare as comparison_views
from projections import history as history_views
from projections import plan as views

if TYPE_CHECKING:
    from ledger_server.context import LedgerContext

# The help of the window's and the source's fields is declared once, beside the values.
WINDOW_HELP, SOURCE_HELP = PlannedWindowValue.FIELD_HELP, SourceValue.FIELD_HELP


@strawberry.type(description="A planned date as its source gave it: bounds, precision and the source's words.")
class PlannedWindow:
    earliest: date | None = strawberry.field(description=WINDOW_HELP["earliest"])
    latest: date | None = strawberry.field(description=WINDOW_HELP["latest"])
    precision: str = strawberry.field(
        description="How exactly the source stated the window: day, month, quarter, half, season, year or window.")
    label: str = strawberry.field(description=WINDOW_HELP["label"])
    at: str | None = strawberry.field(description=WINDOW_HELP["at"])

    @classmethod
    def of(cls, window: PlannedWindowValue | None) -> PlannedWindow | None:
        if window is None:
            return None
        return cls(earliest=window.earliest, latest=window.latest, precision=window.precision.value, label=window.label,
                   at=str(window.at) if window.at else None)


@strawberry.type(description="The document an entry comes from.")
class Source:
    title: str = strawberry.field(description=SOURCE_HELP["title"])
    publisher: str | None = strawberry.field(description=SOURCE_HELP["publisher"])
    url: str | None = strawberry.field(description=SOURCE_HELP["url"])
    reference: str | None = strawberry.field(description=SOURCE_HELP["reference"])
    published_on: date | None = strawberry.field(description=SOURCE_HELP["published_on"])
    updated_on: date | None = strawberry.field(description=SOURCE_HELP["updated_on"])

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
    id: strawberry.ID = strawberry.field(description="The actor's id (a lower-case slug).")
    name: str = strawberry.field(description="The actor's name.")


@strawberry.type(description="A short reference to a wave.")
class WaveRef:
    id: strawberry.ID = strawberry.field(description="The wave's id (a lower-case slug).")
    code: str = strawberry.field(description="The wave's short code, such as \"PD5\".")


@strawberry.type(description="One entry in an actor's history and the plan it left behind.")
class ActorRevision:
    entry: Annotated[LedgerEvent, strawberry.lazy("ledger_server.types")] = strawberry.field(
        description="The entry that changed the actor's plan.")
    effective: date = strawberry.field(description="The entry's effective date: from this day the plan below held.")
    wave: str | None = strawberry.field(
        description="The id of the wave the actor was in after the entry; null when in none.")
    planned: PlannedWindow | None = strawberry.field(
        description="The actor's planned go-live window after the entry; null when it had none (unscheduled, or "
                    "live).")
    status: str | None = strawberry.field(
        description="The actor's status after the entry (planned, postponed, unscheduled, live, withdrawn or "
                    "registered); null when not yet known.")
    note: str | None = strawberry.field(
        description="\"corrected by ...\" or \"retracted by ...\" when a later entry replaced or withdrew this "
                    "one; null otherwise.")


@strawberry.type(description="One entry that named or adopted a baseline, and the current baseline it left.")
class BaselineRevision:
    entry: Annotated[LedgerEvent, strawberry.lazy("ledger_server.types")] = strawberry.field(
        description="The entry that named or adopted the baseline.")
    effective: date = strawberry.field(description="The entry's effective date.")
    name: str = strawberry.field(description="The baseline the entry names or adopts")
    as_of: date | None = strawberry.field(description="The date of the plan that baseline stands for")
    current: str | None = strawberry.field(description="The current (adopted) baseline right after the entry")
    note: str | None = strawberry.field(description="Later corrections or retractions, or what a correction corrects")


@strawberry.type(description="An organisation in the programme, as it stood on the as-of date.")
class Actor:
    id: strawberry.ID = strawberry.field(description="The actor's id (a lower-case slug).")
    name: str = strawberry.field(description="The organisation's name.")
    kind: str = strawberry.field(
        description="What sort of organisation it is: one of the ActorKind values, in lower case (health_trust, "
                    "municipality, ...).")
    county: str | None = strawberry.field(description="The county it lies in; null when not recorded.")
    parent: ActorRef | None = strawberry.field(
        description="The actor it belongs to (a trust's regional authority); null when it stands alone.")
    status: str = strawberry.field(
        description="planned, scheduled (on its own window), rescheduled, postponed, unscheduled, overdue "
                    "(its window's latest day has passed with no go-live), live, withdrawn or registered")
    wave: WaveRef | None = strawberry.field(
        description="The wave it is planned with on the as-of date; null when in none.")
    planned_go_live: PlannedWindow | None = strawberry.field(
        description="Its planned go-live window on the as-of date (its wave's, or its own when postponed); null when "
                    "unscheduled or not planned.")
    go_live_date: date | None = strawberry.field(
        description="The day it went live, if that is on or before the as-of date; null otherwise.")
    go_live_at: str | None = strawberry.field(
        description='The local time of day of the go-live, where the source gave one ("22:00 Europe/Oslo")')
    days_overdue: int | None = strawberry.field(
        description="Days since the planned window's latest day, when the status is overdue")
    member: bool = strawberry.field(description="Whether it has joined the rollout and not left it, on the as-of date.")
    programme_id: strawberry.Private[str]
    recorded_as_of: strawberry.Private[datetime]

    @strawberry.field(description="Every entry that changed this actor's plan, as known at the query's recordedAsOf.")
    async def history(self, info: strawberry.Info[LedgerContext, None]) -> list[ActorRevision]:
        revisions = await info.context.reader.actor_history(self.programme_id, str(self.id), self.recorded_as_of)
        return [revision_of(r) for r in revisions]


@strawberry.type(description="A production wave (go-live batch) on the as-of date.")
class Wave:
    id: strawberry.ID = strawberry.field(description="The wave's id (a lower-case slug).")
    code: str = strawberry.field(description="The wave's short code, such as \"PD5\".")
    name: str | None = strawberry.field(description="The wave's longer name; null when it has none.")
    planned_go_live: PlannedWindow | None = strawberry.field(
        description="The wave's planned go-live window on the as-of date.")
    status: str = strawberry.field(
        description="planned, overdue (its latest day has passed and no member is live), partly live, live or empty")
    days_overdue: int | None = strawberry.field(
        description="Days since the wave's latest planned day, when the status is overdue")
    actors: list[ActorRef] = strawberry.field(description="The actors planned with the wave on the as-of date.")


@strawberry.type(description="A deliverable or milestone.")
class Deliverable:
    id: strawberry.ID = strawberry.field(description="The deliverable's id (a lower-case slug).")
    name: str = strawberry.field(description="What is to be delivered.")
    planned: PlannedWindow | None = strawberry.field(description="Its planned window on the as-of date.")
    completed_on: date | None = strawberry.field(
        description="The day it was completed, if on or before the as-of date; null otherwise.")


@strawberry.type(description="A named baseline: the plan as of a date.")
class Baseline:
    name: str = strawberry.field(
        description="The baseline's name, such as \"original plan\"; comparison(baseline:) takes it.")
    as_of: date = strawberry.field(description="The date whose plan the baseline is.")
    description: str | None = strawberry.field(description="Why this plan is a baseline; null when not given.")
    adopted_on: date | None = strawberry.field(
        description="The effective date of its latest adoption as the current baseline (re-baselining), if adopted")


@strawberry.type(description="A dated statement or finding linked to actors.")
class Statement:
    made_on: date = strawberry.field(description="The day the statement was made (its effective date).")
    kind: str = strawberry.field(description="What sort of statement it is, such as statement, audit or finding.")
    title: str = strawberry.field(description="The statement's title.")
    summary: str = strawberry.field(description="What it says, in short.")
    by: str | None = strawberry.field(description="Who made it; null when not recorded.")
    actors: list[strawberry.ID] = strawberry.field(
        description="The ids of the actors it concerns; empty when it concerns the programme as a whole.")


@strawberry.type(description="A fact in force that the plan has no view of its own for (a newer entry type's).")
class OtherFact:
    family: str = strawberry.field(description="The fact family the entry type declares, such as risk.")
    subject: str = strawberry.field(description="The subject's id within the family.")
    attribute: str = strawberry.field(description="Which attribute of the subject the fact sets.")
    effective: date = strawberry.field(description="The day the fact took effect.")
    entry_id: strawberry.ID = strawberry.field(description="The entry that stated it")
    summary: str = strawberry.field(description="The fact in one line, as the entry type describes itself.")


@strawberry.type(description="What the ledger believes about a programme on asOf, as recorded by recordedAsOf.")
class Programme:
    id: strawberry.ID = strawberry.field(description="The programme's id (a lower-case slug).")
    name: str = strawberry.field(description="The programme's name.")
    owner: str = strawberry.field(description="The organisation that owns the programme.")
    description: str | None = strawberry.field(description="What the programme delivers; null when not recorded.")
    strategic_goal: str | None = strawberry.field(description="The strategic goal it serves; null when not recorded.")
    segment: str | None = strawberry.field(
        description="The portfolio segment it is filed under; null when not recorded.")
    contact: str | None = strawberry.field(description="Who answers for it; null when not recorded.")
    status: str | None = strawberry.field(
        description="The last assessed overall status by the as-of date; null when never assessed.")
    risk: str | None = strawberry.field(
        description="The last assessed risk level by the as-of date; null when never assessed.")
    risks: list[str] = strawberry.field(description="The risks named by the last assessment; empty when none.")
    as_of: date = strawberry.field(description="The day this plan is for (effective time).")
    recorded_as_of: datetime = strawberry.field(
        description="The moment this plan is as known at (recorded time, UTC): later entries are left out.")
    waves: list[Wave] = strawberry.field(
        description="The waves planned by the as-of date, sorted by id.")
    deliverables: list[Deliverable] = strawberry.field(
        description="The deliverables planned by the as-of date, sorted by id.")
    deliverables_completed: int = strawberry.field(
        description="How many deliverables were completed by the as-of date.")
    reserves: list[Reserve] = strawberry.field(
        description="The cost reserves established by the as-of date, sorted by id.")
    baselines: list[Baseline] = strawberry.field(description="The named baselines recorded by the as-of date.")
    current_baseline: Baseline | None = strawberry.field(
        description="The baseline adopted most recently by asOf (re-baselining), if one has been adopted")
    statements: list[Statement] = strawberry.field(description="The statements made by the as-of date, oldest first.")
    all_actors: strawberry.Private[list[Actor]]
    other_facts: list[OtherFact] = strawberry.field(
        description="Facts of families the plan has no view for, so that no entry type is silently left out")

    @strawberry.field(description="Actors, optionally only of one kind or status.")
    def actors(
        self,
        kind: Annotated[str | None, strawberry.argument(
            description="Only actors of this kind (health_trust, municipality, ...). Null: every kind.")] = None,
        status: Annotated[str | None, strawberry.argument(
            description="Only actors with this status (planned, postponed, unscheduled, live, withdrawn or "
                        "registered). Null: every status.")] = None,
    ) -> list[Actor]:
        return [
            a for a in self.all_actors if (kind is None or a.kind == kind) and (status is None or a.status == status)
        ]

    @strawberry.field(description="One actor, or null if it is not known on the as-of date.")
    def actor(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="The actor's id (a lower-case slug).")]
    ) -> Actor | None:
        return next((a for a in self.all_actors if a.id == id), None)

    @strawberry.field(description="One wave, or null if it is not known on the as-of date.")
    def wave(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="The wave's id (a lower-case slug).")]
    ) -> Wave | None:
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
        reserves=[reserve_of(r) for r in plan.reserves],
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
    programme_id: strawberry.ID = strawberry.field(description="The programme the entry belongs to.")
    type: str = strawberry.field(description="The entry type, such as GoLiveRecorded.")
    effective: date = strawberry.field(description="When the change took effect in the world (effective time).")
    recorded_at: datetime = strawberry.field(
        description="When the ledger stored it (recorded time, UTC); set by the ledger, never by the client.")
    recorded_by: str = strawberry.field(
        description="Who recorded it: token:NAME for the API, or the import's principal.")
    key: str = strawberry.field(description="The entry's idempotency key, unique within the programme.")
    source: Source | None = strawberry.field(
        description="The document the entry comes from; null for an operational entry.")
    operational: bool = strawberry.field(description="Recorded live without a source document")
    deciding_body: str | None = strawberry.field(
        description="The body that decided the change; null when not recorded.")
    reason: str | None = strawberry.field(description="Why the change was made; null when not recorded.")
    summary: str = strawberry.field(description="The entry in one line.")
    corrects: strawberry.ID | None = strawberry.field(description="The entry this one corrects or retracts")
    corrected_by: list[strawberry.ID] = strawberry.field(
        description="The ids of later entries that correct this one, oldest first; empty when none.")
    retracted_by: strawberry.ID | None = strawberry.field(
        description="The id of the later entry that withdrew this one; null when it stands.")
    data: JSON = strawberry.field(description="The entry's fields in the import format")

    @strawberry.field(description="Proof that this entry is in the log's tree of treeSize entries (default: all).")
    async def proof(
        self, info: strawberry.Info[LedgerContext, None],
        tree_size: Annotated[int | None, strawberry.argument(
            description="The size of the tree to prove it in, such as a saved digest's treeSize (at least this "
                        "entry's position). Null: the whole log now.")] = None,
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


@strawberry.type(description="One entry of a page of the audit trail and its cursor.")
class LedgerEventEdge:
    cursor: str = strawberry.field(description="This entry's place in the log, for after/before; opaque.")
    node: LedgerEvent = strawberry.field(description="The entry.")


@strawberry.type(description="Where a page sits in the whole result (Relay connection spec).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether entries follow this page (paging forward).")
    has_previous_page: bool = strawberry.field(
        description="Whether entries precede this page (paging backward with last/before; false paging forward).")
    start_cursor: str | None = strawberry.field(description="The first edge's cursor, for paging backward.")
    end_cursor: str | None = strawberry.field(description="The last edge's cursor, for paging forward.")


@strawberry.type(description="A page of the audit trail (Relay connection).")
class LedgerEventConnection:
    edges: list[LedgerEventEdge] = strawberry.field(description="The page's entries with their cursors, oldest first.")
    page_info: PageInfo = strawberry.field(description="Where the page sits in the whole result.")
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
    actor: ActorRef | None = strawberry.field(description="The actor of an actor row; null in a wave row.")
    wave: WaveRef | None = strawberry.field(
        description="The actor's wave on the against date (in a wave row, the wave itself); null when in none.")
    baseline: PlannedWindow | None = strawberry.field(
        description="The planned go-live window in the baseline; null when the baseline had none (added later).")
    current: PlannedWindow | None = strawberry.field(
        description="The planned go-live window on the against date; null when unscheduled.")
    actual_go_live: date | None = strawberry.field(
        description="The day it went live, if on or before the against date; null otherwise.")
    slip_days_earliest: int | None = strawberry.field(
        description="Days from the baseline's earliest day to the go-live (or, not yet live, to the current "
                    "earliest); positive is late. Null when either bound is missing.")
    slip_days_latest: int | None = strawberry.field(
        description="Days from the baseline's latest day to the go-live (or the current latest); positive is late. "
                    "Null when either bound is missing.")
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
    early: int = strawberry.field(description="Actors that went live before the baseline's window.")
    on_time: int = strawberry.field(description="Actors that went live within the baseline's window.")
    late: int = strawberry.field(description="Actors that went live after the baseline's window.")
    not_yet_live: int = strawberry.field(description="Actors not live by the against date, their window still open.")
    overdue: int = strawberry.field(description="Actors whose window has passed with no go-live")
    withdrawn: int = strawberry.field(description="Actors that left the rollout.")
    added: int = strawberry.field(description="Actors that the baseline did not plan.")


@strawberry.type(description="A baseline set against the plan and the actual go-lives on a later date.")
class Comparison:
    baseline: str = strawberry.field(description="The baseline as asked: a baseline's name or a date.")
    baseline_as_of: date = strawberry.field(description="The date whose plan the baseline is.")
    against: date = strawberry.field(description="The day whose plan and go-lives are set against the baseline.")
    current_baseline: str | None = strawberry.field(
        description="The baseline adopted as current by the against date (re-baselining), if any")
    current_baseline_as_of: date | None = strawberry.field(description="The as-of date of the current baseline")
    rows: list[ComparisonRow] = strawberry.field(description="One row per actor.")
    wave_rows: list[ComparisonRow] = strawberry.field(description="One row per wave.")
    summary: ComparisonSummary = strawberry.field(description="How many actors have each status.")
    cost_rows: list[CostComparisonRow] = strawberry.field(
        description="Per cost scope: the budget in force on the baseline's date against the original and current "
                    "budget, the estimate then and now, cost to date and the variances.")


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
        cost_rows=[cost_comparison_row_of(r) for r in result.costs],
        summary=ComparisonSummary(
            early=counts.get("early", 0), on_time=counts.get("on time", 0), late=counts.get("late", 0),
            not_yet_live=counts.get("not yet live", 0), overdue=counts.get("overdue", 0),
            withdrawn=counts.get("withdrawn", 0),
            added=counts.get("added", 0),
        ),
    )
