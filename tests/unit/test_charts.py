"""The charts' SVG, checked by structure (elements and their labels), never by pixels."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from ledger.values import PlannedWindow, Precision
from ledger_server.charts.gantt import gantt_svg
from ledger_server.charts.mta import mta_svg
from projections.compare import Comparison, ComparisonRow
from projections.trend import MilestoneTrend, TrendPoint, TrendSeries

NS = {"svg": "http://www.w3.org/2000/svg"}


def _window(earliest: str | None, latest: str | None, label: str) -> PlannedWindow:
    return PlannedWindow(date.fromisoformat(earliest) if earliest else None,
                         date.fromisoformat(latest) if latest else None, Precision.WINDOW, label)


def _point(reported: str, earliest: str | None, latest: str | None, label: str, entry: str) -> TrendPoint:
    return TrendPoint(date.fromisoformat(reported), _window(earliest, latest, label), entry, "WaveRescheduled",
                      "Board minutes", "cli:tester")


TREND = MilestoneTrend("demo", datetime(2030, 1, 1, tzinfo=UTC), "effective", (
    TrendSeries("actor", "north", "North Trust", (
        _point("2021-01-01", "2022-04-30", "2022-04-30", "30 April 2022", "demo:3"),
        _point("2022-03-01", "2022-09-01", "2022-11-30", "autumn 2022", "demo:9"),
    ), date(2022, 11, 12)),
    TrendSeries("wave", "w2", "W2", (
        _point("2021-01-01", "2023-01-01", None, "after new year 2023", "demo:4"),
    ), None),
))


def _svg(text: str) -> ET.Element:
    return ET.fromstring(text)


def test_the_mta_chart_has_one_line_per_series_dated_axes_and_the_diagonal() -> None:
    root = _svg(mta_svg(TREND))
    series = root.findall(".//svg:g[@class='series']", NS)
    assert [g.get("data-subject") for g in series] == ["north", "w2"]
    for group in series:
        assert len(group.findall("svg:path[@class='trend-line']", NS)) == 1
    for axis in ("x-axis", "y-axis"):
        ticks = root.findall(f".//svg:g[@class='{axis}']/svg:text[@class='tick']", NS)
        assert len(ticks) >= 3
        for tick in ticks:
            assert date.fromisoformat(tick.get("data-date", "")).day == 1
            assert tick.text
            assert tick.text[:4].isdigit()
    titles = [t.text for t in root.findall(".//svg:text[@class='axis-title']", NS)]
    assert titles == ["report date", "forecast go-live"]
    diagonal = root.find(".//svg:line[@class='diagonal']", NS)
    assert diagonal is not None
    assert float(diagonal.get("x2", 0)) > float(diagonal.get("x1", 0))
    assert float(diagonal.get("y2", 0)) < float(diagonal.get("y1", 0))  # later dates higher up
    # Each axis has its own range, so the diagonal is "forecast = report date" rather than 45 degrees:
    # the go-live, a point on it, lies on the line.
    actual = root.find(".//svg:circle[@class='actual']", NS)
    assert actual is not None
    (x1, y1, x2, y2), (cx, cy) = ([float(diagonal.get(k, 0)) for k in ("x1", "y1", "x2", "y2")],
                                  (float(actual.get("cx", 0)), float(actual.get("cy", 0))))
    assert abs((x2 - x1) * (cy - y1) - (y2 - y1) * (cx - x1)) / abs(x2 - x1) < 1.0


def _plot_frame(root: ET.Element) -> tuple[float, float, float, float]:
    """left, right, top, bottom of the plot, from its two axis lines."""
    x_line = root.find(".//svg:g[@class='x-axis']/svg:line", NS)
    y_line = root.find(".//svg:g[@class='y-axis']/svg:line", NS)
    assert x_line is not None
    assert y_line is not None
    return (float(x_line.get("x1", 0)), float(x_line.get("x2", 0)), float(y_line.get("y2", 0)),
            float(y_line.get("y1", 0)))


def test_the_mta_chart_s_x_axis_ends_with_the_reports_not_at_a_later_date() -> None:
    root = _svg(mta_svg(TREND, until=date(2030, 1, 1)))  # the page passes today, long after the last report
    ticks = [date.fromisoformat(t.get("data-date", "")) for t in
             root.findall(".//svg:g[@class='x-axis']/svg:text[@class='tick']", NS)]
    assert max(ticks) <= date(2023, 1, 1)  # the last report or go-live is 2022-11-12
    left, right, _top, _bottom = _plot_frame(root)
    wave = root.find(".//svg:g[@data-subject='w2']/svg:path[@class='trend-line']", NS)
    assert wave is not None
    ends = [float(point.split(",")[0].lstrip("ML")) for point in wave.get("d", "").split()]
    assert abs(max(ends) - right) < 0.5  # the line of a subject not yet live runs to the right edge
    assert min(ends) > left


def test_every_band_and_point_of_the_mta_chart_sits_inside_the_plot_with_room() -> None:
    root = _svg(mta_svg(TREND))
    left, right, top, bottom = _plot_frame(root)
    marks = [(float(c.get("cx", 0)), float(c.get("cy", 0))) for c in root.findall(".//svg:circle", NS)]
    for band in root.findall(".//svg:path[@class='band']", NS):
        marks += [tuple(float(n) for n in point.lstrip("ML").split(","))  # type: ignore[misc]
                  for point in band.get("d", "").split() if point != "Z"]
    assert len(marks) > 3
    room = 0.04 * (bottom - top)
    for mark_x, mark_y in marks:
        assert left <= mark_x <= right
        assert top + room <= mark_y <= bottom - room, (mark_x, mark_y)


def test_the_mta_chart_draws_bands_for_windows_the_go_live_and_a_hover_per_report() -> None:
    root = _svg(mta_svg(TREND))
    north, wave = root.findall(".//svg:g[@class='series']", NS)
    band = north.find("svg:path[@class='band']", NS)
    assert band is not None
    assert band.get("d", "").count("Z") == 1
    assert wave.find("svg:path[@class='band']", NS) is None  # an open-ended window gets no invented band
    reports = north.findall("svg:circle[@class='report']", NS)
    assert [r.findtext("svg:title", namespaces=NS).split("\n")[0] for r in reports] == [
        "North Trust, reported 2021-01-01: 30 April 2022 (2022-04-30 to 2022-04-30)",
        "North Trust, reported 2022-03-01: autumn 2022 (2022-09-01 to 2022-11-30)",
    ]
    assert "Board minutes" in reports[0].findtext("svg:title", namespaces=NS)
    actual = north.find("svg:circle[@class='actual']", NS)
    assert actual is not None
    line = north.find("svg:path[@class='trend-line']", NS)
    assert line is not None
    end = line.get("d", "").split()[-1].removeprefix("L")
    assert end == f"{float(actual.get('cx', 0)):.1f},{float(actual.get('cy', 0)):.1f}"  # it ends on the go-live
    assert wave.find("svg:circle[@class='actual']", NS) is None


def test_a_subject_without_any_forecast_gets_a_blank_chart_that_says_so() -> None:
    never = TrendSeries("actor", "rhf", "The RHF", (), None)
    root = _svg(mta_svg(MilestoneTrend("demo", datetime(2024, 5, 1, tzinfo=UTC), "effective", (never,))))
    group = root.find(".//svg:g[@class='series']", NS)
    assert group is not None
    assert group.find("svg:path", NS) is None
    legend = root.findtext(".//svg:g[@class='legend']/svg:text", namespaces=NS)
    assert legend == "The RHF (actor rhf), not yet live; no planned go-live recorded"
    assert root.find(".//svg:line[@class='diagonal']", NS) is not None


def _row(subject: str, wave: str | None, baseline: PlannedWindow | None, current: PlannedWindow | None,
         actual: str | None, slips: tuple[int | None, int | None], status: str) -> ComparisonRow:
    return ComparisonRow(subject, subject.title(), wave, baseline, current,
                         date.fromisoformat(actual) if actual else None, *slips, status)


def test_the_timeline_groups_actors_by_wave_with_both_bars_the_go_live_and_the_slip() -> None:
    day = _window("2022-04-30", "2022-04-30", "30 April 2022")
    autumn = _window("2022-08-01", None, "after the summer")
    comparison = Comparison("demo", "original plan", date(2022, 3, 1), date(2024, 6, 1),
                            actors=(_row("north", "w1", day, autumn, "2022-11-12", (196, 196), "late"),
                                    _row("south", None, None, day, None, (None, None), "added")),
                            waves=(_row("w1", "w1", day, day, "2022-05-07", (7, 7), "late"),))
    root = _svg(gantt_svg(comparison))
    rows = [(g.get("class"), g.get("data-subject")) for g in root.findall("svg:g", NS) if g.get("data-subject")]
    assert rows == [("wave-row", "w1"), ("actor-row", "north"), ("actor-row", "south")]
    north = root.find("svg:g[@data-subject='north']", NS)
    assert north is not None
    bars = {bar.get("class"): bar for bar in north.findall("svg:rect", NS) if "bar" in (bar.get("class") or "")}
    assert set(bars) == {"bar baseline", "bar current"}
    assert bars["bar current"].get("data-latest") == ""  # the source gave no latest bound
    assert bars["bar current"].get("fill-opacity") == "0.45"
    assert north.find("svg:path[@class='actual']", NS) is not None
    assert north.findtext("svg:text[@class='slip']", namespaces=NS).startswith("+196 d | +196 d")
    south = root.find("svg:g[@data-subject='south']", NS)
    assert south is not None
    assert south.find("svg:rect[@class='bar baseline']", NS) is None
    ticks = root.findall("svg:g[@class='x-axis']/svg:text[@class='tick']", NS)
    assert ticks
    assert all(date.fromisoformat(t.get("data-date", "")) for t in ticks)
    assert root.find("svg:line[@class='against']", NS) is not None
