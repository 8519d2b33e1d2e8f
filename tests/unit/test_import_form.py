"""The msgspec import form (ledger.wire): valid lines decode to the same entries, refusals name the field.

The integration tests check refusals through the ledger (nothing written); these check the
codec's translation of msgspec's errors at depth: inside a decision's parts, a correction's
replacement, a source, a list item.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ledger.changes import DecisionRecorded, EntryCorrected, WaveRescheduled
from ledger.codec import decode_entry, encode_entry
from ledger.errors import InvalidInput
from ledger.values import Precision


def _line(type_name: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_name, "programme": "demo", "effective": "2023-06-01", "source": {"title": "Minutes"},
            **fields}


def _refusal(raw: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        decode_entry(raw, recorded_by="test", require_source=True)
    return caught.value


def test_a_decision_with_a_correction_inside_decodes_to_the_domain_types() -> None:
    raw = _line("DecisionRecorded", title="Board", key="board-1", changes=[
        {"type": "WaveRescheduled", "wave": "pd2", "window": "2024-Q3"},
        {"type": "AllocationMade", "allocation": "a1", "reserve": "risk", "purpose": "Tests", "amount": "1250.50"},
    ])
    entry = decode_entry(raw, recorded_by="test", require_source=True)
    assert isinstance(entry.change, DecisionRecorded)
    first, second = entry.change.changes
    assert isinstance(first, WaveRescheduled)
    assert (first.window.earliest, first.window.latest, first.window.precision) == (
        date(2024, 7, 1), date(2024, 9, 30), Precision.QUARTER)
    assert second.amount == Decimal("1250.50")  # type: ignore[attr-defined]
    assert entry.key == "board-1"
    again = encode_entry(entry, with_recorder=False)
    assert decode_entry(again, recorded_by="test", require_source=True) == entry


def test_a_correction_moves_its_target_by_the_replacements_effective_date() -> None:
    raw = _line("EntryCorrected", target_entry="demo:3",
                replacement={"type": "ActorJoined", "actor": "harbour", "effective": "2023-07-01"})
    change = decode_entry(raw, recorded_by="test", require_source=True).change
    assert isinstance(change, EntryCorrected)
    assert change.effective == date(2023, 7, 1)
    assert change.replacement.TYPE == "ActorJoined"


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        pytest.param(_line("DecisionRecorded", title="Board", changes=[
            {"type": "ActorJoined", "actor": "harbour"},
            {"type": "WaveRescheduled", "wave": "pd2",
             "window": {"earliest": "2024-02-30", "precision": "day", "label": "x"}}]),
            "changes[1].window.earliest", "'2024-02-30' is not a real calendar date", id="part-window-bound"),
        pytest.param(_line("DecisionRecorded", title="Board", changes=[{"type": "ActorJoined"}]),
                     "changes[0].actor", "ActorJoined needs this field", id="part-missing-field"),
        pytest.param(_line("DecisionRecorded", title="Board", changes=["ActorJoined"]),
                     "changes[0]", "must be a JSON object", id="part-not-an-object"),
        pytest.param(_line("DecisionRecorded", title="Board", changes=[{"type": "ActorPromoted"}]),
                     "changes[0].type", "'ActorPromoted' is not an entry type", id="part-unknown-type"),
        pytest.param(_line("EntryCorrected", target_entry="demo:3",
                           replacement={"type": "ActorJoined", "actor": "harbour", "colour": "red"}),
                     "replacement", "unknown field(s) for ActorJoined: colour", id="replacement-unknown-field"),
        pytest.param(_line("EntryCorrected", target_entry="demo:3",
                           replacement={"type": "ActorJoined", "actor": "harbour", "effective": "soon"}),
                     "replacement.effective", "'soon' is not a date", id="replacement-effective"),
        pytest.param(_line("GoLiveRecorded", actors=["harbour", "St Olav"]),
                     "actors[1]", "'St Olav' is not a valid id", id="list-item-slug"),
        pytest.param(_line("ActorJoined", actor="harbour", source={"title": "Minutes", "pages": 3}),
                     "source", "unknown source field(s): pages", id="source-unknown-field"),
        pytest.param(_line("ActorJoined", actor="harbour", source={"title": "  "}),
                     "source.title", "must be a non-empty string", id="source-blank-title"),
        pytest.param(_line("ActorJoined", actor="harbour", reason="a\x00b"),
                     "reason", "contains a NUL character", id="nul-in-text"),
        pytest.param(_line("ActorJoined", actor="harbour", key="k" * 301),
                     "key", "is longer than 300 characters", id="key-too-long"),
        pytest.param(_line("ActorJoined", actor="harbour", effective=20230601),
                     "effective", "20230601 is not a date", id="date-as-number"),
        pytest.param(_line("WaveRescheduled", wave="pd2", window={"earliest": "2024-01-01", "precision": "day",
                                                                   "label": "x", "until": "2025"}),
                     "window", "unknown window field(s): until", id="window-unknown-field"),
    ],
)
def test_a_refusal_names_the_field_at_any_depth(raw: dict[str, Any], field: str, message: str) -> None:
    error = _refusal(raw)
    assert error.field == field
    assert message in str(error)
    assert str(error).startswith(f"{field}: ")


def test_a_line_that_is_not_an_object_is_refused_as_a_whole() -> None:
    error = _refusal(["ActorJoined"])
    assert error.field is None
    assert "an entry must be a JSON object" in str(error)
