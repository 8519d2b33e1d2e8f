"""GraphQL types of the milestone trend (see projections/trend.py for what a point means)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from ledger_server.types import PlannedWindow
from projections import trend as trend_views


@strawberry.enum(description="Which date places a report on the trend's x axis: EFFECTIVE, the entry's effective "
                             "date, as believed at recordedAsOf; RECORDED, the day it was recorded, as known then "
                             "(a corrected statement keeps its point and the correction adds one).")
class TrendReportDate(Enum):
    EFFECTIVE = trend_views.EFFECTIVE
    RECORDED = trend_views.RECORDED


@strawberry.type(description="One report: the forecast window an entry left behind, and its source.")
class TrendPoint:
    reported: date
    planned: PlannedWindow
    entry_id: strawberry.ID
    type: str
    source: str | None
    recorded_by: str


@strawberry.type(description="The forecasts of one actor or wave, oldest report first, and its actual go-live.")
class TrendSeries:
    kind: str = strawberry.field(description="actor or wave")
    id: strawberry.ID
    name: str
    actual: date | None
    points: list[TrendPoint]


@strawberry.type(description="How the forecast go-live of the chosen actors and waves moved, as recorded by then.")
class MilestoneTrend:
    programme_id: strawberry.ID
    recorded_as_of: datetime
    report_date: TrendReportDate
    series: list[TrendSeries]


def trend_of(result: trend_views.MilestoneTrend) -> MilestoneTrend:
    """The GraphQL view of a milestone trend."""
    return MilestoneTrend(
        programme_id=strawberry.ID(result.programme),
        recorded_as_of=result.recorded_as_of,
        report_date=TrendReportDate(result.report_date),
        series=[_series(series) for series in result.series],
    )


def _series(series: trend_views.TrendSeries) -> TrendSeries:
    points = [
        TrendPoint(
            reported=p.reported, planned=PlannedWindow.of(p.planned),  # type: ignore[arg-type]
            entry_id=strawberry.ID(p.entry_id), type=p.type, source=p.source, recorded_by=p.recorded_by,
        )
        for p in series.points
    ]
    return TrendSeries(kind=series.kind, id=strawberry.ID(series.subject), name=series.name, actual=series.actual,
                       points=points)
