"""`ledger log` and `ledger history` on the imported Helseplattformen dataset (SQLite and PostgreSQL):
the audit trail names every entry's source, and the history of the two later hospital trusts shows
each revision of their planned go-live in effective order."""

from __future__ import annotations

import json
import re
from io import StringIO
from typing import Any

import pytest

from ledger_server.cli import main
from ledger_server.render import CUT_MARK
from tests.acceptance.conftest import ImportedLedger
from tests.acceptance.helseplattformen_answers import (
    ENTRIES,
    HISTORY,
    ORIGINAL_PLAN,
    OVERDUE_ACTORS,
    OVERDUE_ON,
    OVERDUE_WAVES,
    PROGRAMME,
    REVISED_PLAN,
    REVISED_PLAN_AS_OF,
    REVISED_PLAN_BODY,
    collapsed,
    json_shape,
)


def ledger(*argv: str) -> str:
    """Run the `ledger` command; returns what it printed (it must succeed and print no error)."""
    out, err = StringIO(), StringIO()
    status = main(list(argv), out=out, err=err)
    assert (status, err.getvalue()) == (0, "")
    return out.getvalue()


def table(text: str) -> list[dict[str, str]]:
    """The rows of a printed table, as {header: cell}; columns are found from the header rule."""
    header, rule, *rows = text.rstrip("\n").splitlines()
    starts = [match.start() for match in re.finditer(r"-+", rule)]
    ends = [*starts[1:], None]
    names = [header[start:end].strip() for start, end in zip(starts, ends, strict=True)]
    return [{name: row[start:end].strip() for name, start, end in zip(names, starts, ends, strict=True)}
            for row in rows]


def shows(cell: str, full: str) -> bool:
    """Whether a table cell shows `full`, whole or cut short (ending in the cut mark)."""
    return cell == full or (cell.endswith(CUT_MARK) and full.startswith(cell[:-1]))


