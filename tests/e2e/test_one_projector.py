"""One projector per database: three API processes that only read and follow, two `ledger project
--follow` processes of which one leads. Under a bounded load of writes the leader is killed; the
other takes over within 5 s, every write is still answered only once the shared read model has
it, and in the end the read model equals the fold of the store (nothing applied twice or skipped).
`/metrics` of every API process is scraped and parsed with prometheus-client's own parser.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from ledger.application import open_ledger
from ledger.settings import StoreLocation
from ledger_server.cli import main
from projections.pg_schema import SCHEMA_VERSION
from tests.conftest import SAMPLE
from tests.e2e.client import GraphQL, Tokens, assess_status, recorded
from tests.e2e.servers import ROOT, RunningServer, environment, ledger_process
from tests.integration.test_projector_crashes import _assert_equal_to_fold

WRITES = 60
KILL_AFTER = 20
TAKEOVER_LIMIT = 5.0
LEADER = re.compile(r"ledger projector pid (\d+) on ")


def _leader_pid(url: str) -> int | None:
    """The OS pid of the `ledger project` process holding the leadership lock, from `ledger status`."""
    out = io.StringIO()
    assert main(["status", "--json", "--database", url], out=out, err=io.StringIO()) == 0
    leader = json.loads(out.getvalue())["projector_leader"]
    found = LEADER.search(leader or "")
    return int(found.group(1)) if found else None


def _wait_for_leader(url: str, other_than: int | None = None, limit: float = 30.0) -> tuple[int, float]:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        pid = _leader_pid(url)
        if pid is not None and pid != other_than:
            return pid, time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"no new projector leader within {limit}s")


@contextmanager
def _projector(tmp_path: Path, url: str, name: str) -> Iterator[subprocess.Popen[bytes]]:
    with (tmp_path / f"{name}.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "ledger", "project", "--follow", "--database", url],
                                   cwd=ROOT, env=environment(), stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)


def _metrics(http: httpx.Client, server: RunningServer) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    """Every family of the server's /metrics, as prometheus-client's parser reads it."""
    text = http.get(f"{server.base_url}/metrics").text
    return {family.name: [(sample.name, sample.labels, sample.value) for sample in family.samples]
            for family in text_string_to_metric_families(text)}


def test_the_projector_is_killed_and_another_takes_over_without_losing_or_doubling_an_entry(
    tmp_path: Path, postgres_url: str
) -> None:
    assert main(["import", str(SAMPLE), "--database", postgres_url], out=io.StringIO(), err=io.StringIO()) == 0
    tokens = Tokens.create(postgres_url)
    with ExitStack() as stack:
        first = stack.enter_context(_projector(tmp_path, postgres_url, "projector-1"))
        leader, _ = _wait_for_leader(postgres_url)
        second = stack.enter_context(_projector(tmp_path, postgres_url, "projector-2"))
        assert leader == first.pid  # the first one leads; the second stands by
        apis = [stack.enter_context(ledger_process(tmp_path, "serve", "--no-projector", "--database", postgres_url))
                for _ in range(3)]
        http = stack.enter_context(httpx.Client(timeout=30))
        callers = [GraphQL(httpx.Client(base_url=api.base_url, timeout=30), tokens.recorder) for api in apis]
        readers = [GraphQL(httpx.Client(base_url=api.base_url, timeout=30), tokens.reader) for api in apis]

        answered: list[int] = []
        stale: list[tuple[int, int]] = []

        def load() -> None:
            for n in range(WRITES):
                result = recorded(assess_status(callers[n % 3], "demo", f"2024-{1 + n % 12:02d}-01", f"load {n}"))
                answered.append(result["position"])
                # Read your writes across processes: another API process already has the entry.
                page = readers[(n + 1) % 3].data(
                    '{ events(first: 500, types: ["StatusAssessed"]) { edges { node { position } } } }')
                positions = {edge["node"]["position"] for edge in page["events"]["edges"]}
                if result["position"] not in positions:
                    stale.append((n, result["position"]))

        writer = threading.Thread(target=load)
        writer.start()
        while len(answered) < KILL_AFTER and writer.is_alive():
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=15)
        new_leader, took = _wait_for_leader(postgres_url, other_than=first.pid)
        writer.join(timeout=120)
        assert not writer.is_alive(), "the load did not finish"

        assert new_leader == second.pid
        assert took < TAKEOVER_LIMIT, f"the standby took {took:.1f}s to take over"
        assert len(answered) == WRITES
        assert stale == [], "an API process answered a query without an entry written before it"

        scraped = [_metrics(http, api) for api in apis]
        app = open_ledger(StoreLocation(postgres_url))
        try:
            last = app.last_position()
            for metrics in scraped:
                assert metrics["ledger_store_position"] == [("ledger_store_position", {}, float(last))]
                assert metrics["ledger_read_model_position"] == [("ledger_read_model_position", {}, float(last))]
                assert metrics["ledger_projector_lag_entries"][0][2] == 0
                # API processes never lead
                assert metrics["ledger_projector_leader"] == [("ledger_projector_leader", {}, 0.0)]
                requests = {(labels["operation"], labels["outcome"]): value
                            for name, labels, value in metrics["ledger_graphql_requests"]
                            if name == "ledger_graphql_requests_total"}
                assert requests[("Record", "OK")] == WRITES / 3
                assert "ledger_graphql_request_seconds" in metrics
            _assert_equal_to_fold(postgres_url, app)  # nothing applied twice, nothing skipped
        finally:
            app.close()
        for caller in [*callers, *readers]:
            caller.http.close()


def test_status_shows_positions_lag_schema_leader_and_tokens(tmp_path: Path, postgres_url: str) -> None:
    assert main(["import", str(SAMPLE), "--database", postgres_url], out=io.StringIO(), err=io.StringIO()) == 0
    Tokens.create(postgres_url)
    out = io.StringIO()
    assert main(["status", "--json", "--database", postgres_url], out=out, err=io.StringIO()) == 0
    before = json.loads(out.getvalue())
    assert (before["store_position"], before["read_model_position"], before["lag_entries"]) == (22, 0, 22)
    assert before["lag_seconds"] > 0
    assert (before["schema_version"], before["projector_leader"]) == (SCHEMA_VERSION, None)
    assert (before["tokens_active"], before["tokens_total"]) == (3, 3)
    with _projector(tmp_path, postgres_url, "projector"):
        pid, _ = _wait_for_leader(postgres_url)
        deadline = time.monotonic() + 30
        while True:
            out = io.StringIO()
            assert main(["status", "--database", postgres_url], out=out, err=io.StringIO()) == 0
            if "lag:              0 entries" in out.getvalue() or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    text = out.getvalue()
    assert f"read model:       postgres at position 22, schema version {SCHEMA_VERSION}" in text
    assert "lag:              0 entries, 0.0 s" in text
    assert f"ledger projector pid {pid} on " in text
    assert "tokens:           3 active of 3" in text


def test_serve_with_several_workers_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    assert main(["import", str(SAMPLE), "--database", postgres_url], out=io.StringIO(), err=io.StringIO()) == 0
    tokens = Tokens.create(postgres_url)
    with ledger_process(tmp_path, "serve", "--workers", "2", "--database", postgres_url) as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as http:
        caller = GraphQL(http, tokens.recorder)
        positions = [recorded(assess_status(caller, "demo", "2024-01-01", f"worker {n}"))["position"]
                     for n in range(6)]
        page = GraphQL(http, tokens.reader).data(
            '{ events(first: 500, types: ["StatusAssessed"]) { edges { node { position } } } }')
        output = server.output()
    assert set(positions) <= {edge["node"]["position"] for edge in page["events"]["edges"]}
    assert "with 2 workers" in output
    assert len(set(re.findall(r"Started server process \[(\d+)\]", output))) == 2


def test_several_workers_on_sqlite_are_refused(sqlite_url: str) -> None:
    assert main(["import", str(SAMPLE), "--database", sqlite_url], out=io.StringIO(), err=io.StringIO()) == 0
    out, err = io.StringIO(), io.StringIO()
    assert main(["serve", "--workers", "2", "--database", sqlite_url], out=out, err=err) == 2
    assert err.getvalue().startswith("error [INVALID_INPUT]: workers: several workers need a PostgreSQL store")
    assert out.getvalue() == ""
