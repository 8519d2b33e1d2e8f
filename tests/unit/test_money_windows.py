"""Money windows: parsed as the source stated them, added and subtracted without inventing figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.errors import InvalidInput
from ledger.values import MoneyKind, MoneyWindow, parse_money_window


def _w(raw: object) -> MoneyWindow:
    return parse_money_window(raw, "amount")


def _bounds(window: MoneyWindow) -> tuple[str, str | None, str | None]:
    low = None if window.low is None else str(window.low)
    high = None if window.high is None else str(window.high)
    return window.kind.value, low, high


@pytest.mark.parametrize(("raw", "expected"), [
    ("380000000", ("exact", "380000000", "380000000")),
    ("40000000..60000000", ("range", "40000000", "60000000")),
    ({"kind": "exact", "amount": "1250.50", "label": "1 250,50 kr"}, ("exact", "1250.50", "1250.50")),
    ({"kind": "about", "amount": "4000000000", "label": "om lag 4 mrd."}, ("about", "4000000000", "4000000000")),
    ({"kind": "at_least", "amount": "5000000000", "label": "minst 5 mrd."}, ("at_least", "5000000000", None)),
    ({"kind": "at_most", "amount": "380000000", "label": "inntil 380 mill."}, ("at_most", None, "380000000")),
    ({"kind": "range", "low": "1", "high": "2", "label": "1-2 kr"}, ("range", "1", "2")),
    # The stored and exported form, with both bounds named, reads back as it was.
    ({"kind": "at_least", "low": "7", "high": None, "label": "minst 7"}, ("at_least", "7", None)),
])
def test_a_window_is_read_as_stated(raw: object, expected: tuple[str, str | None, str | None]) -> None:
    window = _w(raw)
    assert _bounds(window) == expected
    assert _w(window.to_json()) == window
    assert window.label == (raw if isinstance(raw, str) else raw["label"])  # type: ignore[index]


@pytest.mark.parametrize(("raw", "field", "message"), [
    ({"kind": "range", "low": "9", "high": "2", "label": "x"}, "amount", "low 9 is above high 2"),
    ("9..2", "amount", "low 9 is above high 2"),
    ({"kind": "exact", "amount": "١٢٣٤", "label": "x"}, "amount.amount", "is not an amount"),
    ("١٢٣٤", "amount", "is not an amount"),
    ({"kind": "roughly", "amount": "5", "label": "x"}, "amount.kind", "'roughly' is not a kind of money window"),
    ({"kind": "exact", "amount": 5, "label": "x"}, "amount.amount", "is a JSON number"),
    ({"kind": "exact", "amount": "-5", "label": "x"}, "amount.amount", "is not an amount"),
    ({"kind": "at_least", "amount": "5"}, "amount.label", "must be a non-empty string"),
    ({"kind": "range", "amount": "5", "label": "x"}, "amount.amount", "a range needs low and high"),
    ({"kind": "at_least", "low": "1", "high": "5", "label": "x"}, "amount.high", "at_least has no high"),
    ({"kind": "at_most", "label": "x"}, "amount", "at_most needs high"),
    ({"kind": "exact", "low": "1", "high": "2", "label": "x"}, "amount", "has one amount"),
    ({"kind": "range", "low": "2", "high": "2", "label": "x"}, "amount", "a range needs low below high"),
    ({"kind": "exact", "amount": "1", "low": "1", "label": "x"}, "amount.amount", "not both"),
    ({"kind": "exact", "amount": "1", "label": "x", "currency": "EUR"}, "amount", "unknown money window field"),
    (["1"], "amount", "must be a money window object"),
])
def test_a_bad_window_names_its_field(raw: object, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _w(raw)
    assert refused.value.field == field
    assert message in str(refused.value)


def test_a_sum_keeps_both_bounds_and_an_open_bound_stays_open() -> None:
    total = _w("100..200") + _w({"kind": "at_least", "amount": "50", "label": "minst 50"})
    assert _bounds(total) == ("at_least", "150", None)
    assert total.label == "at least 150"
    assert _bounds(_w("100") + _w("20..30")) == ("range", "120", "130")
    assert _bounds(_w("100") + _w("5")) == ("exact", "105", "105")
    assert _bounds(_w({"kind": "at_most", "amount": "9", "label": "x"}) + _w("1")) == ("at_most", None, "10")


def test_anything_about_makes_the_result_about() -> None:
    about = _w({"kind": "about", "amount": "300", "label": "om lag 300"})
    assert _bounds(about + _w("100")) == ("about", "400", "400")
    assert _bounds(about + _w({"kind": "at_least", "amount": "1", "label": "x"})) == ("about", "301", None)
    assert str(about + _w("100")) == "about 400"


def test_a_variance_is_the_widest_difference_and_may_be_negative() -> None:
    estimate = _w({"kind": "at_least", "amount": "4200", "label": "minst 4200"})
    budget = _w("3000..3500")
    assert _bounds(estimate - budget) == ("at_least", "700", None)
    assert _bounds(_w("3000..3500") - _w("4000")) == ("range", "-1000", "-500")
    ceiling = _w({"kind": "at_most", "amount": "9", "label": "x"}) - _w({"kind": "at_least", "amount": "1",
                                                                       "label": "y"})
    assert (ceiling.low, ceiling.high, ceiling.kind) == (None, Decimal("8"), MoneyKind.AT_MOST)
    # Neither bound is known when both sides lack a ceiling: the ledger says so rather than guess.
    unknown = _w({"kind": "at_least", "amount": "9", "label": "x"}) - _w({"kind": "at_least", "amount": "1",
                                                                        "label": "y"})
    assert (unknown.low, unknown.high, unknown.label) == (None, None, "unknown")


def test_sums_never_round() -> None:
    assert (_w("0.10") + _w("0.20")).low == Decimal("0.30")