def history_json(hp: ImportedLedger, actor: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(ledger("history", PROGRAMME, actor, "--database", hp.url, "--json"))
    return found


# -- ledger log --------------------------------------------------------------------------------------


def test_log_json_shows_every_entry_with_its_source_title(hp: ImportedLedger) -> None:
    """"Who recorded what, when, from which source?" (`ledger log --json`) Source: every line of the dataset."""
    entries = json.loads(ledger("log", "--database", hp.url, "--json"))
    found = [(e["position"], e["entry_id"], e["key"], e["type"], e["effective"], e["source"]["title"],
              e["recorded_by"]) for e in entries]
    expected = [(n, f"{PROGRAMME}:{n}", line["key"], line["type"], line["effective"], line["source"]["title"],
                 "acceptance") for n, line in enumerate(hp.lines, start=1)]
    assert found == expected
    assert len(found) == ENTRIES
    # The dataset has no corrections or retractions.
    assert [(e["corrected_by"], e["retracted_by"]) for e in entries] == [([], None)] * ENTRIES


def test_log_table_shows_every_entry_with_its_source_title(hp: ImportedLedger) -> None:
    """"Who recorded what, when, from which source?" (`ledger log` table) Source: every line of the dataset."""
    output = ledger("log", "--database", hp.url)
    rows = table(output)
    assert "(more:" not in output
    assert [(r["pos"], r["entry"], r["type"], r["effective"], r["recorded_by"], r["later"]) for r in rows] == [
        (str(n), f"{PROGRAMME}:{n}", line["type"], line["effective"], "acceptance", "")
        for n, line in enumerate(hp.lines, start=1)]
    not_shown = [(r["entry"], r["source"]) for r, line in zip(rows, hp.lines, strict=True)
                 if not shows(r["source"], line["source"]["title"])]
    assert not_shown == []


# -- ledger history ------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", sorted(HISTORY))
def test_history_json_shows_each_revision_of_the_planned_go_live(hp: ImportedLedger, actor: str) -> None:
    """Q17/Q18/Q20 "every revision of <actor>'s planned go-live" (`ledger history --json`). Source: 001; 000."""
    revisions = history_json(hp, actor)
    assert [r["effective"] for r in revisions] == sorted(r["effective"] for r in revisions)
    assert collapsed([json_shape(r["planned"]) for r in revisions]) == [w for *_, w in HISTORY[actor]]
    by_key = {r["entry"]["key"]: r for r in revisions}
    for key, effective, wave, status, window in HISTORY[actor]:
        assert key in by_key, f"{key} is missing from the history of {actor}"
        row = by_key[key]
        assert (row["effective"], row["wave"], row["status"], json_shape(row["planned"])) == (
            effective, wave, status, window), key
    titles = {line["key"]: line["source"]["title"] for line in hp.lines}
    assert [r["entry"]["source"]["title"] for r in revisions] == [titles[r["entry"]["key"]] for r in revisions]
    assert [r["note"] for r in revisions] == [None] * len(revisions)  # nothing corrected or retracted


@pytest.mark.parametrize("actor", sorted(HISTORY))
def test_history_table_shows_the_same_revisions(hp: ImportedLedger, actor: str) -> None:
    """Q17/Q18/Q20 "every revision of <actor>'s planned go-live" (`ledger history` table). Source: 001; 000."""
    revisions = history_json(hp, actor)
    rows = table(ledger("history", PROGRAMME, actor, "--database", hp.url))
    assert [(r["effective"], r["entry"], r["type"], r["wave"], r["status"]) for r in rows] == [
        (v["effective"], v["entry"]["entry_id"], v["entry"]["type"], v["wave"] or "-", v["status"])
        for v in revisions]
    for row, revision in zip(rows, revisions, strict=True):
        assert shows(row["source"], revision["entry"]["source"]["title"]), row
        if revision["planned"] is None:
            assert row["planned"] == "-"
        else:
            planned = revision["planned"]
            bounds = _bounds_text((planned["earliest"], planned["latest"], planned["precision"]))
            assert row["planned"].startswith(bounds), row
    expected_ids = {e.key: e.entry_id for e in hp.model.audit.entries(PROGRAMME)}
    shown = {r["entry"]: r for r in rows}
    for key, effective, wave, status, _window in HISTORY[actor]:
        row = shown[expected_ids[key]]
        assert (row["effective"], row["wave"], row["status"]) == (effective, wave, status), key


def _bounds_text(window: tuple[str | None, str | None, str]) -> str:
    earliest, latest, _precision = window
    return earliest if earliest == latest and earliest else f"{earliest or '…'}..{latest or '…'}"


@pytest.mark.parametrize("actor", sorted(HISTORY))
def test_history_table_shows_the_dates_of_each_planned_window(hp: ImportedLedger, actor: str) -> None:
    """Q17/Q18/Q20 "every revision of <actor>'s planned go-live": the table shows each window's dates. Source: 001."""
    rows = table(ledger("history", PROGRAMME, actor, "--database", hp.url))
    expected_ids = {e.key: e.entry_id for e in hp.model.audit.entries(PROGRAMME)}
    shown = {r["entry"]: r["planned"] for r in rows}
    missing = [(key, shown[expected_ids[key]]) for key, *_, window in HISTORY[actor]
               if _bounds_text(window) not in shown[expected_ids[key]]]
    assert missing == []


# -- re-baselining (question 45) ---------------------------------------------------------------------


def test_q45_the_baseline_history_and_the_audit_trail_show_the_adoption(hp: ImportedLedger) -> None:
    """Q45 "Each adoption is visible" (`ledger history --baselines`, `ledger log --type`) Source: 003; 000 l.4-8."""
    rows = table(ledger("history", PROGRAMME, "--baselines", "--database", hp.url, "--wide"))
    assert [(r["effective"], r["type"], r["baseline"], r["current baseline"], r["decided by"]) for r in rows] == [
        ("2022-03-01", "BaselineNamed", ORIGINAL_PLAN, "-", "-"),
        (REVISED_PLAN_AS_OF, "BaselineNamed", REVISED_PLAN, "-", "-"),
        (REVISED_PLAN_AS_OF, "BaselineAdopted", REVISED_PLAN, REVISED_PLAN, REVISED_PLAN_BODY),
    ]
    assert rows[-1]["source"] == "Vedtok revidert innføringsplan"
    logged = json.loads(ledger("log", "--programme", PROGRAMME, "--type", "BaselineAdopted", "--database", hp.url,
                               "--json"))
    assert [(e["key"], e["deciding_body"], e["source"]["title"]) for e in logged] == [
        ("hp-2023-05-16-rebaselined", REVISED_PLAN_BODY, "Vedtok revidert innføringsplan")]


def test_q43_the_plan_table_shows_the_days_overdue(hp: ImportedLedger) -> None:
    """Q43 "What is overdue on 2026-12-01?" (`ledger plan`) Source: 001 l.90-136; 000 l.4-8, 19."""
    lines = ledger("plan", PROGRAMME, "--as-of", OVERDUE_ON, "--database", hp.url, "--wide").splitlines()
    for subject, days in {**OVERDUE_WAVES, **OVERDUE_ACTORS}.items():
        row = next(line for line in lines if line.split()[:1] == [subject])
        assert f"overdue ({days} days)" in row, row
