"""The small kit both charts share: an SVG document, a date scale and a labelled date axis.

The charts are built with the standard library's ElementTree rather than a plotting library:
they are two fixed chart types whose every element we want to name (one path per series, a
hover title per point), and the output stays a few kilobytes of plain, escaped SVG.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, timedelta

SVG_NS = "http://www.w3.org/2000/svg"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f")
FONT = "font-family: system-ui, sans-serif; font-size: 12px"


def document(width: float, height: float, title: str) -> ET.Element:
    """An empty SVG of this size, with an accessible title."""
    root = ET.Element("svg", {
        "xmlns": SVG_NS, "width": _n(width), "height": _n(height), "viewBox": f"0 0 {_n(width)} {_n(height)}",
        "role": "img", "style": FONT,
    })
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "rect", {"width": "100%", "height": "100%", "fill": "white"})
    return root


def add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str | float) -> ET.Element:
    """A child element; `class_` stands for `class`, numbers are written compactly."""
    element = ET.SubElement(parent, tag, {k.rstrip("_").replace("_", "-"): _value(v) for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def hover(element: ET.Element, text: str) -> None:
    """A tooltip: browsers show an element's <title> child on hover."""
    ET.SubElement(element, "title").text = text


def to_text(root: ET.Element) -> str:
    """The SVG as a string, ready to write to a file or to put inline in a page."""
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


@dataclass(frozen=True)
class DateScale:
    """Days from `start` to `end` laid onto pixels from `low` to `high` (high may be below low)."""

    start: date
    end: date
    low: float
    high: float

    def __call__(self, day: date) -> float:
        span = max((self.end - self.start).days, 1)
        return self.low + (self.high - self.low) * (day - self.start).days / span

    def ticks(self, most: int = 9) -> list[date]:
        """First days of months, quarters or years between start and end, at most `most` of them."""
        for step in (1, 3, 6, 12, 24, 60):
            days = _month_starts(self.start, self.end, step)
            if len(days) <= most:
                return days
        return [self.start, self.end]


def x_axis(parent: ET.Element, scale: DateScale, y: float, top: float, title: str) -> None:
    """Date ticks along the bottom at `y`, with faint grid lines up to `top` and an axis title."""
    axis = add(parent, "g", class_="x-axis")
    ticks = scale.ticks(most=6)
    yearly = _is_yearly(ticks)
    add(axis, "line", x1=scale.low, x2=scale.high, y1=y, y2=y, stroke="#333")
    for day in ticks:
        x = scale(day)
        add(axis, "line", class_="grid", x1=x, x2=x, y1=top, y2=y, stroke="#eee")
        add(axis, "text", tick_label(day, yearly), class_="tick", x=x, y=y + 16, text_anchor="middle",
            data_date=day.isoformat())
    add(axis, "text", title, class_="axis-title", x=(scale.low + scale.high) / 2, y=y + 34, text_anchor="middle")


def y_axis(parent: ET.Element, scale: DateScale, x: float, right: float, title: str) -> None:
    """Date ticks up the left side at `x`, with faint grid lines across to `right` and an axis title."""
    axis = add(parent, "g", class_="y-axis")
    ticks = scale.ticks(most=6)
    yearly = _is_yearly(ticks)
    add(axis, "line", x1=x, x2=x, y1=scale.low, y2=scale.high, stroke="#333")
    for day in ticks:
        y = scale(day)
        add(axis, "line", class_="grid", x1=x, x2=right, y1=y, y2=y, stroke="#eee")
        add(axis, "text", tick_label(day, yearly), class_="tick", x=x - 6, y=y + 4, text_anchor="end",
            data_date=day.isoformat())
    middle = (scale.low + scale.high) / 2
    add(axis, "text", title, class_="axis-title", x=x - 58, y=middle, text_anchor="middle",
        transform=f"rotate(-90 {_n(x - 58)} {_n(middle)})")


def _is_yearly(ticks: list[date]) -> bool:
    return len(ticks) > 1 and all(day.month == 1 for day in ticks)


def padded(days: list[date], margin_days: int = 30, share: float = 0.0) -> tuple[date, date]:
    """The range of `days` widened on both sides by `margin_days` or `share` of its span, whichever is more,
    so marks never sit on the frame."""
    low, high = min(days), max(days)
    margin = timedelta(days=max(margin_days, round((high - low).days * share)))
    return low - margin, high + margin


def tick_label(day: date, step_is_year: bool) -> str:
    """A date as an axis reads it: YYYY for year ticks, else YYYY-MM."""
    return f"{day:%Y}" if step_is_year else f"{day:%Y-%m}"


def _month_starts(start: date, end: date, step: int) -> list[date]:
    index = start.year * 12 + start.month - 1
    index += (-index) % step  # first multiple of the step on or after start's month
    found: list[date] = []
    while True:
        day = date(index // 12, index % 12 + 1, 1)
        if day > end:
            return found
        if day >= start:
            found.append(day)
        index += step


def _value(value: str | float) -> str:
    return value if isinstance(value, str) else _n(value)


def _n(number: float) -> str:
    return f"{number:.1f}".removesuffix(".0")
