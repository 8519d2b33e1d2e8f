"""LEDGER_LOG_FORMAT=json: every log line of a server is a JSON object, and the lines written for a
request carry its request id (the one the client sent in x-request-id)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest

from ledger_server.cli import main
from tests.conftest import SAMPLE
from tests.e2e.servers import ledger_process


def test_json_logs_carry_the_request_id(tmp_path: Path, sqlite_url: str) -> None:
    assert main(["import", str(SAMPLE), "--database", sqlite_url], out=io.StringIO(), err=io.StringIO()) == 0
    env = {"LEDGER_LOG_FORMAT": "json", "LEDGER_PUBLIC_READS": "1"}
    with ledger_process(tmp_path, "serve", "--database", sqlite_url, env=env) as server:
        answer = httpx.post(f"{server.base_url}/graphql", json={"query": '{ programme(id: "demo") { id } }'},
                            headers={"x-request-id": "trace-4711"}, timeout=30)
        assert answer.headers["x-request-id"] == "trace-4711"
        output = server.output()
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert records, output
    plain = [line for line in output.splitlines() if line.strip() and not line.startswith("{")]
    base = f"http://127.0.0.1:{server.port}"
    store = sqlite_url.removeprefix("sqlite:///")
    assert plain == [f"serving {store} on {base}/graphql (the web page is at {base}/)"]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    access = [r for r in records if r["logger"] == "uvicorn.access" and "/graphql" in r["message"]]
    assert [r.get("request_id") for r in access] == ["trace-4711"]


def test_an_unknown_log_format_is_refused(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_LOG_FORMAT", "xml")
    out, err = io.StringIO(), io.StringIO()
    assert main(["import", str(SAMPLE), "--database", sqlite_url], out=io.StringIO(), err=io.StringIO()) == 0
    assert main(["serve", "--database", sqlite_url], out=out, err=err) == 2
    assert err.getvalue() == "error [INVALID_INPUT]: LEDGER_LOG_FORMAT: LEDGER_LOG_FORMAT='xml' must be text or json\n"
