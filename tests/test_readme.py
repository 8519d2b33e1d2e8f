"""The README is the user's manual: its commands and examples must work as shown."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest

from ledger.application import LedgerApplication
from ledger.changes import change_types
from ledger.importer import import_text
from ledger_server.cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    commands = [block.strip() for block in _blocks("sh")]
    assert len(commands) == 2, "the README shows exactly two set-up commands: run and test"
    ci_command = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci_command == commands[1]
    assert "pytest" in commands[1]
    assert "ledger run" in commands[0]


def test_every_entry_type_has_a_readme_example_that_imports(app: LedgerApplication) -> None:
    examples = _blocks("jsonl")[0]
    result = import_text(app, examples, recorded_by="readme")
    shown = {line.split('"type": "')[1].split('"')[0] for line in examples.strip().splitlines()}
    assert shown == set(change_types())
    assert result.added == len(examples.strip().splitlines())


def test_the_import_format_examples_import_after_the_readme_history(app: LedgerApplication) -> None:
    reference = (ROOT / "docs" / "import-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```jsonl\n(.*?)```", reference, flags=re.S)
    assert blocks, "docs/import-format.md shows no example lines"
    examples = "".join(blocks)  # every block, in the order the page shows them
    import_text(app, _blocks("jsonl")[0], recorded_by="readme")
    result = import_text(app, examples, recorded_by="readme")
    assert result.added == len(examples.strip().splitlines())
    shown = {line.split('"type": "')[1].split('"')[0] for line in examples.strip().splitlines()}
    new_types = {"GoLiveScheduled", "GoLiveRescheduled", "ActorRestoredToWave", "BaselineAdopted", "GoLiveRecorded",
                 "BudgetSet", "BudgetRevised", "CostEstimated", "CostEstimateRevised", "CostToDateReported"}
    assert new_types <= shown, f"docs/import-format.md has no example of {sorted(new_types - shown)}"


def test_every_cli_command_in_the_readme_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests" / "data").mkdir(parents=True)
    (tmp_path / "tests" / "data" / "sample.jsonl").write_text(
        (ROOT / "tests" / "data" / "sample.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'readme.db'}")
    commands = [line.removeprefix("$ ledger ") for block in _blocks("console")
                for line in block.splitlines() if line.startswith("$ ledger ")]
    assert len(commands) >= 8
    for command in commands:
        out, err = io.StringIO(), io.StringIO()
        status = main(shlex.split(command), out=out, err=err)
        assert status == 0, f"ledger {command} failed: {err.getvalue()}"
        assert out.getvalue().strip(), f"ledger {command} printed nothing"
    assert (tmp_path / "backup.jsonl").read_text(encoding="utf-8").count("\n") > 22


def _shell_lines(prefix: str) -> list[str]:
    return [line for block in _blocks("shell") for line in block.splitlines() if line.startswith(prefix)]


def test_the_readme_read_model_commands_and_sql_run(postgres_url: str) -> None:
    import psycopg

    from ledger.application import open_ledger
    from ledger.settings import StoreLocation

    app = open_ledger(StoreLocation(postgres_url))
    import_text(app, (ROOT / "tests" / "data" / "sample.jsonl").read_text(encoding="utf-8"), recorded_by="readme")
    app.close()
    commands = _shell_lines("ledger migrate") + _shell_lines("ledger project") + _shell_lines("ledger rebuild")
    assert len(commands) == 3
    for command in commands:
        args = shlex.split(command)[1:]
        args[args.index("--database") + 1] = postgres_url
        out, err = io.StringIO(), io.StringIO()
        assert main(args, out=out, err=err) == 0, err.getvalue()
    queries = [q.strip() for q in _blocks("sql")[0].split(";") if q.strip()]
    assert len(queries) == 2
    with psycopg.connect(postgres_url) as connection:
        plan = connection.execute(queries[0]).fetchall()
        changes = connection.execute(queries[1]).fetchall()
    assert ("harbour", "golive") in {(row[0], row[1]) for row in plan}
    assert {row[0] for row in changes} >= {"demo:13", "demo:18"}
    assert any(row[0] == "demo:18" and row[5] for row in changes), "demo:18 was corrected"


def test_the_performance_table_is_the_saved_full_run() -> None:
    import json

    from scripts.bench_targets import markdown

    saved = json.loads((ROOT / "docs" / "bench-full.json").read_text(encoding="utf-8"))
    assert saved["mode"] == "full"
    assert markdown(saved) in README, "regenerate it: scripts/bench --markdown docs/bench-full.json"
