"""The GraphQL schema: time-travel queries, one mutation per entry type, live entries.

Reads take `asOf` (default today) and `recordedAsOf` (default now). Mutations return a
union of `Recorded` and typed problems; nothing is written when a problem comes back.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from ledger.changes import Change, registry_key
from ledger.codec import decode_entry
from ledger.entry import Entry
from ledger.errors import InvalidInput, LedgerError, StoreUnavailable
from ledger_server import proofs
from ledger_server.arguments import (
    ActorFilter,
    ActorIds,
    After,
    Against,
    AsOf,
    Baseline,
    Before,
    EffectiveFrom,
    EffectiveTo,
    EntryId,
    First,
    FromSize,
    Last,
    ProgrammeFilter,
    ProgrammeId,
    RecordedAsOf,
    RecordedFrom,
    RecordedTo,
    ReportDate,
    SubjectFilter,
    TreeSize,
    Types,
    WaveFilter,
    WaveIds,
    described,
)
from ledger_server.auth import Principal, require
from ledger_server.context import LedgerContext
from ledger_server.inputs import entry_json, mutation_inputs
from ledger_server.introspection import IntrospectionFollowsReadRule, introspection_depth_rule
from ledger_server.money_types import CostReport, cost_report_of
from ledger_server.nul_check import RefuseNul
from ledger_server.problems import AnyProblem, graphql_error, problem_of
from ledger_server.proofs import ConsistencyProof, LedgerDigest
from ledger_server.retryable import RETRYABLE, answer_retryable, retryable
from ledger_server.scalars import SCALAR_MAP
from ledger_server.settings import ApiSettings
from ledger_server.trend_types import MilestoneTrend, TrendReportDate, trend_of
from ledger_server.types import (
    Comparison,
    LedgerEvent,
    LedgerEventConnection,
    Programme,
    comparison_of,
    connection_of,
    event_of,
    position_of,
    programme_of,
)
from projections.audit import LogQuery

log = logging.getLogger("ledger.api")
DEFAULT_PAGE = 50  # entries per page of `events` when neither first nor last is given
Info = strawberry.Info[LedgerContext, None]
# Set in the request's scope state once a mutation hands its entry to the store.
WRITE_STARTED = "write_started"



def _today() -> date:
    return datetime.now(UTC).date()


def _now() -> datetime:
    return datetime.now(UTC)


@strawberry.type(description="The entry was recorded (or, for a repeated key with the same content, already was).")
class Recorded:
    added: bool = strawberry.field(description="False when the same key and content were already recorded")
    entry: LedgerEvent = strawberry.field(description="The entry as the log holds it, with its id and recorded time")
    position: int = strawberry.field(description="The entry's log position; queries see it from now on")


RecordResult = Annotated[Recorded | AnyProblem, strawberry.union(
    "RecordResult", description="Recorded, or the typed problem that kept the entry out (then nothing was written).")]


async def _record(info: Info, type_name: str, role: str, value: Any) -> Recorded | Any:
    """Authorise, decode with the import codec, record in a worker thread, then catch up."""
    context = info.context
    try:
        principal = context.require(role, f"recording {type_name}")
        line = entry_json(type_name, value)
        entry = decode_entry(line, recorded_by=f"token:{principal.name}", require_source=False)
        _require_inner_roles(principal, entry)
        # From here a timeout cannot say that nothing was written (see ledger_server.app.Guard).
        context.request.scope.setdefault("state", {})[WRITE_STARTED] = True
        receipt = await context.services.writes.record(entry)
    except RETRYABLE as error:
        raise answer_retryable(error, context.response) from None
    except LedgerError as error:
        return problem_of(error)
    try:
        await context.services.feed.covering(receipt.position)  # read-your-writes: queries include it
        context.reader.release()  # and so do this request's next questions, pinned or not
        recorded = await context.reader.entry(receipt.entry_id)
    except Exception as error:
        if retryable(error, context.services.settings.store) is None:
            raise
        raise answer_retryable(StoreUnavailable(
            f"{receipt.entry_id} was recorded, but the read model cannot be reached to show it; "
            "retry with the same key to get the entry (it is idempotent)"), context.response) from None
    assert recorded is not None
    return Recorded(added=receipt.added, entry=event_of(recorded), position=recorded.position)


def _require_inner_roles(principal: Principal, entry: Entry) -> None:
    """The role an entry type declares holds wherever it appears, inside a decision too."""
    for index, change in enumerate(getattr(entry.change, "changes", ())):
        try:
            require(principal, change.ROLE, f"{change.MUTATION} inside a decision")
        except LedgerError as error:
            raise error.at(f"changes[{index}]") from None


def _mutation_field(cls: type[Change], input_class: Any) -> Any:
    type_name, name, role = cls.TYPE, cls.MUTATION, cls.ROLE

    async def resolver(info: Info, input: Any) -> Any:
        return await _record(info, type_name, role, input)

    argument = Annotated[input_class, described(
        f"The {type_name} entry: its fields and its envelope (programme, effective date, key, source).")]
    resolver.__annotations__ = {"info": Info, "input": argument, "return": RecordResult}
    resolver.__name__ = name
    doc = (input_class.__doc__ or "").strip()
    return strawberry.mutation(resolver=resolver, description=f"{doc} Needs the {role} role.")


def mutation_type() -> Any:
    """The Mutation type for the entry types registered now."""
    return _mutation_type(registry_key())


@functools.cache
def _mutation_type(registered: tuple[type[Change], ...]) -> Any:
    inputs = mutation_inputs().by_type
    fields = {cls.MUTATION: _mutation_field(cls, inputs[cls.TYPE]) for cls in registered}
    return strawberry.type(
        type("Mutation", (), fields),
        description="One mutation per entry type. Every result is Recorded or a typed problem.",
    )


def _ledger_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ledger errors in a query resolver into coded GraphQL errors (retryable ones with 503)."""
    @functools.wraps(function)
    async def wrapper(self: Any, info: Info, *args: Any, **kwargs: Any) -> Any:
        try:
            return await function(self, info, *args, **kwargs)
        except Exception as error:
            if (failure := retryable(error, info.context.services.settings.store)) is not None:
                raise answer_retryable(failure, info.context.response) from None
            if isinstance(error, LedgerError):
                raise graphql_error(error) from None
            raise

    return wrapper


