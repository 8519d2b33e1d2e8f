"""Value types of the ledger: money, money windows, dates, slugs, planned windows and sources.

Each `parse_*` function takes what a client sent (JSON-ish) and returns a typed value or
raises `InvalidInput` naming what was wrong. Values are immutable and compare by value.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ledger.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
MONEY = re.compile(r"[0-9]{1,18}(\.[0-9]{1,2})?")  # ASCII digits only: "١٢٣٤" is not an amount here


def parse_slug(raw: object, field: str) -> str:
    """A lower-case identifier such as `st-olavs-hospital` or `pd1`."""
    if not isinstance(raw, str) or not SLUG.fullmatch(raw):
        raise InvalidInput(
            f"{raw!r} is not a valid id: use lower-case letters, digits and '-' "
            "(at most 80 characters, starting with a letter or digit)",
            field=field,
        )
    return raw


def parse_text(raw: object, field: str, *, max_length: int = 4000) -> str:
    """A non-empty string of bounded length."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("must be a non-empty string", field=field)
    if "\x00" in raw:
        # PostgreSQL cannot store it in text or jsonb; refuse it for every store alike.
        raise InvalidInput("contains a NUL character (U+0000)", field=field)
    if len(raw) > max_length:
        raise InvalidInput(f"is longer than {max_length} characters", field=field)
    return raw


