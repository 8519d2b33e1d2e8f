"""The benchmark harness works: the quick mode runs every measurement and every peer, and reports
every target; `scripts/bench` runs with the system's python3 outside an activated venv.

No thresholds here: speed is judged from `scripts/bench`'s full run, never from a timed test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).parent.parent
SYSTEM_PYTHON = ["/usr/bin/env", "python3"]


def _outside_the_venv() -> dict[str, str]:
    """The environment of a shell where no venv is active: PATH without .venv, no VIRTUAL_ENV."""
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if ".venv" not in p and not p.startswith(str(ROOT)))
    kept = {name: value for name, value in os.environ.items()
            if name.startswith("LEDGER_") or name in ("HOME", "LANG", "TMPDIR")}
    return {**kept, "PATH": path or "/usr/bin:/bin"}


def test_quick_benchmark_measures_everything_from_the_system_python(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    result = subprocess.run([*SYSTEM_PYTHON, str(ROOT / "scripts" / "bench"), "--quick", "--output", str(output)],
                            cwd=ROOT, env=_outside_the_venv(), capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["mode"] == "quick"
    assert set(report) >= {"machine", "import", "append", "writes", "rebuild", "as_of", "graphql", "memory", "cli",
                           "verify", "targets", "seconds"}
    _every_peer_measured(report)
    _every_target_reported(report, result.stdout)


def _every_peer_measured(report: dict) -> None:  # type: ignore[type-arg]
    for store in ("sqlite", "postgres"):
        assert report["import"][store]["entries_per_s"] > 0
        assert report["import"][store]["eventsourcing_insert_per_s"] > 0
        assert report["append"][store]["p99_ms"] >= report["append"][store]["p50_ms"] > 0
    assert report["rebuild"]["raw_fetch_and_copy_entries_per_s"] > 0
    assert report["rebuild"]["eventsourcing_notification_log_read_per_s"] > 0
    for size in ("small", "large"):
        as_of = report["as_of"][size]
        assert as_of["actors_in_plan"] == 200
        assert as_of["naive_replay_p50_ms"] > 0
        assert as_of["gist"]["facts_in_answer"] == as_of["facts_in_answer"] > 0
        assert as_of["gist"]["p50_ms"] > 0
        maria = as_of["mariadb"]
        assert maria.get("facts_in_answer") == as_of["facts_in_answer"] or maria["reason"]
        assert as_of["api_postgres"]["peak_mib"] > 0
        assert as_of["cli"]["plan_s"] > 0
        assert as_of["cli"]["version_s"] > 0
    assert report["as_of"]["large"]["entries"] > report["as_of"]["small"]["entries"]
    graphql = report["graphql"]
    assert graphql["requests"] > 0
    assert graphql["starlette_requests_per_s"] > 0
    assert graphql["graphql_core_p50_ms"] > 0
    assert graphql["uncached_requests_per_s"] >= 0
    assert report["writes"]["clients"] == 8
    assert report["writes"]["graphql_mutations"] > 0
    assert report["writes"]["in_process_per_s"] > 0
    assert report["memory"]["peak_rss_mib"] > 0
    assert len(report["memory"]["api_postgres_rss_mib"]) == 2
    assert report["verify"]["sqlite"]["verify_entries_per_s"] > 0
    assert report["verify"]["postgres"]["import_with_leaves_per_s"] > 0


def _every_target_reported(report: dict, printed: str) -> None:  # type: ignore[type-arg]
    found = report["targets"]
    assert len(found) == 21
    assert len({t["name"] for t in found}) == len(found)
    for target in found:
        assert set(target) >= {"name", "target", "figure", "met"}
        assert target["met"] in (True, False, "not measured")
        assert target["met"] != "not measured" or target["reason"]
        assert f"| {target['name']} |" in printed
    maria = [t for t in found if "MariaDB" in t["name"]]
    assert len(maria) == 2
    measured = "p50_ms" in report["as_of"]["large"]["mariadb"]
    assert all((t["met"] != "not measured") == measured for t in maria)


def test_the_shim_says_how_to_make_the_venv_when_there_is_none(tmp_path: Path) -> None:
    # A copy of the shim beside no .venv, run by a python3 without site-packages (so without the deps).
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "bench", tmp_path / "scripts" / "bench")
    output = tmp_path / "bench.json"
    result = subprocess.run([*SYSTEM_PYTHON, "-S", str(tmp_path / "scripts" / "bench"), "--quick",
                             "--output", str(output)], cwd=tmp_path, env=_outside_the_venv(), capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "lacks asyncpg" in result.stderr
    assert f"there is no {tmp_path / '.venv' / 'bin' / 'python'}" in result.stderr
    assert "python3 -m venv .venv && .venv/bin/pip install -e '.[test]'" in result.stderr
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["scripts", "scripts/bench"]


def test_markdown_prints_the_readme_table_of_the_saved_full_run() -> None:
    result = subprocess.run([*SYSTEM_PYTHON, str(ROOT / "scripts" / "bench"), "--markdown", "docs/bench-full.json"],
                            cwd=ROOT, env=_outside_the_venv(), capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout.strip()
    assert table.startswith("Full run of ")
    assert table in (ROOT / "README.md").read_text(encoding="utf-8")