@strawberry.type(description="Questions about the plan at any date, as recorded at any time, and the audit trail.")
class Query:
    @strawberry.field(description="Every programme known on asOf, as recorded by recordedAsOf.")
    @_ledger_errors
    async def programmes(self, info: Info, as_of: AsOf = None, recorded_as_of: RecordedAsOf = None) -> list[Programme]:
        info.context.require_read()
        plans = await info.context.reader.programmes(as_of or _today(), recorded_as_of or _now())
        return [programme_of(plan) for plan in plans]

    @strawberry.field(description="One programme, or null where it is unknown at that time.")
    @_ledger_errors
    async def programme(
        self, info: Info, id: ProgrammeId, as_of: AsOf = None, recorded_as_of: RecordedAsOf = None
    ) -> Programme | None:
        info.context.require_read()
        plan = await info.context.reader.plan(str(id), as_of or _today(), recorded_as_of or _now())
        return None if plan is None else programme_of(plan)

    @strawberry.field(description="A programme's budgets, cost estimates and costs to date per scope (programme, "
                                  "actors, wave, deliverable), with variances against the original and the current "
                                  "budget, beside its reserves; as of asOf (default today), as recorded by "
                                  "recordedAsOf (default now).")
    @_ledger_errors
    async def costs(
        self, info: Info,
        programme_id: Annotated[strawberry.ID, strawberry.argument(description="The programme")],
        as_of: Annotated[date | None, strawberry.argument(description="The date (default today)")] = None,
        recorded_as_of: Annotated[datetime | None, strawberry.argument(
            description="As the ledger knew it at this time (default now)")] = None,
    ) -> CostReport:
        info.context.require_read()
        report = await info.context.reader.costs(str(programme_id), as_of or _today(), recorded_as_of or _now())
        return cost_report_of(report)

    @strawberry.field(description="A baseline (name or YYYY-MM-DD) against the plan and go-lives on `against`.")
    @_ledger_errors
    async def comparison(
        self, info: Info, programme_id: ProgrammeId, baseline: Baseline, against: Against = None,
        recorded_as_of: RecordedAsOf = None,
    ) -> Comparison:
        info.context.require_read()
        moment = recorded_as_of or _now()
        against_day = against or _today()
        result, plan = await info.context.reader.comparison_and_plan(str(programme_id), baseline, against_day, moment)
        return comparison_of(result, plan)

    @strawberry.field(description="How the forecast go-live of chosen actors and waves moved, entry by entry, "
                                  "ending at the actual go-live (the milestone trend analysis chart's data).")
    @_ledger_errors
    async def milestone_trend(
        self, info: Info, programme_id: ProgrammeId, actor_ids: ActorIds = None, wave_ids: WaveIds = None,
        recorded_as_of: RecordedAsOf = None, report_date: ReportDate = TrendReportDate.EFFECTIVE,
    ) -> MilestoneTrend:
        info.context.require_read()
        result = await info.context.reader.milestone_trend(
            str(programme_id), [str(a) for a in actor_ids or ()], [str(w) for w in wave_ids or ()],
            recorded_as_of or _now(), report_date.value)
        return trend_of(result)

    @strawberry.field(description="The audit trail, oldest first, filtered and paged (at most 500 a page): "
                      "`first`/`after` forward, `last`/`before` backward.")
    @_ledger_errors
    async def events(
        self, info: Info, programme_id: ProgrammeFilter = None, first: First = None, after: After = None,
        types: Types = None, actor_id: ActorFilter = None, effective_from: EffectiveFrom = None,
        effective_to: EffectiveTo = None, recorded_from: RecordedFrom = None, recorded_to: RecordedTo = None,
        last: Last = None, before: Before = None, wave_id: WaveFilter = None, subject_id: SubjectFilter = None,
    ) -> LedgerEventConnection:
        info.context.require_read()
        limit = info.context.services.settings.max_page_size
        if first is not None and last is not None:
            raise InvalidInput("give first (paging forward) or last (paging backward), not both", field="last")
        for name, size in (("first", first), ("last", last)):
            if size is not None and not 1 <= size <= limit:
                raise InvalidInput(f"{name} must be between 1 and {limit}, not {size}", field=name)
        start = 0 if after is None else position_of(after)
        if start is None:
            raise InvalidInput(f"{after!r} is not a cursor from this API", field="after")
        end = None if before is None else position_of(before)
        if before is not None and end is None:
            raise InvalidInput(f"{before!r} is not a cursor from this API", field="before")
        query = LogQuery(
            programme=None if programme_id is None else str(programme_id), types=frozenset(types or ()),
            subject=None if actor_id is None else str(actor_id),
            subjects=frozenset(str(s) for s in (wave_id, subject_id) if s is not None),
            effective_from=effective_from, effective_to=effective_to, recorded_from=recorded_from,
            recorded_to=recorded_to, after=start, first=DEFAULT_PAGE if first is None else first,
            before=end, last=last,
        )
        reader = info.context.reader
        return connection_of(await reader.log_page(query), lambda: reader.log_count(query))

    @strawberry.field(description="One entry by id (programme:sequence), or null.")
    @_ledger_errors
    async def event(self, info: Info, id: EntryId) -> LedgerEvent | None:
        info.context.require_read()
        found = await info.context.reader.entry(str(id))
        return None if found is None else event_of(found)


    @strawberry.field(description="The log's Merkle digest at treeSize entries (default: the whole log now).")
    @_ledger_errors
    async def ledger_digest(self, info: Info, tree_size: TreeSize = None) -> LedgerDigest:
        return await proofs.ledger_digest(info, tree_size)

    @strawberry.field(description="Proof that the log's first fromSize entries begin its first toSize (default all).")
    @_ledger_errors
    async def consistency_proof(self, info: Info, from_size: FromSize, to_size: TreeSize = None) -> ConsistencyProof:
        return await proofs.consistency_proof(info, from_size, to_size)