def parse_date(raw: object, field: str) -> date:
    """A calendar date written YYYY-MM-DD; impossible dates such as 2023-02-30 fail."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if not isinstance(raw, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw, re.ASCII):
        raise InvalidInput(f"{raw!r} is not a date in the form YYYY-MM-DD", field=field)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a real calendar date", field=field) from None


def parse_money(raw: object, field: str) -> Decimal:
    """NOK as a decimal string: non-negative, finite, at most 18 digits and 2 decimals.

    JSON numbers are refused because a float cannot carry money exactly.
    """
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise InvalidInput(f"{raw} is not a finite amount", field=field)
        raw = format(raw, "f")
    if isinstance(raw, (bool, int | float)):
        raise InvalidInput(
            f"{raw!r} is a JSON number; write money as a decimal string such as \"1250.50\"",
            field=field,
        )
    if not isinstance(raw, str) or not MONEY.fullmatch(raw):
        raise InvalidInput(
            f"{raw!r} is not an amount: use a non-negative decimal string with at most "
            "2 decimals, such as \"380000000\" or \"1250.50\"",
            field=field,
        )
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees a number
        raise InvalidInput(f"{raw!r} is not an amount", field=field) from None


def format_money(amount: Decimal) -> str:
    """The canonical decimal string of an amount (no exponent, no trailing noise)."""
    return format(amount, "f")


class LocalTime:
    """A time of day on the wall clock of a named time zone, as a source gave it: `22:00 Europe/Oslo`.

    The zone is an IANA name, so the moment on a given day follows that day's offset (summer
    time included) instead of one fixed offset. Not a dataclass on purpose: it is stored as its
    string, and msgspec hands a string to a custom type's hook but not to a dataclass.
    """

    __slots__ = ("time", "zone")
    time: clock_time
    zone: str

    def __init__(self, at: clock_time, zone: str) -> None:
        object.__setattr__(self, "time", at)
        object.__setattr__(self, "zone", zone)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("LocalTime is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalTime) and (self.time, self.zone) == (other.time, other.zone)

    def __hash__(self) -> int:
        return hash((self.time, self.zone))

    def __repr__(self) -> str:
        return f"LocalTime({str(self)!r})"

    def on(self, day: date) -> datetime:
        """The moment (in UTC) this local time names on `day`."""
        return datetime.combine(day, self.time, tzinfo=ZoneInfo(self.zone)).astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.time:%H:%M} {self.zone}"


LOCAL_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9]) ([A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*)", re.ASCII)


def parse_local_time(raw: object, field: str) -> LocalTime:
    """A time of day and an IANA time zone written `HH:MM Zone/Name`, such as `22:00 Europe/Oslo`."""
    if isinstance(raw, LocalTime):
        return raw
    if not isinstance(raw, str) or not (m := LOCAL_TIME.fullmatch(raw)):
        raise InvalidInput(
            f"{raw!r} is not a time of day with a time zone: write HH:MM and an IANA zone name, "
            "such as \"22:00 Europe/Oslo\"", field=field)
    if not _known_zone(m[3]):
        raise InvalidInput(f"{m[3]!r} is not a known IANA time zone (such as Europe/Oslo or UTC)", field=field)
    return LocalTime(clock_time(int(m[1]), int(m[2])), m[3])


@cache
def _known_zone(name: str) -> bool:
    # `ZoneInfo` also opens files such as "posixrules"; only listed names are zones a source means.
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return name in _zone_names()


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


class Precision(StrEnum):
    """How exactly a planned window was stated by its source."""

    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    SEASON = "season"
    YEAR = "year"
    WINDOW = "window"


# What each precision means, for the GraphQL enum and the docs (help text lives with the values).
PRECISION_HELP: dict[Precision, str] = {
    Precision.DAY: "One day: earliest and latest are the same date (\"2024-04-27\").",
    Precision.MONTH: "A calendar month: its first and last day (\"2024-10\", \"February 2025\").",
    Precision.QUARTER: "A calendar quarter: its first and last day (\"2024-Q3\").",
    Precision.HALF: "A half year, January-June or July-December (\"2024-H1\").",
    Precision.SEASON: "A season as the source named it (\"autumn 2024\", \"after the summer\"); "
                      "a bound may be missing.",
    Precision.YEAR: "A calendar year: 1 January to 31 December (\"2024\").",
    Precision.WINDOW: "Any other span the source gave, such as \"October/November 2024\" or "
                      "\"before summer 2024\" (one bound may be missing).",
}


@dataclass(frozen=True, slots=True)
class PlannedWindow:
    """A planned date as the source gave it: bounds, precision and the source's own words.

    A bound is None when the source gave none ("before summer 2024" has no earliest day);
    the ledger never invents one. A window of one day may carry the time of day the source
    named (`at`); no other window can, because a time on an unknown day means nothing.
    """

    earliest: date | None
    latest: date | None
    precision: Precision
    label: str
    at: LocalTime | None = None

    FIELD_HELP: ClassVar[dict[str, str]] = {
        "earliest": "The first day the plan allows (inclusive); null when the source gave no lower bound.",
        "latest": "The last day the plan allows (inclusive); null when the source gave no upper bound.",
        "precision": "How exactly the source stated the window.",
        "label": "The source's own words for the date, such as \"oktober/november 2024\".",
        "at": "The local time of day and IANA time zone the source gave, \"22:00 Europe/Oslo\" "
              "(only on a window of one day).",
    }

    def to_json(self) -> dict[str, Any]:
        """The window as a JSON object (`at` only when the source gave a time, so older entries keep their form)."""
        data: dict[str, Any] = {
            "earliest": self.earliest.isoformat() if self.earliest else None,
            "latest": self.latest.isoformat() if self.latest else None,
            "precision": self.precision.value,
            "label": self.label,
        }
        if self.at is not None:
            data["at"] = str(self.at)
        return data

    @property
    def moment(self) -> datetime | None:
        """The planned moment in UTC, when the window is one day with a time of day."""
        return None if self.at is None or self.earliest is None else self.at.on(self.earliest)

    def __str__(self) -> str:
        bounds = f"{self.earliest or '…'}..{self.latest or '…'}"
        if self.earliest and self.earliest == self.latest:
            bounds = str(self.earliest)
        shown = f"{self.label} ({bounds})" if self.label != bounds else bounds
        return f"{shown} {self.at}" if self.at and str(self.at) not in self.label else shown


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year(digits: str, text: str, field: str) -> int:
    year = int(digits)
    if year < 1:
        raise InvalidInput(f"{text!r} names year {year}; the calendar starts at year 1", field=field)
    return year


def window_from_shorthand(text: str, field: str) -> PlannedWindow:
    """A window from a shorthand string: YYYY-MM-DD (with `HH:MM Zone` or not), YYYY-MM, YYYY-Qn, YYYY-Hn, YYYY."""
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2}) (.+)", text, re.ASCII):
        day = parse_date(m[1], field)
        return PlannedWindow(day, day, Precision.DAY, text, parse_local_time(m[2], field))
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text, re.ASCII):
        day = parse_date(text, field)
        return PlannedWindow(day, day, Precision.DAY, text)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text, re.ASCII):
        year, month = _year(m[1], text, field), int(m[2])
        if not 1 <= month <= 12:
            raise InvalidInput(f"{text!r} names month {month}, which does not exist", field=field)
        return PlannedWindow(date(year, month, 1), _month_end(year, month), Precision.MONTH, text)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text, re.ASCII):
        year, quarter = _year(m[1], text, field), int(m[2])
        first = 3 * quarter - 2
        return PlannedWindow(
            date(year, first, 1), _month_end(year, first + 2), Precision.QUARTER, text
        )
    if m := re.fullmatch(r"(\d{4})-H([12])", text, re.ASCII):
        year, half = _year(m[1], text, field), int(m[2])
        first = 1 if half == 1 else 7
        return PlannedWindow(date(year, first, 1), _month_end(year, first + 5), Precision.HALF, text)
    if m := re.fullmatch(r"(\d{4})", text, re.ASCII):
        year = _year(m[1], text, field)
        return PlannedWindow(date(year, 1, 1), date(year, 12, 31), Precision.YEAR, text)
    raise InvalidInput(
        f"{text!r} is not a window: use an object with earliest, latest, precision and label, "
        "or one of YYYY-MM-DD, YYYY-MM-DD HH:MM Zone, YYYY-MM, YYYY-Qn, YYYY-Hn, YYYY",
        field=field,
    )


def _known_fields(raw: dict[str, Any], allowed: set[str], what: str, field: str) -> None:
    """Refuse an object with fields its value type does not have (a typo is not silently dropped)."""
    unknown = set(raw) - allowed
    if unknown:
        raise InvalidInput(f"unknown {what} field(s): {', '.join(sorted(unknown))}", field=field)


def _member(kind: type[E], raw: object, what: str, field: str) -> E:
    """The member of a string enum named by `raw`, or an error listing them all."""
    try:
        return kind(str(raw))
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{raw!r} is not {what} (one of {allowed})", field=field) from None


def parse_precision(raw: object, field: str) -> Precision:
    """How exactly a window was stated: one of the `Precision` values."""
    return _member(Precision, raw, "a precision", field)


def parse_window(raw: object, field: str) -> PlannedWindow:
    """A planned window from an object or a shorthand string (see docs/import-format.md)."""
    if isinstance(raw, PlannedWindow):
        return raw
    if isinstance(raw, str):
        return window_from_shorthand(raw, field)
    if not isinstance(raw, dict):
        raise InvalidInput("must be a window object or a shorthand string", field=field)
    _known_fields(raw, {"earliest", "latest", "precision", "label", "at"}, "window", field)
    earliest = None if raw.get("earliest") is None else parse_date(raw["earliest"], f"{field}.earliest")
    latest = None if raw.get("latest") is None else parse_date(raw["latest"], f"{field}.latest")
    if earliest is None and latest is None:
        raise InvalidInput("a window needs at least one of earliest and latest", field=field)
    if earliest and latest and earliest > latest:
        raise InvalidInput(f"earliest {earliest} is after latest {latest}", field=field)
    precision = parse_precision(raw.get("precision"), f"{field}.precision")
    label = parse_text(raw.get("label"), f"{field}.label", max_length=200)
    at = window_time(raw.get("at"), precision, earliest, latest, f"{field}.at")
    return PlannedWindow(earliest, latest, precision, label, at)


def window_time(
    raw: object, precision: Precision, earliest: date | None, latest: date | None, field: str,
) -> LocalTime | None:
    """A window's time of day (None when not given); only a window of one day may carry one."""
    if raw is None:
        return None
    at = parse_local_time(raw, field)
    if precision is not Precision.DAY or earliest is None or earliest != latest:
        raise InvalidInput("a time of day needs a window of one day (precision day, earliest = latest)", field=field)
    return at


