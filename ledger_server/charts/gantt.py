"""The plan-vs-actual timeline (a Tracking Gantt): per actor, grouped by wave, the baseline's
window above the window on the `against` date, the actual go-live as a diamond, and the slip in
days against each baseline bound written at the row's end.

A window with only one bound is drawn as a bar that fades out towards the missing side, so the
chart never suggests a day the source did not give.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date

from ledger.values import PlannedWindow
from ledger_server.charts.svg import DateScale, add, document, hover, padded, to_text
from projections.compare import Comparison, ComparisonRow

NAME_WIDTH, CHART_WIDTH, SLIP_WIDTH, ROW, TOP = 250, 560, 200, 26, 60
NAME_CHARACTERS = 34
BASELINE, CURRENT, ACTUAL, LATE, EARLY = "#9e9e9e", "#1f77b4", "#111", "#c62828", "#2e7d32"
OPEN_END_DAYS = 60  # how far a bar with one bound reaches towards the missing one


def gantt_svg(comparison: Comparison) -> str:
    """The Tracking Gantt of a comparison."""
    rows = list(_ordered(comparison))
    start, end = padded(_days(comparison))
    x = DateScale(start, end, NAME_WIDTH, NAME_WIDTH + CHART_WIDTH)
    height = TOP + ROW * len(rows) + 20
    root = document(NAME_WIDTH + CHART_WIDTH + SLIP_WIDTH, height,
                    f"{comparison.programme}: baseline {comparison.baseline!r} against {comparison.against}")
    root.set("data-header-height", str(TOP))  # the band above the rows: legend and dates (the page keeps it in view)
    _header(root, comparison, x, height)
    for number, (row, is_wave) in enumerate(rows):
        _row(root, row, is_wave, x, TOP + ROW * number)
    return to_text(root)


def _ordered(comparison: Comparison) -> Iterable[tuple[ComparisonRow, bool]]:
    """Each wave's row followed by its actors' rows; actors in no wave at the end."""
    waves = {row.subject for row in comparison.waves}
    for wave in comparison.waves:
        yield wave, True
        yield from ((actor, False) for actor in comparison.actors if actor.wave == wave.subject)
    yield from ((actor, False) for actor in comparison.actors if actor.wave not in waves)


def _days(comparison: Comparison) -> list[date]:
    days = [comparison.against]
    for row in (*comparison.waves, *comparison.actors):
        for window in (w for w in (row.baseline, row.current) if w is not None):
            days += [d for d in (window.earliest, window.latest) if d]
        days += [row.actual] if row.actual else []
    return days


def _header(root: ET.Element, comparison: Comparison, x: DateScale, height: float) -> None:
    axis = add(root, "g", class_="x-axis")
    for day in x.ticks(most=10):
        add(axis, "line", class_="grid", x1=x(day), x2=x(day), y1=TOP - 8, y2=height - 20, stroke="#eee")
        add(axis, "text", f"{day:%Y-%m}", class_="tick", x=x(day), y=TOP - 14, text_anchor="middle",
            data_date=day.isoformat())
    against = x(comparison.against)
    add(root, "line", class_="against", x1=against, x2=against, y1=TOP - 8, y2=height - 20, stroke=CURRENT,
        stroke_dasharray="3 3")
    add(root, "text", f"baseline {comparison.baseline} ({comparison.baseline_as_of}), grey; "
        f"plan on {comparison.against}, blue; actual go-live, diamond", x=8, y=18)
    add(root, "text", "slip in days (earliest | latest)", x=NAME_WIDTH + CHART_WIDTH + 10, y=TOP - 34)


def _row(root: ET.Element, row: ComparisonRow, is_wave: bool, x: DateScale, top: float) -> None:
    group = add(root, "g", class_="wave-row" if is_wave else "actor-row", data_subject=row.subject,
                data_status=row.status)
    if is_wave:
        add(group, "rect", x=0, y=top, width=NAME_WIDTH + CHART_WIDTH + SLIP_WIDTH, height=ROW, fill="#f4f6f8")
    label = f"{row.name} (wave)" if is_wave else row.name
    if len(label) > NAME_CHARACTERS:
        label = label[: NAME_CHARACTERS - 1] + "…"
    name = add(group, "text", label, class_="name", x=8 if is_wave else 20, y=top + 17,
               font_weight="bold" if is_wave else "normal")
    hover(name, f"{row.name} ({row.subject})")
    _bar(group, row.baseline, x, top + 4, 8, BASELINE, "baseline")
    _bar(group, row.current, x, top + 13, 8, CURRENT, "current")
    if row.actual:
        centre, middle = x(row.actual), top + ROW / 2
        diamond = add(group, "path", class_="actual", fill=ACTUAL,
                      d=f"M{centre:.1f},{middle - 7:.1f} L{centre + 6:.1f},{middle:.1f} "
                        f"L{centre:.1f},{middle + 7:.1f} L{centre - 6:.1f},{middle:.1f} Z")
        hover(diamond, f"{row.name}: live {row.actual.isoformat()}")
    slip = add(group, "text", _slip_text(row), class_="slip", x=NAME_WIDTH + CHART_WIDTH + 10, y=top + 17,
               fill=_slip_colour(row))
    hover(slip, f"{row.name}: {row.status}")


def _bar(group: ET.Element, window: PlannedWindow | None, x: DateScale, top: float, height: float, colour: str,
         kind: str) -> None:
    if window is None:
        return
    earliest, latest = window.earliest, window.latest
    left = x(earliest) if earliest else x(latest) - OPEN_END_DAYS * _pixels_per_day(x)  # type: ignore[arg-type]
    right = x(latest) if latest else x(earliest) + OPEN_END_DAYS * _pixels_per_day(x)  # type: ignore[arg-type]
    bar = add(group, "rect", class_=f"bar {kind}", x=left, y=top, width=max(right - left, 3), height=height,
              fill=colour, data_earliest=str(earliest or ""), data_latest=str(latest or ""))
    if earliest is None or latest is None:
        bar.set("fill-opacity", "0.45")  # an open end: the source gave only one bound
    hover(bar, f"{kind}: {window.label} ({earliest or '…'} to {latest or '…'})")


def _pixels_per_day(x: DateScale) -> float:
    return (x.high - x.low) / max((x.end - x.start).days, 1)


def _slip_text(row: ComparisonRow) -> str:
    status = f"{row.status} {row.days_overdue} d" if row.status == "overdue" else row.status
    if row.slip_hours is not None:  # both sides name a time of day: hours say more than a day's difference
        return f"{row.slip_hours:+g} h  {status}"
    if row.slip_days_earliest is None and row.slip_days_latest is None:
        return status
    return f"{_days_text(row.slip_days_earliest)} | {_days_text(row.slip_days_latest)}  {status}"


def _days_text(days: int | None) -> str:
    return "-" if days is None else f"{days:+d} d"


def _slip_colour(row: ComparisonRow) -> str:
    return {"late": LATE, "overdue": LATE, "early": EARLY}.get(row.status, "#333")