@strawberry.type(description="Entries as they are recorded.")
class Subscription:
    @strawberry.subscription(description="Every entry recorded after subscribing, in position order.")
    async def ledger_events(
        self, info: Info, programme_id: ProgrammeFilter = None
    ) -> AsyncGenerator[LedgerEvent, None]:
        try:
            info.context.require_read()
        except LedgerError as error:
            raise graphql_error(error) from None
        async for entry in info.context.services.feed.subscribe(None if programme_id is None else str(programme_id)):
            yield event_of(entry)


def _should_mask(error: GraphQLError) -> bool:
    """Mask only what the client did not cause: unexpected exceptions inside resolvers."""
    original = error.original_error
    if original is None or isinstance(original, LedgerError):
        return False
    return not isinstance(original, GraphQLError)


class LoggedMaskErrors(MaskErrors):
    """MaskErrors that first logs each masked error with the request id."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "?")
        log.error("request %s failed: %s", request_id, error.message, exc_info=error.original_error)
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL", "requestId": request_id}
        return masked


class LedgerSchema(strawberry.Schema):
    """Logs only unexpected errors; a client's own mistakes are answered, not logged as failures."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [e for e in errors if _should_mask(e) or e.message == "Unexpected error."]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(settings: ApiSettings) -> strawberry.Schema:
    """The schema with its limits; extensions are passed as factories, never instances."""
    # The limits' validation rules are made once: strawberry's ValidationCache keys on the
    # rule classes, and limiters built per request made new ones, so no document was ever
    # found in the cache and every request was validated again (a fifth of its time).
    depth_rules = QueryDepthLimiter(max_depth=settings.max_depth).validation_rules
    alias_rules = MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules
    introspection_rules: list[type[ASTValidationRule]] = [introspection_depth_rule()]
    return LedgerSchema(
        query=Query,
        mutation=mutation_type(),
        subscription=Subscription,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
        extensions=[
            lambda: AddValidationRules(depth_rules),
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            lambda: AddValidationRules(alias_rules),
            lambda: AddValidationRules(introspection_rules),
            ParserCache,
            ValidationCache,
            IntrospectionFollowsReadRule,
            RefuseNul,
            lambda: LoggedMaskErrors(should_mask_error=_should_mask),
        ],
    )