class MoneyKind(StrEnum):
    """How a source stated an amount of money."""

    EXACT = "exact"
    RANGE = "range"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    ABOUT = "about"


# What each kind means, for the GraphQL enum and the docs (help text lives with the values).
MONEY_KIND_HELP: dict[MoneyKind, str] = {
    MoneyKind.EXACT: "One figure, exactly (\"380 000 000 kroner\"): low and high are the same.",
    MoneyKind.RANGE: "Between low and high (\"40-60 MNOK\").",
    MoneyKind.AT_LEAST: "A floor and no ceiling (\"at least 5 bn spent so far\"): high is null.",
    MoneyKind.AT_MOST: "A ceiling and no floor (\"inntil 380 millioner\"): low is null.",
    MoneyKind.ABOUT: "Approximately (\"om lag 4 mrd.\"); a sum with an approximate part is approximate too.",
}


@dataclass(frozen=True, slots=True)
class MoneyWindow:
    """An amount of money as the source gave it: bounds, kind and the source's own words.

    `low` is None when the source gave no floor ("at most 522 MNOK"), `high` when it gave no
    ceiling ("at least 5 bn spent so far"); an exact or approximate figure has low == high. The
    ledger never narrows a window into a figure the source did not give. Bounds of sums and
    differences may be negative (a variance under budget); what a source states never is.
    """

    kind: MoneyKind
    low: Decimal | None
    high: Decimal | None
    label: str

    FIELD_HELP: ClassVar[dict[str, str]] = {
        "kind": "How the source stated the amount.",
        "low": "The floor in NOK; null when there is none (at most).",
        "high": "The ceiling in NOK; null when there is none (at least).",
        "label": "The source's own words, such as \"inntil 380 millioner kroner\"; for a sum or variance, its bounds.",
    }

    def to_json(self) -> dict[str, Any]:
        """The window as a JSON object (the form `parse_money_window` reads back)."""
        return {
            "kind": self.kind.value,
            "low": None if self.low is None else format_money(self.low),
            "high": None if self.high is None else format_money(self.high),
            "label": self.label,
        }

    def __str__(self) -> str:
        bounds = _money_bounds(self.kind, self.low, self.high)
        return bounds if self.label == bounds else f"{self.label} ({bounds})"

    def __add__(self, other: MoneyWindow) -> MoneyWindow:
        """Both bounds added; a bound open on either side stays open."""
        return derived_window(_plus(self.low, other.low), _plus(self.high, other.high),
                              approximate=MoneyKind.ABOUT in (self.kind, other.kind))

    def __sub__(self, other: MoneyWindow) -> MoneyWindow:
        """The widest difference: low minus the other's high, high minus the other's low."""
        return derived_window(_minus(self.low, other.high), _minus(self.high, other.low),
                              approximate=MoneyKind.ABOUT in (self.kind, other.kind))


