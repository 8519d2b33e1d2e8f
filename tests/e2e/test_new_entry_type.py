"""A new entry type costs its declaration: defined here, in the test, it flows end to end.

`RiskRaised` states facts of a family ("risk") that no other type knows and that the plan
has no view of its own for. With nothing else edited it must be importable, appear in
`ledger log`, be shown by the plan (as one of its other facts) in memory and through the
PostgreSQL read model, be recordable through its own GraphQL mutation with its declared
role, and survive `ledger rebuild`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ledger.changes import Change, Fact, Reference, Slug, Text, change_types, fact_families, temporary_change_types
from ledger_server.cli import main
from tests.e2e.client import SAMPLE, Tokens, record, recorded
from tests.e2e.conftest import serve

PLAN_WITH_OTHER_FACTS = """
query Risks($id: ID!) {
  programme(id: $id, asOf: "2025-01-01") { otherFacts { family subject attribute effective entryId summary } }
}
"""


@pytest.fixture
def risk_type() -> Iterator[type[Change]]:
    """The new type, registered for this test only."""
    with temporary_change_types():

        @dataclass(frozen=True)
        class RiskRaised(Change):
            """A risk to the rollout was raised, optionally naming the actors it concerns."""

            MUTATION: ClassVar[str] = "raiseRisk"
            ROLE: ClassVar[str] = "admin"
            FAMILIES: ClassVar[tuple[str, ...]] = ("risk",)
            FIELD_HELP: ClassVar[Mapping[str, str]] = {
                "risk": "The risk's id, a lower-case slug.",
                "title": "The risk in a few words.",
                "severity": "How bad it would be, in the risk register's words.",
                "actors": "The ids of the actors it concerns; empty for the whole programme.",
            }

            risk: Slug
            title: Text
            severity: Text
            actors: tuple[Slug, ...] = ()

            def facts(self, seq: int) -> list[Fact]:
                return [(("risk", self.risk, "profile"), self)]

            def references(self) -> list[Reference]:
                return [("actor", actor, f"actors[{i}]") for i, actor in enumerate(self.actors)]

            def describe(self) -> str:
                return f"risk {self.risk!r} raised: {self.title} ({self.severity})"

        yield RiskRaised
    assert "RiskRaised" not in change_types()


def _ledger(url: str, *argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = main([*argv, "--database", url], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _risk_line(risk: str, effective: str, **extra: Any) -> str:
    return json.dumps({
        "type": "RiskRaised", "programme": "demo", "effective": effective, "risk": risk,
        "title": "Integration with the lab system is late", "severity": "high", "actors": ["north-trust"],
        "source": {"title": "Risk register, March"}, **extra,
    })


def _other_facts(url: str) -> list[dict[str, Any]]:
    code, out, err = _ledger(url, "plan", "demo", "--as-of", "2025-01-01", "--json")
    assert code == 0, err
    facts: list[dict[str, Any]] = json.loads(out)["other_facts"]
    return facts


def test_a_type_defined_in_a_test_flows_through_import_log_plan_graphql_and_rebuild(
    risk_type: type[Change], store_url: str, tmp_path: Path,
) -> None:
    assert "risk" in fact_families()
    history = tmp_path / "history.jsonl"
    history.write_text(SAMPLE.read_text(encoding="utf-8") + _risk_line("lab-integration", "2024-03-01") + "\n",
                       encoding="utf-8")

    code, _out, err = _ledger(store_url, "import", str(history))
    assert code == 0, err

    code, out, err = _ledger(store_url, "log", "--programme", "demo", "--json")
    assert code == 0, err
    logged = [entry for entry in json.loads(out) if entry["type"] == "RiskRaised"]
    assert [entry["summary"] for entry in logged] == [
        "risk 'lab-integration' raised: Integration with the lab system is late (high)"]
    assert set(logged[0]["subjects"]) == {"lab-integration", "north-trust"}

    in_memory = _other_facts(store_url)
    assert [(f["family"], f["subject"], f["attribute"], f["effective"]) for f in in_memory] == [
        ("risk", "lab-integration", "profile", "2024-03-01")]

    tokens = Tokens.create(store_url)
    with serve(store_url, tokens, public_reads=False) as api:
        values = {"programmeId": "demo", "effective": "2024-06-01", "risk": "staffing", "title": "Too few trainers",
                  "severity": "medium", "source": {"title": "Risk register, June"}}
        refused = record(api.recorder, "raiseRisk", "RiskRaisedInput", values)
        assert refused["code"] == "FORBIDDEN", refused  # the role the type declares holds
        entry = recorded(record(api.admin, "raiseRisk", "RiskRaisedInput", values))["entry"]
        assert entry["type"] == "RiskRaised"
        answer = api.reader.data(PLAN_WITH_OTHER_FACTS, {"id": "demo"})["programme"]["otherFacts"]
    assert [(f["subject"], f["effective"]) for f in answer] == [("lab-integration", "2024-03-01"),
                                                                 ("staffing", "2024-06-01")]
    assert answer[1]["entryId"] == entry["id"]
    assert answer[1]["summary"] == "risk 'staffing' raised: Too few trainers (medium)"

    if store_url.startswith("postgresql"):
        code, _out, err = _ledger(store_url, "rebuild")
        assert code == 0, err
        with serve(store_url, tokens, public_reads=False) as api:
            rebuilt = api.reader.data(PLAN_WITH_OTHER_FACTS, {"id": "demo"})["programme"]["otherFacts"]
        assert rebuilt == answer
    assert [f["subject"] for f in _other_facts(store_url)] == ["lab-integration", "staffing"]


def test_an_import_line_of_the_new_type_missing_a_field_is_refused_and_nothing_is_written(
    risk_type: type[Change], sqlite_url: str, tmp_path: Path,
) -> None:
    code, _out, err = _ledger(sqlite_url, "import", str(SAMPLE))
    assert code == 0, err
    before = _ledger(sqlite_url, "log", "--programme", "demo", "--json")[1]
    bad = tmp_path / "bad.jsonl"
    line = json.loads(_risk_line("lab-integration", "2024-03-01"))
    del line["severity"]
    bad.write_text(json.dumps(line) + "\n", encoding="utf-8")

    code, _out, err = _ledger(sqlite_url, "import", str(bad))

    assert code != 0
    assert "line 1" in err, err
    assert "severity: RiskRaised needs this field" in err, err
    assert _ledger(sqlite_url, "log", "--programme", "demo", "--json")[1] == before


def test_an_entry_type_must_declare_its_mutation() -> None:
    with temporary_change_types(), pytest.raises(TypeError, match="Undeclared must declare MUTATION"):

        @dataclass(frozen=True)
        class Undeclared(Change):
            """A type that forgot its declaration."""

            thing: Slug


def test_an_entry_type_must_describe_each_field() -> None:
    """A field's help is its GraphQL description; a type without it is refused when defined."""
    with temporary_change_types(), pytest.raises(TypeError, match="Unhelped needs FIELD_HELP for thing, note"):

        @dataclass(frozen=True)
        class Unhelped(Change):
            """A type that described its actor (the shared help) but not its own fields."""

            MUTATION: ClassVar[str] = "unhelp"

            actor: Slug
            thing: Slug
            note: Text | None = None
    assert "Unhelped" not in change_types()
