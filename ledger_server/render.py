"""Turn read-side views into plain tables for people and JSON for programs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from ledger.values import LocalTime, MoneyKind, MoneyWindow, PlannedWindow, Source


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of a view: dates as ISO strings, money as decimal strings."""
    if isinstance(value, PlannedWindow | Source | MoneyWindow):
        return value.to_json()
    if isinstance(value, LocalTime):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [jsonable(v) for v in value]
        return sorted(items) if isinstance(value, frozenset | set) else items
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return value.value
    return value


def to_json(value: Any) -> str:
    """Pretty JSON of a view."""
    return json.dumps(jsonable(value), indent=2, ensure_ascii=False)


def cell(value: Any) -> str:
    """One table cell."""
    if value is None:
        return "-"
    if isinstance(value, PlannedWindow):
        # Bounds first: when a long label is cut, the dates stay readable.
        bounds = f"{value.earliest or '…'}..{value.latest or '…'}"
        if value.earliest is not None and value.earliest == value.latest:
            bounds = f"{value.earliest} {value.at}" if value.at else str(value.earliest)
        return bounds if value.label == bounds else f"{bounds} {value.label}"
    if isinstance(value, MoneyWindow):
        return money_cell(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ").removesuffix(".00")
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    return str(value)


def money_cell(window: MoneyWindow) -> str:
    """A money window in a table: its bounds, short (`≥ 5 000 000`, `~300 000`, `1 000..2 000`)."""
    about = "~" if window.kind is MoneyKind.ABOUT else ""
    low = None if window.low is None else cell(window.low)
    high = None if window.high is None else cell(window.high)
    if low is not None and low == high:
        return f"{about}{low}"
    if high is None:
        return f"{about}≥ {low}"
    return f"{about}≤ {high}" if low is None else f"{about}{low}..{high}"


# A cut cell ends in this mark; "…" already means an open bound of a window.
CUT_MARK = "~"
TABLE_WIDTH = 100  # a table fits a 100-column terminal unless asked for every character
MIN_COLUMN = 16  # a narrowed free-text column still shows its first words


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int | None = 60,
    flexible: Sequence[str] = (), total_width: int | None = TABLE_WIDTH,
) -> str:
    """A left-aligned text table with a header rule.

    Cells longer than `max_width` are cut; then the widest of the `flexible` columns (free text
    such as a source title, never an id or a date) are narrowed until the table fits
    `total_width`. A cut cell ends in CUT_MARK. `None` for both shows every character.
    """
    texts = [[cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in texts)]) for i, h in enumerate(headers)]
    if max_width is not None:
        widths = [min(w, max(max_width, len(h))) for w, h in zip(widths, headers, strict=True)]
    if total_width is not None:
        widths = _fit(widths, [h if h in flexible else None for h in headers], total_width)
    texts = [[_cut(t, w) for t, w in zip(row, widths, strict=True)] for row in texts]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(t.ljust(w) for t, w in zip(row, widths, strict=True)).rstrip() for row in texts]
    return "\n".join(lines)


def _fit(widths: list[int], flexible: Sequence[str | None], total: int) -> list[int]:
    """Narrow the widest flexible column, one character at a time, until the row fits `total`."""
    widths = list(widths)
    floors = [max(len(h), MIN_COLUMN) if h is not None else w for h, w in zip(flexible, widths, strict=True)]
    gaps = 2 * (len(widths) - 1)
    while sum(widths) + gaps > total:
        shrinkable = [i for i, w in enumerate(widths) if w > floors[i]]
        if not shrinkable:
            break  # ids and dates are never cut: wider than asked rather than wrong
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + CUT_MARK