def _plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a + b


def _minus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def _money_bounds(kind: MoneyKind, low: Decimal | None, high: Decimal | None) -> str:
    about = "about " if kind is MoneyKind.ABOUT else ""
    if low is not None and low == high:
        return f"{about}{format_money(low)}"
    if high is None:
        return f"{about}at least {format_money(low)}" if low is not None else "unknown"
    if low is None:
        return f"{about}at most {format_money(high)}"
    return f"{about}{format_money(low)}..{format_money(high)}"


def derived_window(low: Decimal | None, high: Decimal | None, *, approximate: bool) -> MoneyWindow:
    """A window computed from others (a sum, a variance): its kind follows from its bounds,
    and "about" from any approximate part; its label is its bounds, since no source said it."""
    if approximate:
        kind = MoneyKind.ABOUT
    elif low is not None and low == high:
        kind = MoneyKind.EXACT
    elif low is None:
        kind = MoneyKind.AT_MOST
    else:
        kind = MoneyKind.AT_LEAST if high is None else MoneyKind.RANGE
    return MoneyWindow(kind, low, high, _money_bounds(kind, low, high))


def money_window_from_shorthand(text: str, field: str) -> MoneyWindow:
    """"380000000" (exact) or "40000000..60000000" (range); the label is the text itself."""
    low, dots, high = text.partition("..")
    if not dots:
        amount = parse_money(text, field)
        return MoneyWindow(MoneyKind.EXACT, amount, amount, text)
    return money_window_from_parts(MoneyKind.RANGE, None, parse_money(low, f"{field}.low"),
                                   parse_money(high, f"{field}.high"), text, field)


_BOUNDS = {  # which bounds each kind has: (low, high)
    MoneyKind.EXACT: (True, True), MoneyKind.ABOUT: (True, True), MoneyKind.RANGE: (True, True),
    MoneyKind.AT_LEAST: (True, False), MoneyKind.AT_MOST: (False, True),
}


