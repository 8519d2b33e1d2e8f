"""The benchmark harness works: the quick mode runs every measurement and reports every target.

No thresholds here: speed is judged from `scripts/bench`'s full run, never from a timed test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_quick_benchmark_measures_everything(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench"), "--quick", "--output", str(output)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["mode"] == "quick"
    assert set(report) >= {"machine", "import", "append", "rebuild", "as_of", "graphql", "memory", "verify", "targets"}
    for store in ("sqlite", "postgres"):
        assert report["import"][store]["entries_per_s"] > 0
        assert report["import"][store]["eventsourcing_insert_per_s"] > 0
        assert report["append"][store]["p99_ms"] >= report["append"][store]["p50_ms"] > 0
    assert report["as_of"]["small"]["actors_in_plan"] == 200
    assert report["as_of"]["large"]["entries"] > report["as_of"]["small"]["entries"]
    assert report["graphql"]["requests"] > 0
    assert report["graphql"]["uncached_requests_per_s"] >= 0
    assert report["memory"]["peak_rss_mib"] > 0
    assert len(report["targets"]) == 17
    assert report["verify"]["sqlite"]["verify_entries_per_s"] > 0
    assert report["verify"]["postgres"]["import_with_leaves_per_s"] > 0
    assert all(isinstance(target["met"], bool) for target in report["targets"])
    assert "| target" in result.stdout
