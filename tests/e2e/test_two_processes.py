"""Two API processes on one PostgreSQL database: what one records, the other shows and pushes
to its subscribers within a second (LISTEN/NOTIFY, not the poll: the poll is set to 30 s)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.e2e.servers import seeded_with_recorder, two_servers_on

ROOT = Path(__file__).parent.parent.parent
SUBSCRIBE = "subscription { ledgerEvents(programmeId: \"demo\") { id position type } }"
RECORD = ('mutation($i: StatusAssessedInput!) { assessStatus(input: $i) { __typename '
          '... on Recorded { position entry { id } } ... on Problem { code message } } }')
LATEST = '{ events(programmeId: "demo", first: 500) { edges { node { id position } } } }'


@pytest.fixture
def two_servers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[int, int, str]]:
    token = seeded_with_recorder(postgres_url, "two-process-test")
    env = {"LEDGER_PUBLIC_READS": "1", "LEDGER_POLL_SECONDS": "30"}
    with two_servers_on(tmp_path, postgres_url, env) as (writer, reader):
        yield writer.port, reader.port, token


def test_an_entry_recorded_through_one_process_reaches_the_other_within_a_second(
    two_servers: tuple[int, int, str],
) -> None:
    writer, reader, token = two_servers
    with connect(f"ws://127.0.0.1:{reader}/graphql", subprotocols=["graphql-transport-ws"]) as websocket:  # type: ignore[list-item]
        websocket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(websocket.recv(timeout=5))["type"] == "connection_ack"
        websocket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        time.sleep(0.3)  # let the subscription register before the write

        answer = httpx.post(
            f"http://127.0.0.1:{writer}/graphql", timeout=5, headers={"Authorization": f"Bearer {token}"},
            json={"query": RECORD, "variables": {"i": {"programmeId": "demo", "effective": "2024-01-01",
                                                       "status": "On track", "risk": "Low"}}},
        ).json()["data"]["assessStatus"]
        assert answer["__typename"] == "Recorded"
        message = json.loads(websocket.recv(timeout=1.0))  # the one second the issue allows
        assert message["type"] == "next"
        assert message["payload"]["data"]["ledgerEvents"]["position"] == answer["position"]

    deadline = time.monotonic() + 1.0
    while True:
        edges = httpx.post(f"http://127.0.0.1:{reader}/graphql", json={"query": LATEST}, timeout=5).json()
        positions = [edge["node"]["position"] for edge in edges["data"]["events"]["edges"]]
        if answer["position"] in positions:
            break
        assert time.monotonic() < deadline, "the other process did not show the entry within a second"
        time.sleep(0.05)
