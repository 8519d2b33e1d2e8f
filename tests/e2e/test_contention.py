"""Two `ledger serve` processes on one PostgreSQL database, 1,000 fresh keys from four writers.

Both processes append to the same programme, so their saves collide. A collision is retried
with backoff inside the ledger; one that persists is a retryable CONFLICT (409), never
KEY_CONFLICT, which means a key reused with different content. Every key ends up in the log
exactly once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger.application import open_ledger
from ledger.settings import StoreLocation
from tests.e2e.servers import RunningServer, seeded_with_recorder, two_servers_on

RECORD = ("mutation($i: StatusAssessedInput!) { assessStatus(input: $i) { __typename "
          "... on Recorded { added } ... on Problem { code message } } }")
KEYS_PER_WRITER = 250


@pytest.fixture
def two_servers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[RunningServer, RunningServer, str]]:
    token = seeded_with_recorder(postgres_url, "contention-test")
    with two_servers_on(tmp_path, postgres_url) as (first, second):
        yield first, second, token


def _write_all(server: RunningServer, token: str, name: str, outcomes: Counter[str], lock: threading.Lock) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        for number in range(KEYS_PER_WRITER):
            key = f"{name}-{number}"
            variables = {"i": {"programmeId": "demo", "effective": "2024-01-01", "status": f"Status {key}",
                               "risk": "Low", "key": key}}
            while True:
                response = client.post("/graphql", json={"query": RECORD, "variables": variables})
                errors = response.json().get("errors") or [{}]
                code = errors[0].get("extensions", {}).get("code") if "errors" in response.json() else None
                result = (response.json().get("data") or {}).get("assessStatus") or {}
                outcome = code or result.get("code") or result.get("__typename", "?")
                if outcome == "CONFLICT" and (response.status_code != 409 or "retry-after" not in response.headers):
                    outcome = f"CONFLICT answered {response.status_code} {dict(response.headers)}"  # fails below
                with lock:
                    outcomes[outcome] += 1
                if outcome != "CONFLICT":
                    break
                time.sleep(0.05)


def test_a_thousand_fresh_keys_from_two_processes_never_answer_key_conflict(
    two_servers: tuple[RunningServer, RunningServer, str], postgres_url: str
) -> None:
    first, second, token = two_servers
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    writers = [threading.Thread(target=_write_all, args=(server, token, f"{server.port}-{n}", outcomes, lock))
               for server in (first, second) for n in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=600)
    print(dict(outcomes))
    assert outcomes["KEY_CONFLICT"] == 0
    assert set(outcomes) <= {"Recorded", "CONFLICT"}, outcomes
    assert outcomes["Recorded"] == 4 * KEYS_PER_WRITER

    app = open_ledger(StoreLocation(postgres_url))
    try:
        keys = Counter(entry.entry.key for entry in app.read_all())
    finally:
        app.close()
    written = {f"{server.port}-{n}-{number}" for server in (first, second) for n in range(2)
               for number in range(KEYS_PER_WRITER)}
    assert {key for key in written if keys[key] != 1} == set()
