"""Export and import round trip on both stores: an export imported into an empty ledger gives
the same entries under the same ids, the same keys and the same plans; importing it again adds nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ledger.application import LedgerApplication, open_ledger
from ledger.codec import RECORDED, decode_entry
from ledger.exporter import export_lines
from ledger.importer import import_text
from ledger.settings import StoreLocation
from projections.memory import InMemoryReadModel
from projections.plan import ProgrammePlan
from tests import postgres
from tests.conftest import SAMPLE

NOW = datetime(2100, 1, 1, tzinfo=UTC)
AS_OF_DATES = [
    date(2020, 3, 1),
    date(2021, 1, 1),
    date(2022, 4, 1),
    date(2022, 6, 15),
    date(2022, 12, 1),
    date(2023, 6, 1),
    date(2024, 6, 1),
    date(2030, 1, 1),
]


def _record(app: LedgerApplication, raw: dict[str, Any], *, require_source: bool = True) -> None:
    receipt = app.record(decode_entry(raw, recorded_by="test", require_source=require_source))
    assert receipt.added


def _later(type_name: str, effective: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_name, "programme": "demo", "effective": effective, "source": {"title": "Later minutes"},
            **fields}


@pytest.fixture
def original(app: LedgerApplication) -> LedgerApplication:
    """The sample, then entries recorded one by one: a second programme, an operational go-live,
    a correction by key, a retraction by entry id, a decision and a status assessment."""
    import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="test")
    _record(app, {"type": "ProgrammeRegistered", "programme": "other", "effective": "2021-01-01",
                  "source": {"title": "Charter"}, "name": "Other rollout", "owner": "Other RHF"})
    _record(app, _later("StatusAssessed", "2023-09-01", status="Some challenges", risk="Medium",
                        risks=["Staffing", "Integrations"]))
    _record(app, {"type": "ActorRegistered", "programme": "other", "effective": "2021-01-01",
                  "source": {"title": "Charter"}, "actor": "west", "name": "West HF", "kind": "health_trust"})
    _record(app, _later("EntryCorrected", "2023-07-01", key="fix-w2-day", reason="the wave went a week later",
                        target_key="demo-16", replacement={"type": "WaveRescheduled", "wave": "w2",
                                                           "window": "2022-11-19"}))
    _record(app, _later("EntryRetracted", "2023-11-15", reason="not a formal statement", target_entry="demo:21"))
    _record(app, _later("DecisionRecorded", "2023-12-01", title="Release reserve", deciding_body="Demo board",
                        changes=[{"type": "AllocationReleased", "allocation": "south-intro", "amount": "1250.50"},
                                 {"type": "ReserveChanged", "reserve": "risk", "total": "650000000"}]))
    operational = {"type": "GoLiveRecorded", "programme": "demo", "effective": "2024-03-02",
                   "actors": ["south-trust"], "wave": "w2"}
    _record(app, operational, require_source=False)
    assert app.last_position() == 29
    return app


@pytest.fixture
def empty_copy(store_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LedgerApplication]:
    """A second, empty ledger on the same kind of store as `app`."""
    if StoreLocation(store_url).is_postgres:
        server = str(request.getfixturevalue("postgres_server"))
        url = postgres.create_database(server)
        copy = open_ledger(StoreLocation(url))
        yield copy
        copy.close()
        postgres.drop_database(server, url)
    else:
        copy = open_ledger(StoreLocation(f"sqlite:///{tmp_path / 'copy.db'}"))
        yield copy
        copy.close()


def _export(app: LedgerApplication) -> str:
    return "\n".join(export_lines(app)) + "\n"


def _plan_content(plan: ProgrammePlan) -> tuple[object, ...]:
    return (plan.name, plan.owner, plan.assessment, plan.actors, plan.waves, plan.reserves, plan.deliverables,
            plan.statements, plan.baselines)


def _model(app: LedgerApplication) -> InMemoryReadModel:
    model = InMemoryReadModel()
    model.catch_up(app)
    return model


@pytest.fixture
def restored(original: LedgerApplication, empty_copy: LedgerApplication) -> LedgerApplication:
    """The empty copy after importing the original's export."""
    result = import_text(empty_copy, _export(original), recorded_by="restore")
    assert (result.added, result.already_present) == (29, 0)
    return empty_copy