def money_window_from_parts(kind: MoneyKind, amount: Decimal | None, low: Decimal | None, high: Decimal | None,
                            label: str, field: str) -> MoneyWindow:
    """A money window from its object's parts (amounts already read): the bounds its kind has."""
    wants_low, wants_high = _BOUNDS[kind]
    if amount is not None:
        if low is not None or high is not None:
            raise InvalidInput("give amount, or low and high, not both", field=f"{field}.amount")
        if kind is MoneyKind.RANGE:
            raise InvalidInput("a range needs low and high, not one amount", field=f"{field}.amount")
        low, high = (amount if wants_low else None), (amount if wants_high else None)
    for name, wanted, value in (("low", wants_low, low), ("high", wants_high, high)):
        if wanted and value is None:
            raise InvalidInput(f"a money window of kind {kind.value} needs {name} (or amount)", field=field)
        if not wanted and value is not None:
            raise InvalidInput(f"a money window of kind {kind.value} has no {name}", field=f"{field}.{name}")
    if low is not None and high is not None and low > high:
        raise InvalidInput(f"low {format_money(low)} is above high {format_money(high)}", field=field)
    if kind in (MoneyKind.EXACT, MoneyKind.ABOUT) and low != high:
        raise InvalidInput(f"a money window of kind {kind.value} has one amount; use kind range for two",
                           field=field)
    if kind is MoneyKind.RANGE and low == high:
        raise InvalidInput("a range needs low below high; use kind exact or about for one amount", field=field)
    return MoneyWindow(kind, low, high, label)


def parse_money_kind(raw: object, field: str) -> MoneyKind:
    """How an amount was stated: one of the `MoneyKind` values."""
    return _member(MoneyKind, raw, "a kind of money window", field)


def parse_money_window(raw: object, field: str) -> MoneyWindow:
    """Money as the source stated it: an object with kind, amount (or low and high) and label,
    or a shorthand string: "380000000" (exact) or "1200000000..1500000000" (range)."""
    if isinstance(raw, MoneyWindow):
        return raw
    if isinstance(raw, str):
        return money_window_from_shorthand(raw, field)
    if not isinstance(raw, dict):
        raise InvalidInput("must be a money window object or a decimal string", field=field)
    _known_fields(raw, {"kind", "amount", "low", "high", "label"}, "money window", field)
    kind = parse_money_kind(raw.get("kind"), f"{field}.kind")

    def bound(name: str) -> Decimal | None:
        return None if raw.get(name) is None else parse_money(raw[name], f"{field}.{name}")

    low, high, amount = bound("low"), bound("high"), bound("amount")
    label = parse_text(raw.get("label"), f"{field}.label", max_length=200)
    return money_window_from_parts(kind, amount, low, high, label, field)


@dataclass(frozen=True, slots=True)
class Source:
    """Where an entry comes from: a document, its publisher and dates."""

    title: str
    publisher: str | None = None
    url: str | None = None
    reference: str | None = None
    published_on: date | None = None
    updated_on: date | None = None

    FIELD_HELP: ClassVar[dict[str, str]] = {
        "title": "The document's title.",
        "publisher": "Who published the document; null when not given.",
        "url": "Where the document can be read; null when it has no address.",
        "reference": "A document or case number (journal number, minutes item); null when not given.",
        "published_on": "The day the document was published; null when unknown.",
        "updated_on": "The day the document was last updated, for pages that change; null when unknown.",
    }

    def to_json(self) -> dict[str, Any]:
        """The source as a JSON object, without empty fields."""
        data: dict[str, Any] = {"title": self.title}
        for name in ("publisher", "url", "reference"):
            if (value := getattr(self, name)) is not None:
                data[name] = value
        for name in ("published_on", "updated_on"):
            if (value := getattr(self, name)) is not None:
                data[name] = value.isoformat()
        return data


def parse_source(raw: object, field: str = "source") -> Source:
    """A source object; only `title` is required."""
    if isinstance(raw, Source):
        return raw
    if not isinstance(raw, dict):
        raise InvalidInput("must be an object with at least a title", field=field)
    _known_fields(raw, {"title", "publisher", "url", "reference", "published_on", "updated_on"}, "source", field)

    def optional_text(name: str) -> str | None:
        value = raw.get(name)
        return None if value is None else parse_text(value, f"{field}.{name}", max_length=2000)

    def optional_date(name: str) -> date | None:
        value = raw.get(name)
        return None if value is None else parse_date(value, f"{field}.{name}")

    return Source(
        title=parse_text(raw.get("title"), f"{field}.title", max_length=500),
        publisher=optional_text("publisher"),
        url=optional_text("url"),
        reference=optional_text("reference"),
        published_on=optional_date("published_on"),
        updated_on=optional_date("updated_on"),
    )
