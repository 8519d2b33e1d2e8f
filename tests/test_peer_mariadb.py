"""The benchmark's MariaDB peer says why it cannot run, and the run then reports its targets as not measured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import peer_mariadb
from scripts.bench_targets import NOT_MEASURED, as_of_targets


def test_no_server_at_the_address_is_unavailable_with_the_address_in_the_reason(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_BENCH_MARIADB", "mysql://root@127.0.0.1:9")  # the discard port: nobody listens
    with pytest.raises(peer_mariadb.Unavailable, match=r"no MariaDB server answered at 127\.0\.0\.1:9 \("), \
            peer_mariadb.scratch_database():
        raise AssertionError("a scratch database was made without a server")


def test_an_unavailable_peer_marks_its_targets_not_measured_with_its_reason() -> None:
    report = json.loads((Path(__file__).parent.parent / "docs" / "bench-full.json").read_text(encoding="utf-8"))
    as_of = report["as_of"]
    as_of["large"]["mariadb"] = {"reason": "no MariaDB server answered at 127.0.0.1:9 (refused)"}
    found = {t["name"]: t for t in as_of_targets(as_of)}
    maria = [t for name, t in found.items() if "MariaDB" in name]
    assert len(maria) == 2
    assert all(t["met"] == NOT_MEASURED and t["figure"] == "-" for t in maria)
    assert all(t["reason"] == as_of["large"]["mariadb"]["reason"] for t in maria)
    assert all(isinstance(t["met"], bool) for name, t in found.items() if "MariaDB" not in name)
