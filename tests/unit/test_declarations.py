"""Each entry type declares itself once; what is derived or documented must match the declarations.

Every check names the type and the missing piece, so adding a type tells its author what to
write next.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ledger.changes import Change, DecisionRecorded, EntryCorrected, change_types
from ledger.importer import parse_lines
from ledger_server.inputs import mutation_inputs
from ledger_server.schema import mutation_type

ROOT = Path(__file__).parent.parent.parent
IMPORT_FORMAT = (ROOT / "docs" / "import-format.md").read_text(encoding="utf-8")


def _documented_types() -> dict[str, list[str]]:
    """Entry type -> the field names its row in docs/import-format.md shows, in order."""
    rows = re.findall(r"^\| `(\w+)` \| (.*) \|$", IMPORT_FORMAT, flags=re.M)
    return {name: re.findall(r"`(\w+)`", fields) for name, fields in rows if name[0].isupper()}


def test_the_import_format_reference_lists_every_entry_type_and_its_fields() -> None:
    documented = _documented_types()
    for name, cls in change_types().items():
        assert name in documented, f"docs/import-format.md has no row for the entry type {name}"
        fields = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        missing = [f for f in fields if f not in documented[name]]
        assert not missing, f"docs/import-format.md: the row of {name} does not name its field(s) {missing}"
    unknown = set(documented) - set(change_types())
    assert not unknown, f"docs/import-format.md documents types that do not exist: {sorted(unknown)}"


def test_every_type_gets_its_declared_mutation_and_decision_field() -> None:
    inputs = mutation_inputs()
    mutations = mutation_type().__strawberry_definition__.fields
    names = {field.python_name for field in mutations}
    change_fields = {field.python_name for field in inputs.change_input.__strawberry_definition__.fields}
    for name, cls in change_types().items():
        assert cls.MUTATION in names, f"{name} declares MUTATION {cls.MUTATION!r} but the schema lacks it"
        assert name in inputs.by_type, f"{name} has no mutation input"
        assert (cls.MUTATION in change_fields) is not cls.STANDALONE, (
            f"{name}: STANDALONE={cls.STANDALONE} but the decision's ChangeInput "
            f"{'has' if cls.MUTATION in change_fields else 'lacks'} {cls.MUTATION!r}")
    assert len({cls.MUTATION for cls in change_types().values()}) == len(change_types()), "two types share a mutation"


def _parts(change: Change) -> list[Change]:
    if isinstance(change, DecisionRecorded):
        return list(change.changes)
    if isinstance(change, EntryCorrected):
        return [change.replacement]
    return [change]


def _readme_examples() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```jsonl\n(.*?)```", readme, flags=re.S)
    return blocks[0]


def test_every_fact_a_type_states_belongs_to_a_family_it_declares() -> None:
    entries, _lines, errors = parse_lines(_readme_examples(), recorded_by="test")
    assert not errors
    stated: set[str] = set()
    for entry in entries:
        for part in _parts(entry.change):
            for (family, _subject, _attribute), _value in part.facts(1):
                assert family in part.FAMILIES, (
                    f"{part.TYPE} states a fact of family {family!r} but declares FAMILIES={part.FAMILIES}")
                stated.add(part.TYPE)
    declaring = {name for name, cls in change_types().items() if cls.FAMILIES}
    assert declaring <= stated, f"no README example shows the facts of {sorted(declaring - stated)}"
    for composite in (DecisionRecorded, EntryCorrected):
        assert composite.FAMILIES == (), f"{composite.TYPE} states its parts' facts and declares no family"

