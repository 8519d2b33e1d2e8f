"""The query arguments and what they mean to a client, declared once and shared by the resolvers.

Each alias is the argument's type with its GraphQL description (`Annotated[type, help]`), so a
resolver's signature stays a list of names and the help of `asOf` is written in one place.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from ledger_server.trend_types import TrendReportDate


def described(description: str) -> Any:
    """An argument's help text, for Annotated[type, described(...)]."""
    return strawberry.argument(description=description)


# -- time: the two axes every question takes ----------------------------------------------
AsOf = Annotated[date | None, described(
    "The day whose plan is asked (effective time): entries effective on or before it count. Null: today (UTC).")]
RecordedAsOf = Annotated[datetime | None, described(
    "Answer as the ledger knew it at this moment (recorded time, with an offset): entries recorded later are "
    "left out. Null: now.")]
Against = Annotated[date | None, described(
    "The day whose plan and go-lives are set against the baseline. Null: today (UTC).")]

# -- what is asked about ---------------------------------------------------------------------
ProgrammeId = Annotated[strawberry.ID, described("The programme's id (a lower-case slug).")]
EntryId = Annotated[strawberry.ID, described("The entry's id, programme:sequence.")]
Baseline = Annotated[str, described(
    "A named baseline (\"original plan\") or a date YYYY-MM-DD whose plan is the baseline.")]
ActorIds = Annotated[list[strawberry.ID] | None, described("The actors to draw, one series each. Null: none.")]
WaveIds = Annotated[list[strawberry.ID] | None, described("The waves to draw, one series each. Null: none.")]
ReportDate = Annotated[TrendReportDate, described("Which date places a report on the x axis.")]

# -- the audit trail's filters and paging ----------------------------------------------------
ProgrammeFilter = Annotated[strawberry.ID | None, described("Only this programme's entries. Null: every programme's.")]
Types = Annotated[list[str] | None, described(
    "Only entries of these types, such as GoLiveRecorded. Null or empty: every type.")]
ActorFilter = Annotated[strawberry.ID | None, described("Only entries that concern this actor. Null: any.")]
WaveFilter = Annotated[strawberry.ID | None, described("Only entries that concern this wave. Null: any.")]
SubjectFilter = Annotated[strawberry.ID | None, described(
    "Only entries that concern this subject of any kind (actor, wave, reserve, ...). Null: any.")]
EffectiveFrom = Annotated[date | None, described("Only entries effective on or after this day. Null: no lower bound.")]
EffectiveTo = Annotated[date | None, described("Only entries effective on or before this day. Null: no upper bound.")]
RecordedFrom = Annotated[datetime | None, described(
    "Only entries recorded at or after this moment. Null: no lower bound.")]
RecordedTo = Annotated[datetime | None, described(
    "Only entries recorded at or before this moment. Null: no upper bound.")]
First = Annotated[int | None, described(
    "Page forward: at most this many entries after `after` (1 up to the server's page limit, 500 unless "
    "configured). Null, with no `last`: 50.")]
After = Annotated[str | None, described(
    "Start after this cursor (an edge's cursor or endCursor). Null: from the start of the log.")]
Last = Annotated[int | None, described(
    "Page backward: at most this many entries before `before`; give first or last, not both.")]
Before = Annotated[str | None, described(
    "End before this cursor (an edge's cursor or startCursor). Null: at the end of the log.")]

# -- the verifiable log ----------------------------------------------------------------------
TreeSize = Annotated[int | None, described(
    "The number of log entries the tree covers (1 up to the log's length). Null: the whole log now.")]
FromSize = Annotated[int, described("The size of the older tree, such as a saved digest's treeSize.")]
