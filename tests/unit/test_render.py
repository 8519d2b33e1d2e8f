"""Tables for people: a cut cell is marked differently from an open window bound, and tables fit."""

from __future__ import annotations

from datetime import date

from ledger.values import PlannedWindow, Precision
from ledger_server.render import CUT_MARK, TABLE_WIDTH, cell, table


def _open_start() -> PlannedWindow:
    return PlannedWindow(None, date(2024, 6, 30), Precision("season"), "before the summer 2024")


def test_an_open_bound_shows_an_ellipsis_and_a_cut_cell_the_cut_mark() -> None:
    assert cell(_open_start()).startswith("…..2024-06-30")
    text = table(["planned", "note"], [(_open_start(), "x" * 80)], max_width=30, total_width=None)
    row = text.splitlines()[2]
    assert row.split("  ")[-1] == "x" * 29 + CUT_MARK
    assert CUT_MARK != "…"
    # The window's own label is cut too, after its bounds, and still ends in the cut mark.
    assert row.startswith("…..2024-06-30 before the summe" [:29] + CUT_MARK)


def test_flexible_columns_are_narrowed_until_the_table_fits() -> None:
    rows = [("helseplattformen:1", "A long source title " * 5, "another long free text " * 4)]
    text = table(["entry", "source", "note"], rows, flexible=["source", "note"])
    assert max(len(line) for line in text.splitlines()) <= TABLE_WIDTH
    assert text.splitlines()[2].startswith("helseplattformen:1  ")  # an id is never cut


def test_a_table_of_ids_only_is_never_cut_even_when_wider_than_asked() -> None:
    rows = [("x" * 70, "y" * 50)]
    text = table(["a", "b"], rows, max_width=None, flexible=[])
    assert text.splitlines()[2] == "x" * 70 + "  " + "y" * 50


def test_no_limits_shows_every_character() -> None:
    text = table(["source"], [("z" * 300,)], max_width=None, total_width=None)
    assert text.splitlines()[2] == "z" * 300