def test_the_export_holds_every_entry_in_position_order(original: LedgerApplication) -> None:
    lines = _export(original).splitlines()
    positions = [json.loads(line)[RECORDED]["position"] for line in lines]
    assert positions == list(range(1, 30))
    operational = json.loads(lines[-1])
    assert "source" not in operational
    assert operational[RECORDED]["recorded_by"] == "test"


def _listing(app: LedgerApplication, programme: str | None = None) -> list[tuple[str, str, str]]:
    """(entry id, type, key) of every entry (of one programme), in log order."""
    return [
        (r.entry_id, r.entry.type, r.entry.key)
        for r in app.read_all()
        if programme is None or r.entry.programme == programme
    ]


def test_the_copy_has_the_same_entry_ids_types_and_keys_in_the_same_order_per_programme(
    original: LedgerApplication, restored: LedgerApplication
) -> None:
    assert restored.last_position() == original.last_position() == 29
    for programme in ("demo", "other"):
        assert _listing(restored, programme) == _listing(original, programme)
    assert [entry_id for entry_id, _, _ in _listing(restored, "other")] == ["other:1", "other:2"]


def test_the_copy_lists_the_entries_in_the_original_log_order(
    original: LedgerApplication, restored: LedgerApplication
) -> None:
    assert _listing(restored) == _listing(original)


def test_the_copy_holds_the_same_content_and_provenance(
    original: LedgerApplication, restored: LedgerApplication
) -> None:
    def contents(app: LedgerApplication) -> dict[str, dict[str, Any]]:
        found = {}
        for line in export_lines(app):
            data = json.loads(line)
            found[data.pop(RECORDED)["entry"]] = data
        return found

    assert contents(restored) == contents(original)


def test_the_copy_records_who_imported_it(restored: LedgerApplication) -> None:
    assert {r.entry.provenance.recorded_by for r in restored.read_all()} == {"restore"}


def test_the_copy_gives_the_same_plan_on_every_date(original: LedgerApplication, restored: LedgerApplication) -> None:
    before, after = _model(original), _model(restored)
    assert after.programme_ids() == before.programme_ids() == ["demo", "other"]
    for programme in ("demo", "other"):
        for day in AS_OF_DATES:
            expected = before.plan(programme, day, NOW)
            found = after.plan(programme, day, NOW)
            if expected is None:
                assert found is None, (programme, day)
                continue
            assert found is not None, (programme, day)
            assert _plan_content(found) == _plan_content(expected), (programme, day)


def test_the_corrections_and_retractions_survive_the_round_trip(restored: LedgerApplication) -> None:
    model = _model(restored)
    plan = model.require_plan("demo", date(2024, 6, 1), NOW)
    assert plan.wave("w2").planned.label == "2022-11-19"  # type: ignore[union-attr]
    assert plan.statements == ()
    assert plan.reserve("risk").total == 650_000_000  # type: ignore[union-attr]
    assert [a.id for a in plan.actors if a.status == "live"] == ["harbour", "north-trust", "south-trust"]
    assert model.audit.get("demo:16").corrected_by == ("demo:24",)  # type: ignore[union-attr]
    assert model.audit.get("demo:21").retracted_by == "demo:25"  # type: ignore[union-attr]


def test_importing_the_export_again_adds_nothing(original: LedgerApplication, restored: LedgerApplication) -> None:
    text = _export(original)
    before = list(export_lines(restored))
    result = import_text(restored, text, recorded_by="restore again")
    assert (result.added, result.already_present) == (0, 29)
    assert list(export_lines(restored)) == before


def test_importing_the_copy_s_own_export_adds_nothing(restored: LedgerApplication) -> None:
    result = import_text(restored, _export(restored), recorded_by="restore again")
    assert (result.added, result.already_present) == (0, 29)
    assert restored.last_position() == 29


def test_importing_the_export_back_into_its_own_ledger_adds_nothing(original: LedgerApplication) -> None:
    result = import_text(original, _export(original), recorded_by="test")
    assert (result.added, result.already_present) == (0, 29)


def test_reimporting_the_original_file_into_the_copy_adds_nothing(restored: LedgerApplication) -> None:
    result = import_text(restored, SAMPLE.read_text(encoding="utf-8"), recorded_by="test")
    assert (result.added, result.already_present) == (0, 22)
