"""Bad input on both stores: the right error, a message naming what was wrong, and nothing written.

Every test starts from tests/data/sample.jsonl, remembers the ledger's last position and its
full export, submits something bad and checks that the ledger is exactly as it was.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger.application import LedgerApplication, Receipt
from ledger.codec import decode_entry
from ledger.errors import (
    AlreadyLive,
    ImportRejected,
    InvalidInput,
    InvariantViolated,
    KeyConflict,
    LedgerError,
    NotInWave,
    ReserveExceeded,
    UnknownReference,
)
from ledger.exporter import export_lines
from ledger.importer import import_text
from tests.conftest import SAMPLE

State = tuple[int, list[str]]


@pytest.fixture
def ledger(app: LedgerApplication) -> LedgerApplication:
    """The application holding the sample programme `demo` (22 entries)."""
    import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="test")
    assert app.last_position() == 22
    return app


def _state(app: LedgerApplication) -> State:
    return app.last_position(), list(export_lines(app))


def _entry(type_name: str, **fields: Any) -> dict[str, Any]:
    """An entry of programme `demo` as a client would send it; `fields` may override the envelope."""
    return {
        "type": type_name,
        "programme": "demo",
        "effective": "2023-06-01",
        "source": {"title": "Test minutes"},
        **fields,
    }


def _submit(app: LedgerApplication, raw: dict[str, Any]) -> Receipt:
    return app.record(decode_entry(raw, recorded_by="test", require_source=True))


def _refused(app: LedgerApplication, raw: dict[str, Any], error_type: type[LedgerError], code: str) -> LedgerError:
    """Submit `raw`, expect exactly `error_type` with `code`, and check that nothing changed."""
    before = _state(app)
    with pytest.raises(LedgerError) as caught:
        _submit(app, raw)
    error = caught.value
    assert type(error) is error_type, f"{type(error).__name__}: {error}"
    assert error.code == code
    assert _state(app) == before
    return error


def _rejected_import(app: LedgerApplication, text: str) -> ImportRejected:
    """Import `text`, expect `ImportRejected`, and check that nothing changed."""
    before = _state(app)
    with pytest.raises(ImportRejected) as caught:
        import_text(app, text, recorded_by="test")
    assert caught.value.code == "IMPORT_REJECTED"
    assert _state(app) == before
    return caught.value


def _line(raw: dict[str, Any]) -> str:
    return json.dumps(raw)


# -- unknown references ----------------------------------------------------------------


def test_an_entry_for_an_unregistered_programme_is_not_found(ledger: LedgerApplication) -> None:
    raw = _entry("ActorRegistered", programme="nope", actor="someone", name="Someone", kind="other")
    error = _refused(ledger, raw, UnknownReference, "NOT_FOUND")
    assert error.field == "programme"
    assert "'nope'" in str(error)
    assert "ProgrammeRegistered" in str(error)


@pytest.mark.parametrize(
    ("raw", "field", "named"),
    [
        pytest.param(_entry("ActorJoined", actor="ghost"), "actor", "unknown actor 'ghost'", id="actor"),
        pytest.param(
            _entry("ActorAssignedToWave", actor="south-trust", wave="w9"), "wave", "unknown wave 'w9'", id="wave"
        ),
        pytest.param(
            _entry("AllocationMade", allocation="new", reserve="rainy-day", purpose="Tests", amount="1"),
            "reserve", "unknown reserve 'rainy-day'", id="reserve",
        ),
        pytest.param(
            _entry("DeliverableCompleted", deliverable="bridge"), "deliverable", "unknown deliverable 'bridge'",
            id="deliverable",
        ),
        pytest.param(
            _entry("AllocationRevised", allocation="north-intro", amount="10"),
            "allocation", "unknown allocation 'north-intro'", id="allocation",
        ),
        pytest.param(
            _entry("GoLiveRecorded", actors=["harbour-2"]), "actors[0]", "unknown actor 'harbour-2'",
            id="actor-in-a-list",
        ),
    ],
)
def test_a_reference_to_something_unregistered_is_not_found(
    ledger: LedgerApplication, raw: dict[str, Any], field: str, named: str
) -> None:
    error = _refused(ledger, raw, UnknownReference, "NOT_FOUND")
    assert error.field == field
    assert named in str(error)


# -- invariants ------------------------------------------------------------------------


def test_an_actor_cannot_go_live_twice(ledger: LedgerApplication) -> None:
    error = _refused(ledger, _entry("GoLiveRecorded", actors=["harbour"]), AlreadyLive, "ALREADY_LIVE")
    assert "'harbour'" in str(error)
    assert "2022-05-07" in str(error)  # the first go-live


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        pytest.param(
            _entry("ProgrammeRegistered", name="Demo again", owner="Someone"), "programme 'demo' is already registered",
            id="programme",
        ),
        pytest.param(
            _entry("ActorRegistered", actor="harbour", name="Harbour", kind="municipality"),
            "actor 'harbour' is already registered", id="actor",
        ),
        pytest.param(
            _entry("ReserveEstablished", reserve="risk", name="Risk", total="1"),
            "reserve 'risk' is already registered", id="reserve",
        ),
        pytest.param(
            _entry("DeliverableCompleted", deliverable="contract"), "deliverable 'contract' is already completed",
            id="deliverable-completed",
        ),
    ],
)
def test_registering_or_completing_something_twice_is_refused(
    ledger: LedgerApplication, raw: dict[str, Any], named: str
) -> None:
    error = _refused(ledger, raw, InvariantViolated, "INVARIANT_VIOLATED")
    assert named in str(error)


def test_a_go_live_naming_a_wave_the_actor_is_not_in_is_refused(ledger: LedgerApplication) -> None:
    raw = _entry("GoLiveRecorded", actors=["south-trust"], wave="w1")
    error = _refused(ledger, raw, NotInWave, "NOT_IN_WAVE")
    assert error.field == "wave"
    assert "'south-trust'" in str(error)
    assert "is in 'w2'" in str(error)
    assert "not in 'w1'" in str(error)


def test_a_postponement_naming_a_wave_the_actor_is_not_in_is_refused(ledger: LedgerApplication) -> None:
    raw = _entry("GoLivePostponed", actor="south-trust", wave="w1", window="2024-H2")
    error = _refused(ledger, raw, NotInWave, "NOT_IN_WAVE")
    assert error.field == "wave"
    assert "'south-trust'" in str(error)
    assert "is in 'w2'" in str(error)
    assert "not in 'w1'" in str(error)


def test_an_allocation_above_what_the_reserve_has_left_names_both_amounts(ledger: LedgerApplication) -> None:
    # The reserve holds 600 000 000 and has 522 000 000 allocated from 2023-05-16: 78 000 000 left.
    raw = _entry("AllocationMade", allocation="extra", reserve="risk", purpose="More testing", amount="100000000")
    error = _refused(ledger, raw, ReserveExceeded, "RESERVE_EXCEEDED")
    message = str(error)
    assert "'risk'" in message
    assert "78000000 NOK left" in message
    assert "allocate 100000000 NOK" in message
    assert "22000000 NOK too much" in message


def test_a_revision_that_would_exceed_the_reserve_is_refused(ledger: LedgerApplication) -> None:
    raw = _entry("AllocationRevised", allocation="south-intro", amount="700000000")
    error = _refused(ledger, raw, ReserveExceeded, "RESERVE_EXCEEDED")
    message = str(error)
    assert "'risk'" in message
    assert "78000000 NOK left" in message
    # The message gives the increase over the current 522 000 000, not the revised amount.
    assert "allocate 178000000 NOK more" in message
    assert "100000000 NOK too much" in message


def test_a_revision_is_checked_on_every_later_day_too(ledger: LedgerApplication) -> None:
    # Revising the first allocation upwards before the May revision still has to fit afterwards.
    raw = _entry("AllocationRevised", effective="2023-03-01", allocation="south-intro", amount="620000000")
    error = _refused(ledger, raw, ReserveExceeded, "RESERVE_EXCEEDED")
    assert "'risk'" in str(error)


def test_a_release_above_the_allocation_is_refused(ledger: LedgerApplication) -> None:
    raw = _entry("AllocationReleased", allocation="south-intro", amount="600000000")
    error = _refused(ledger, raw, ReserveExceeded, "RESERVE_EXCEEDED")
    message = str(error)
    assert "'south-intro'" in message
    assert "522000000 NOK unreleased" in message
    assert "release 600000000 NOK" in message


def test_a_release_is_checked_against_the_allocation_on_its_own_date(ledger: LedgerApplication) -> None:
    # On 2023-03-01 only 380 000 000 were allocated; the revision to 522 000 000 came later.
    raw = _entry("AllocationReleased", effective="2023-03-01", allocation="south-intro", amount="500000000")
    error = _refused(ledger, raw, ReserveExceeded, "RESERVE_EXCEEDED")
    assert "380000000 NOK unreleased on 2023-03-01" in str(error)
    assert "release 500000000 NOK" in str(error)


# -- malformed values ------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    [
        pytest.param("-5", id="negative"),
        pytest.param("NaN", id="nan"),
        pytest.param("Infinity", id="infinity"),
        pytest.param(12.5, id="json-float"),
        pytest.param(100, id="json-int"),
        pytest.param("1.234", id="three-decimals"),
    ],
)
def test_money_that_is_not_a_non_negative_decimal_string_is_refused(
    ledger: LedgerApplication, amount: object
) -> None:
    raw = _entry("AllocationMade", allocation="extra", reserve="risk", purpose="Tests", amount=amount)
    error = _refused(ledger, raw, InvalidInput, "INVALID_INPUT")
    assert error.field == "amount"
    assert str(error).startswith("amount: ")
    assert repr(amount) in str(error)


def test_an_impossible_effective_date_is_refused(ledger: LedgerApplication) -> None:
    error = _refused(ledger, _entry("ActorJoined", actor="harbour", effective="2023-02-30"), InvalidInput,
                     "INVALID_INPUT")
    assert error.field == "effective"
    assert "'2023-02-30' is not a real calendar date" in str(error)


@pytest.mark.parametrize(
    ("window", "field", "named"),
    [
        pytest.param(
            {"earliest": "2023-02-30", "latest": "2023-03-31", "precision": "window", "label": "spring"},
            "window.earliest", "'2023-02-30' is not a real calendar date", id="impossible-bound",
        ),
        pytest.param("2023-02-30", "window", "'2023-02-30' is not a real calendar date", id="impossible-shorthand"),
        pytest.param(
            {"earliest": "2024-05-01", "latest": "2024-04-01", "precision": "window", "label": "spring"},
            "window", "earliest 2024-05-01 is after latest 2024-04-01", id="earliest-after-latest",
        ),
        pytest.param(
            {"earliest": None, "latest": None, "precision": "window", "label": "some day"},
            "window", "at least one of earliest and latest", id="no-bound",
        ),
        pytest.param(
            {"earliest": "2024-05-01", "precision": "fortnight", "label": "early May"},
            "window.precision", "'fortnight' is not a precision", id="unknown-precision",
        ),
    ],
)
def test_a_malformed_window_is_refused(
    ledger: LedgerApplication, window: object, field: str, named: str
) -> None:
    error = _refused(ledger, _entry("WaveRescheduled", wave="w2", window=window), InvalidInput, "INVALID_INPUT")
    assert error.field == field
    assert named in str(error)


def test_an_unknown_field_is_refused_by_name(ledger: LedgerApplication) -> None:
    error = _refused(ledger, _entry("ActorJoined", actor="harbour", colour="red"), InvalidInput, "INVALID_INPUT")
    assert "unknown field(s) for ActorJoined: colour" in str(error)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"actor": "St Olav"}, "actor", id="actor"),
        pytest.param({"actor": "st-olav", "programme": "St Olav"}, "programme", id="programme"),
    ],
)
def test_an_id_that_is_not_a_slug_is_refused(ledger: LedgerApplication, fields: dict[str, str], field: str) -> None:
    raw = _entry("ActorRegistered", name="St. Olavs hospital", kind="hospital", **{"actor": "x", **fields})
    error = _refused(ledger, raw, InvalidInput, "INVALID_INPUT")
    assert error.field == field
    assert "'St Olav' is not a valid id" in str(error)


# -- corrections and retractions -------------------------------------------------------

CORRECTION = {"replacement": {"type": "StatementRecorded", "kind": "note", "title": "T", "summary": "S"}}


@pytest.mark.parametrize(
    ("type_name", "extra"),
    [pytest.param("EntryCorrected", CORRECTION, id="correct"), pytest.param("EntryRetracted", {}, id="retract")],
)
@pytest.mark.parametrize(
    ("target", "field", "named"),
    [
        pytest.param({"target_key": "demo-99"}, "target_key", "no entry has key 'demo-99'", id="by-key"),
        pytest.param({"target_entry": "demo:99"}, "target_entry", "entry 'demo:99' does not exist", id="by-id"),
        pytest.param(
            {"target_entry": "other:1"}, "target_entry", "entry 'other:1' does not exist in 'demo'",
            id="by-id-of-another-programme",
        ),
    ],
)
def test_changing_an_entry_that_does_not_exist_is_not_found(
    ledger: LedgerApplication, type_name: str, extra: dict[str, Any], target: dict[str, str], field: str,
    named: str,
) -> None:
    error = _refused(ledger, _entry(type_name, **extra, **target), UnknownReference, "NOT_FOUND")
    assert error.field == field
    assert named in str(error)


@pytest.mark.parametrize(
    ("type_name", "extra"),
    [pytest.param("EntryCorrected", CORRECTION, id="correct"), pytest.param("EntryRetracted", {}, id="retract")],
)
def test_an_already_retracted_entry_cannot_be_retracted_or_corrected(
    ledger: LedgerApplication, type_name: str, extra: dict[str, Any]
) -> None:
    first = _submit(ledger, _entry("EntryRetracted", key="retract-statement", target_key="demo-21"))
    assert first.added
    raw = _entry(type_name, key="second-attempt", target_entry="demo:21", **extra)
    error = _refused(ledger, raw, InvariantViolated, "INVARIANT_VIOLATED")
    assert "entry demo:21 is already retracted" in str(error)


def test_a_correction_must_keep_the_type_of_the_entry(ledger: LedgerApplication) -> None:
    raw = _entry("EntryCorrected", target_key="demo-16", replacement={"type": "ActorJoined", "actor": "harbour"})
    error = _refused(ledger, raw, InvalidInput, "INVALID_INPUT")
    assert error.field == "replacement.type"
    assert "demo:16 is a WaveRescheduled" in str(error)
    assert "not a ActorJoined" in str(error)


@pytest.mark.parametrize(
    ("type_name", "extra"),
    [
        pytest.param(
            "EntryCorrected",
            {"replacement": {"type": "GoLivePostponed", "actor": "south-trust", "window": "2024-Q2", "wave": "w2"}},
            id="correct",
        ),
        pytest.param("EntryRetracted", {}, id="retract"),
    ],
)
def test_a_correction_cannot_itself_be_corrected_or_retracted(
    ledger: LedgerApplication, type_name: str, extra: dict[str, Any]
) -> None:
    error = _refused(ledger, _entry(type_name, target_key="demo-22", **extra), InvalidInput, "INVALID_INPUT")
    assert "entry demo:22 is itself a EntryCorrected" in str(error)


def test_a_correction_that_breaks_a_rule_is_refused(ledger: LedgerApplication) -> None:
    raw = _entry(
        "EntryCorrected", target_key="demo-20",
        replacement={"type": "AllocationRevised", "allocation": "south-intro", "amount": "700000000"},
    )
    error = _refused(ledger, raw, ReserveExceeded, "RESERVE_EXCEEDED")
    assert error.field == "replacement"
    assert "'risk'" in str(error)


def test_a_retraction_that_would_strand_a_go_live_outside_its_wave_is_refused(ledger: LedgerApplication) -> None:
    # demo-15 moved north-trust to w2, where it went live (demo-17, naming w2).
    error = _refused(ledger, _entry("EntryRetracted", target_key="demo-15"), NotInWave, "NOT_IN_WAVE")
    assert "'north-trust' is in 'w1'" in str(error)
    assert "not in 'w2'" in str(error)


def test_a_registration_still_referred_to_cannot_be_retracted(ledger: LedgerApplication) -> None:
    error = _refused(ledger, _entry("EntryRetracted", target_key="demo-3"), InvariantViolated, "INVARIANT_VIOLATED")
    assert "actor 'north-trust' would lose its registration" in str(error)


# -- idempotency -----------------------------------------------------------------------


def _sample_line(key: str) -> dict[str, Any]:
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("{") and json.loads(line)["key"] == key:
            return dict(json.loads(line))
    raise AssertionError(f"no sample line has key {key!r}")


def test_the_same_key_with_different_content_is_a_key_conflict(ledger: LedgerApplication) -> None:
    raw = {**_sample_line("demo-21"), "summary": "A different summary."}
    error = _refused(ledger, raw, KeyConflict, "KEY_CONFLICT")
    assert error.field == "key"
    assert "'demo-21'" in str(error)
    assert "demo:21" in str(error)


def test_the_same_key_with_the_same_content_is_a_no_op(ledger: LedgerApplication) -> None:
    before = _state(ledger)
    receipt = _submit(ledger, _sample_line("demo-21"))
    assert receipt == Receipt("demo:21", 21, added=False, position=None)
    assert _state(ledger) == before


# -- decisions -------------------------------------------------------------------------

GOOD_CHANGES = [
    {"type": "WavePlanned", "wave": "w3", "code": "W3", "window": "2025-H1"},
    {"type": "ActorAssignedToWave", "actor": "demo-rhf", "wave": "w3"},
]


@pytest.mark.parametrize(
    ("last", "error_type", "code", "field", "named"),
    [
        pytest.param(
            {"type": "ActorJoined", "actor": "ghost"}, UnknownReference, "NOT_FOUND", "changes[2].actor",
            "unknown actor 'ghost'", id="unknown-reference",
        ),
        pytest.param(
            {"type": "GoLiveRecorded", "actors": ["harbour"]}, AlreadyLive, "ALREADY_LIVE", "changes[2]",
            "'harbour' already went live", id="rule",
        ),
        pytest.param(
            {"type": "WaveRescheduled", "wave": "w2", "window": "2023-02-30"}, InvalidInput, "INVALID_INPUT",
            "changes[2].window", "'2023-02-30' is not a real calendar date", id="malformed",
        ),
        pytest.param(
            {"type": "EntryRetracted", "target_key": "demo-21"}, InvalidInput, "INVALID_INPUT", "changes[2]",
            "cannot be part of a decision", id="standalone-type",
        ),
    ],
)
def test_a_decision_whose_last_change_is_bad_writes_none_of_its_changes(
    ledger: LedgerApplication, last: dict[str, Any], error_type: type[LedgerError], code: str, field: str,
    named: str,
) -> None:
    raw = _entry("DecisionRecorded", title="Third wave", changes=[*GOOD_CHANGES, last])
    error = _refused(ledger, raw, error_type, code)
    assert error.field == field
    assert str(error).startswith(f"{field}: ")
    assert named in str(error)
    # The good changes did not stay behind in the programme either: wave w3 is still unknown.
    follow_up = _refused(
        ledger, _entry("ActorAssignedToWave", actor="south-trust", wave="w3"), UnknownReference, "NOT_FOUND"
    )
    assert "unknown wave 'w3'" in str(follow_up)


# -- import files ----------------------------------------------------------------------

GOOD_LINES = [
    _line(_entry("StatementRecorded", key="good-1", kind="note", title="First", summary="A good line")),
    _line(_entry("WaveRescheduled", key="good-2", wave="w2", window="2024-Q2")),
]
MALFORMED_JSON = '{"type": "ActorJoined", "programme": "demo",'
UNKNOWN_TYPE = _line(_entry("ActorPromoted", actor="harbour"))
MISSING_SOURCE = _line({k: v for k, v in _entry("ActorJoined", actor="harbour").items() if k != "source"})
SECOND_GO_LIVE = _line(_entry("GoLiveRecorded", key="again", actors=["harbour"]))
OVER_RESERVE = _line(_entry("AllocationMade", allocation="extra", reserve="risk", purpose="More", amount="90000000"))


def test_an_import_file_with_undecodable_lines_lists_each_and_writes_nothing(ledger: LedgerApplication) -> None:
    text = "\n".join([
        "# a comment and a blank line count as lines too",
        "",
        GOOD_LINES[0],      # 3
        MALFORMED_JSON,     # 4
        UNKNOWN_TYPE,       # 5
        GOOD_LINES[1],      # 6
        MISSING_SOURCE,     # 7
    ])
    rejected = _rejected_import(ledger, text)
    assert [(e.line, e.code) for e in rejected.errors] == [
        (4, "INVALID_INPUT"), (5, "INVALID_INPUT"), (7, "INVALID_INPUT"),
    ]
    messages = [e.message for e in rejected.errors]
    assert "not valid JSON" in messages[0]
    assert "'ActorPromoted' is not an entry type" in messages[1]
    assert "needs a source" in messages[2]
    assert "3 bad line(s); nothing was written" in str(rejected)
    for number in (4, 5, 7):
        assert f"line {number}: " in str(rejected)


def test_an_import_file_with_rule_breaking_lines_lists_each_and_writes_nothing(ledger: LedgerApplication) -> None:
    text = "\n".join([GOOD_LINES[0], SECOND_GO_LIVE, GOOD_LINES[1], OVER_RESERVE])
    rejected = _rejected_import(ledger, text)
    assert [(e.line, e.code) for e in rejected.errors] == [(2, "ALREADY_LIVE"), (4, "RESERVE_EXCEEDED")]
    assert "'harbour' already went live" in rejected.errors[0].message
    assert "78000000 NOK left" in rejected.errors[1].message


def test_an_import_file_line_is_checked_against_the_good_lines_before_it(ledger: LedgerApplication) -> None:
    register = _line(_entry("ActorRegistered", key="east", actor="east", name="East HF", kind="health_trust"))
    go_live = _line(_entry("GoLiveRecorded", key="east-live", actors=["east"]))
    text = "\n".join([register, go_live, _line(_entry("GoLiveRecorded", key="east-again", actors=["east"]))])
    rejected = _rejected_import(ledger, text)
    assert [(e.line, e.code) for e in rejected.errors] == [(3, "ALREADY_LIVE")]


def test_an_import_file_lists_every_bad_line_whatever_is_wrong_with_it(ledger: LedgerApplication) -> None:
    text = "\n".join([
        GOOD_LINES[0],      # 1
        MALFORMED_JSON,     # 2
        UNKNOWN_TYPE,       # 3
        MISSING_SOURCE,     # 4
        SECOND_GO_LIVE,     # 5
        GOOD_LINES[1],      # 6
    ])
    rejected = _rejected_import(ledger, text)
    assert [e.line for e in rejected.errors] == [2, 3, 4, 5]
    assert rejected.errors[-1].code == "ALREADY_LIVE"
