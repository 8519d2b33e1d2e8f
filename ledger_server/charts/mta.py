"""The milestone trend analysis (MTA) chart: report date across, forecast go-live up.

Each actor or wave is one line (an SVG path) that holds its forecast from one report to the
next, so a slip shows as a step up; where the source gave a window rather than a day, a band
spans its earliest to its latest bound. The diagonal is "forecast = report date": a line
ends where it meets it, at the actual go-live. Every report point has the source's label and
document as its hover title.

The two axes have ranges of their own: the report dates (and go-lives) across, the forecasts
(and go-lives) up. A shared range would keep the diagonal at 45 degrees, but forecasts run far
past the last report (the bundled history's by 19 months), which left the right half of the plot
empty; lines of subjects not yet live run to the right edge rather than on to today.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from ledger_server.charts.svg import PALETTE, DateScale, add, document, hover, padded, to_text, x_axis, y_axis
from projections.trend import MilestoneTrend, TrendPoint, TrendSeries

LEFT, TOP, SIDE, LEGEND_ROW = 80, 30, 460, 18
MARGIN = 0.06  # of each axis's span, at least a month, so no band or point touches the frame


def mta_svg(trend: MilestoneTrend, until: date | None = None) -> str:
    """The MTA chart of a milestone trend; lines without a go-live run on to `until` (at most the right edge).

    `until` defaults to the last report of any chosen subject, so the chart ends where the
    reporting does rather than stretching to today.
    """
    reports, forecasts = _report_days(trend), _forecast_days(trend)
    blank = [trend.recorded_as_of.date()]  # no report at all: still a (blank) chart
    x = DateScale(*padded(reports or forecasts or blank, share=MARGIN), LEFT, LEFT + SIDE)
    y = DateScale(*padded(forecasts or reports or blank, share=MARGIN), TOP + SIDE, TOP)  # later forecasts higher
    until = min(until or last_report(trend) or x.end, x.end)
    legend_top = TOP + SIDE + 50
    root = document(LEFT + SIDE + 30, legend_top + LEGEND_ROW * len(trend.series) + 10,
                    f"Milestone trend of {trend.programme}")
    x_axis(root, x, TOP + SIDE, TOP, "report date")
    y_axis(root, y, LEFT, LEFT + SIDE, "forecast go-live")
    _diagonal(root, x, y)
    for number, series in enumerate(trend.series):
        colour = PALETTE[number % len(PALETTE)]
        _series(root, series, x, y, colour, until)
        _legend_row(root, series, colour, legend_top + LEGEND_ROW * number)
    return to_text(root)


def _diagonal(root: ET.Element, x: DateScale, y: DateScale) -> None:
    """Forecast = report date, over the dates both axes show (none when they do not overlap)."""
    low, high = max(x.start, y.start), min(x.end, y.end)
    if low < high:
        add(root, "line", class_="diagonal", x1=x(low), y1=y(low), x2=x(high), y2=y(high),
            stroke="#555", stroke_dasharray="4 3", data_from=low.isoformat(), data_to=high.isoformat())


def last_report(trend: MilestoneTrend) -> date | None:
    """The latest report date of any series (None when no series has a report)."""
    reports = [p.reported for series in trend.series for p in series.points]
    return max(reports, default=None)


def _report_days(trend: MilestoneTrend) -> list[date]:
    """The dates across: every report and go-live."""
    return [day for series in trend.series
            for day in [*(p.reported for p in series.points), *([series.actual] if series.actual else [])]]


def _forecast_days(trend: MilestoneTrend) -> list[date]:
    """The dates up: every bound of every forecast, and the go-lives (where lines meet the diagonal)."""
    return [day for series in trend.series
            for day in [*(d for p in series.points for d in (p.planned.earliest, p.planned.latest) if d is not None),
                        *([series.actual] if series.actual else [])]]


def _series(root: ET.Element, series: TrendSeries, x: DateScale, y: DateScale, colour: str, until: date) -> None:
    group = add(root, "g", class_="series", data_kind=series.kind, data_subject=series.subject)
    if not series.points:
        return
    last = series.points[-1].reported
    ends = [p.reported for p in series.points[1:]] + [series.actual or max(until, last)]
    steps = list(zip(series.points, ends, strict=True))
    band = _band(steps, x, y)
    if band:
        add(group, "path", class_="band", d=band, fill=colour, fill_opacity="0.15", stroke="none")
    line = _line(steps, x, y)
    if series.actual:  # the line meets the diagonal at the go-live
        line += f" L{x(series.actual):.1f},{y(series.actual):.1f}"
    add(group, "path", class_="trend-line", d=line, fill="none", stroke=colour, stroke_width="2")
    for point in series.points:
        dot = add(group, "circle", class_="report", cx=x(point.reported), cy=y(_middle(point)), r="4", fill=colour)
        hover(dot, _point_text(series, point))
    if series.actual:
        mark = add(group, "circle", class_="actual", cx=x(series.actual), cy=y(series.actual), r="6",
                   fill="white", stroke=colour, stroke_width="3")
        hover(mark, f"{series.name}: live {series.actual.isoformat()}")


def _middle(point: TrendPoint) -> date:
    """Where the line runs through a window: its middle, or the one bound the source gave."""
    earliest, latest = point.planned.earliest, point.planned.latest
    if earliest and latest:
        return earliest + (latest - earliest) / 2
    found = earliest or latest
    assert found is not None  # a planned window has at least one bound
    return found


def _line(steps: list[tuple[TrendPoint, date]], x: DateScale, y: DateScale) -> str:
    """Hold each forecast until the next report, then step to the new forecast."""
    parts: list[str] = []
    for point, until in steps:
        level = y(_middle(point))
        parts.append(f"{'M' if not parts else 'L'}{x(point.reported):.1f},{level:.1f}")
        parts.append(f"L{x(until):.1f},{level:.1f}")
    return " ".join(parts)


def _band(steps: list[tuple[TrendPoint, date]], x: DateScale, y: DateScale) -> str:
    """One rectangle per report whose window spans more than a day (both bounds known)."""
    parts: list[str] = []
    for point, until in steps:
        earliest, latest = point.planned.earliest, point.planned.latest
        if earliest is None or latest is None or earliest == latest:
            continue
        left, right, low, high = x(point.reported), x(until), y(earliest), y(latest)
        parts.append(f"M{left:.1f},{low:.1f} L{right:.1f},{low:.1f} L{right:.1f},{high:.1f} "
                     f"L{left:.1f},{high:.1f} Z")
    return " ".join(parts)


def _point_text(series: TrendSeries, point: TrendPoint) -> str:
    window = point.planned
    bounds = f"{window.earliest or '…'} to {window.latest or '…'}"
    source = point.source or "(operational, no source)"
    return (f"{series.name}, reported {point.reported.isoformat()}: {window.label} ({bounds})\n"
            f"{point.type} {point.entry_id}, recorded by {point.recorded_by}\n{source}")


def _legend_row(root: ET.Element, series: TrendSeries, colour: str, top: float) -> None:
    row = add(root, "g", class_="legend", data_subject=series.subject)
    add(row, "rect", x=LEFT, y=top, width="14", height="10", fill=colour)
    live = f", live {series.actual.isoformat()}" if series.actual else ", not yet live"
    if not series.points:
        live += "; no planned go-live recorded"
    add(row, "text", f"{series.name} ({series.kind} {series.subject}){live}", x=LEFT + 20, y=top + 9)
