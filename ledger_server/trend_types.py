"""GraphQL types of the milestone trend (see projections/trend.py for what a point means)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from ledger_server.enums import described_enum
from ledger_server.types import PlannedWindow
from projections import trend as trend_views


class TrendReportDate(Enum):
    """Which date places a report on the trend's x axis."""

    EFFECTIVE = trend_views.EFFECTIVE
    RECORDED = trend_views.RECORDED


described_enum(TrendReportDate, {
    TrendReportDate.EFFECTIVE: "A report stands on its entry's effective date, with what is believed at recordedAsOf "
                               "(a correction replaces what it corrects).",
    TrendReportDate.RECORDED: "A report stands on the day it was recorded, with the forecast as the ledger knew it "
                              "then (a corrected statement keeps its point and the correction adds one).",
})


@strawberry.type(description="One report: the forecast window an entry left behind, and its source.")
class TrendPoint:
    reported: date = strawberry.field(
        description="The report's date on the x axis: the entry's effective date, or the day it was recorded "
                    "(reportDate RECORDED).")
    planned: PlannedWindow = strawberry.field(
        description="The forecast go-live window the entry left behind (the y axis).")
    entry_id: strawberry.ID = strawberry.field(description="The entry that made the report.")
    type: str = strawberry.field(description="The entry's type, such as WaveRescheduled.")
    source: str | None = strawberry.field(
        description="The title of the entry's source document; null for an operational entry.")
    recorded_by: str = strawberry.field(description="Who recorded the entry.")


@strawberry.type(description="The forecasts of one actor or wave, oldest report first, and its actual go-live.")
class TrendSeries:
    kind: str = strawberry.field(description="actor or wave")
    id: strawberry.ID = strawberry.field(description="The actor's or wave's id.")
    name: str = strawberry.field(description="The actor's name, or the wave's code.")
    actual: date | None = strawberry.field(
        description="The actual go-live day (the series' end); null when not live as recorded by then.")
    points: list[TrendPoint] = strawberry.field(description="The reports, oldest first.")


@strawberry.type(description="How the forecast go-live of the chosen actors and waves moved, as recorded by then.")
class MilestoneTrend:
    programme_id: strawberry.ID = strawberry.field(description="The programme.")
    recorded_as_of: datetime = strawberry.field(description="The moment the trend is as known at (recorded time, UTC).")
    report_date: TrendReportDate = strawberry.field(description="Which date placed the reports on the x axis.")
    series: list[TrendSeries] = strawberry.field(description="One series per actor and wave asked for, actors first.")


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
