"""The real thing: `ledger serve` and `ledger run` started as processes, spoken to over TCP.

Each test starts the server with `python -m ledger_server.cli ...` on a free port, waits (bounded) for
/healthz, and terminates it at the end. Clients are httpx, the `websockets` library and the
`gql` client library, as a front end would use them.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from websockets.sync.client import connect

from ledger.application import open_ledger
from ledger.errors import ImportRejected
from ledger.importer import import_text
from ledger.settings import StoreLocation
from ledger_server.cli import main as ledger_cli
from tests.e2e.client import (
    ROOT,
    TIMEOUT,
    GraphQL,
    GraphQLWebSocket,
    Json,
    Tokens,
    assess_status,
    live_event_json,
    operation_text,
    plan_on_date_json,
    recorded,
    reference_model,
    wait_until_live,
)
from tests.e2e.conftest import seed
from tests.e2e.servers import RunningServer, environment, ledger_process

_SENTINELS = itertools.count(1)


@pytest.fixture
def served(tmp_path: Path, seeded_url: str) -> Iterator[RunningServer]:
    """`ledger serve` on the seeded store (settings from the environment, as deployed)."""
    with ledger_process(tmp_path, "serve", "--database", seeded_url) as server:
        yield server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT) as client:
        yield client


def _caller(http: httpx.Client, server: RunningServer, token: str | None) -> GraphQL:
    return GraphQL(http, token, path=f"{server.base_url}/graphql")


def _sentinel(recorder: GraphQL) -> int:
    result = recorded(assess_status(recorder, "demo", "2024-06-01", status=f"sentinel {next(_SENTINELS)}"))
    position: int = result["position"]
    return position


SOUTH_LIVE = {"programmeId": "demo", "effective": "2024-03-01", "actors": ["south-trust"], "wave": "w2",
              "source": {"title": "Go-live report"}}


# -- `ledger serve` over HTTP and WebSocket ------------------------------------------------


def test_plan_on_date_over_http_from_a_real_server(
    served: RunningServer, http: httpx.Client, tokens: Tokens, seeded_url: str
) -> None:
    answer = _caller(http, served, tokens.reader).operation_data("PlanOnDate", {"programmeId": "demo",
                                                                               "asOf": "2023-06-01"})
    plan = reference_model(seeded_url).plan("demo", date(2023, 6, 1), datetime.now(UTC))
    assert plan is not None
    assert answer["programme"] == plan_on_date_json(plan)
    assert answer["programme"]["reserves"][0]["remaining"] == "78000000"


def test_healthz_of_a_real_server_reports_the_log_position(served: RunningServer, http: httpx.Client) -> None:
    health = http.get(f"{served.base_url}/healthz")
    assert health.status_code == 200
    assert (health.json()["status"], health.json()["position"]) == ("ok", 22)


def test_a_subscription_over_a_real_websocket_sees_an_entry_recorded_by_a_mutation(
    served: RunningServer, http: httpx.Client, tokens: Tokens, seeded_url: str
) -> None:
    recorder = _caller(http, served, tokens.recorder)
    with connect(served.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=TIMEOUT,  # type: ignore[list-item]
                 close_timeout=5) as connection:
        live = GraphQLWebSocket(connection.send, lambda timeout: str(connection.recv(timeout=timeout)))
        assert live.initialise({"Authorization": f"Bearer {tokens.reader}"}) == {"type": "connection_ack"}
        live.subscribe("live", operation_text("FollowLiveEntries"), {"programmeId": "demo"},
                       operation_name="FollowLiveEntries")
        wait_until_live(live, "live", lambda: _sentinel(recorder))

        result = recorded(recorder.operation_data("RecordGoLive", {"input": SOUTH_LIVE})["recordGoLive"])
        event = live.next_event("live")
    logged = reference_model(seeded_url).audit.get(result["entry"]["id"])
    assert logged is not None
    assert event == live_event_json(logged)
    assert event["position"] == result["position"]


def test_a_real_websocket_without_a_token_gets_no_entries(
    served: RunningServer, http: httpx.Client, tokens: Tokens
) -> None:
    with connect(served.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=TIMEOUT,  # type: ignore[list-item]
                 close_timeout=5) as connection:
        live = GraphQLWebSocket(connection.send, lambda timeout: str(connection.recv(timeout=timeout)))
        assert live.initialise() == {"type": "connection_ack"}
        live.subscribe("anon", operation_text("FollowLiveEntries"), {"programmeId": "demo"})
        refusal = live.receive()
        assert refusal["id"] == "anon"
        assert refusal["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        _sentinel(_caller(http, served, tokens.recorder))
        assert live.receive() == {"id": "anon", "type": "complete"}
        live.assert_quiet()


# -- the gql client library --------------------------------------------------------------


async def _gql_scenario(server: RunningServer, tokens: Tokens) -> tuple[Json, Json, Json]:
    """PlanOnDate and RecordGoLive over HTTPXAsyncTransport, FollowLiveEntries over WebsocketsTransport."""

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    url = f"{server.base_url}/graphql"
    reader_client = Client(transport=HTTPXAsyncTransport(url=url, headers=bearer(tokens.reader), timeout=TIMEOUT))
    recorder_client = Client(transport=HTTPXAsyncTransport(url=url, headers=bearer(tokens.recorder), timeout=TIMEOUT))
    live_client = Client(transport=WebsocketsTransport(
        url=server.ws_url, init_payload=bearer(tokens.reader), connect_timeout=TIMEOUT, ack_timeout=TIMEOUT,
        close_timeout=5, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]))
    events: asyncio.Queue[Json] = asyncio.Queue()

    async with reader_client as reader, recorder_client as recorder, live_client as live:

        async def follow() -> None:
            request = GraphQLRequest(operation_text("FollowLiveEntries"), variable_values={"programmeId": "demo"},
                                     operation_name="FollowLiveEntries")
            async for result in live.subscribe(request):
                await events.put(result["ledgerEvents"])

        async def record_sentinel() -> int:
            result = await recorder.execute(GraphQLRequest(
                "mutation($input: StatusAssessedInput!) { assessStatus(input: $input) "
                "{ ... on Recorded { position } } }",
                variable_values={"input": {"programmeId": "demo", "effective": "2024-06-01", "status":
                                           f"sentinel {next(_SENTINELS)}", "risk": "Low"}}))
            position: int = result["assessStatus"]["position"]
            return position

        plan = await reader.execute(GraphQLRequest(
            operation_text("PlanOnDate"), variable_values={"programmeId": "demo", "asOf": "2023-06-01"},
            operation_name="PlanOnDate"))
        follower = asyncio.create_task(follow())
        try:
            sentinels = [await record_sentinel()]
            while True:  # bounded by the asyncio.wait_for around the whole scenario
                try:
                    first = await asyncio.wait_for(events.get(), timeout=0.2)
                    break
                except TimeoutError:
                    sentinels.append(await record_sentinel())
            last = first["position"]
            while last != sentinels[-1]:
                last = (await asyncio.wait_for(events.get(), timeout=TIMEOUT))["position"]

            went_live = await recorder.execute(GraphQLRequest(
                operation_text("RecordGoLive"), variable_values={"input": SOUTH_LIVE}, operation_name="RecordGoLive"))
            event = await asyncio.wait_for(events.get(), timeout=TIMEOUT)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
    return plan, went_live["recordGoLive"], event


def test_the_gql_client_library_queries_mutates_and_subscribes(
    served: RunningServer, tokens: Tokens, seeded_url: str
) -> None:
    plan, went_live, event = asyncio.run(asyncio.wait_for(_gql_scenario(served, tokens), timeout=60))

    assert plan["programme"]["id"] == "demo"
    assert plan["programme"]["reserves"][0]["remaining"] == "78000000"
    assert went_live["__typename"] == "Recorded"
    assert went_live["entry"]["recordedBy"] == "token:e2e-recorder"
    assert event["position"] == went_live["position"]
    assert event["type"] == "GoLiveRecorded"
    logged = reference_model(seeded_url).audit.get(went_live["entry"]["id"])
    assert logged is not None
    assert event == live_event_json(logged)


# -- `ledger run`, `ledger token create`, --no-graphiql -------------------------------------


def _cli_token(url: str, role: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert ledger_cli(["token", "create", "--role", role, "--database", url], out=out, err=err) == 0, err.getvalue()
    return out.getvalue().strip()


def test_ledger_run_imports_the_bundled_history_into_an_empty_ledger_and_serves_it(
    tmp_path: Path, http: httpx.Client
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with ledger_process(tmp_path, "run", "--database", url) as server:
        token = _cli_token(url, "reader")
        answer = _caller(http, server, token).data(
            'query { programme(id: "helseplattformen", asOf: "2023-05-01") '
            "{ name owner contact status risk risks actors { id } } }")
        health = http.get(f"{server.base_url}/healthz").json()
        printed = server.output()
    programme = answer["programme"]
    assert (programme["name"], programme["owner"], programme["contact"]) == (
        "Helseplattformen", "Helse Midt-Norge RHF", "Trond Utne")
    assert (programme["status"], programme["risk"], len(programme["risks"])) == ("Noen utfordringer", "Middels", 4)
    assert len(programme["actors"]) > 10
    assert "importing 'helseplattformen'" in printed
    assert "Helseplattformen (helseplattformen)" in printed  # today's plan was shown before serving
    ledger = open_ledger(StoreLocation(url))
    try:
        assert health["position"] == ledger.last_position() > 100
    finally:
        ledger.close()


def test_ledger_run_on_a_ledger_with_history_imports_nothing(tmp_path: Path, sqlite_url: str) -> None:
    seed(sqlite_url)
    with ledger_process(tmp_path, "run", "--database", sqlite_url) as server:
        health = httpx.get(f"{server.base_url}/healthz", timeout=TIMEOUT).json()
        printed = server.output()
    assert health["position"] == 22
    assert "importing" not in printed
    assert "Demo rollout (demo)" in printed


def test_ledger_token_create_prints_a_token_that_works(
    tmp_path: Path, seeded_url: str, http: httpx.Client
) -> None:
    created = subprocess.run(
        [sys.executable, "-m", "ledger_server.cli", "token", "create", "--role", "recorder", "--name", "ci-bot",
         "--database", seeded_url],
        cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=60, check=False,
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("lgr_")
    assert token not in created.stderr  # the secret goes to stdout only
    with ledger_process(tmp_path, "serve", "--database", seeded_url) as server:
        result = recorded(_caller(http, server, token).operation_data("RecordGoLive", {"input": SOUTH_LIVE})[
            "recordGoLive"])
        forged = _caller(http, server, token + "x").operation_data("RecordGoLive", {"input": SOUTH_LIVE})
    assert result["entry"]["recordedBy"] == "token:ci-bot"
    assert forged["recordGoLive"]["code"] == "UNAUTHENTICATED"


def _graphiql_page(http: httpx.Client, server: RunningServer) -> httpx.Response:
    return http.get(f"{server.base_url}/graphql", headers={"Accept": "text/html"})


def test_graphiql_is_served_by_default_and_no_graphiql_turns_it_off(
    tmp_path: Path, sqlite_url: str, http: httpx.Client
) -> None:
    with ledger_process(tmp_path, "serve", "--database", sqlite_url) as server:
        page = _graphiql_page(http, server)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "graphiql" in page.text.lower()

    with ledger_process(tmp_path, "serve", "--database", sqlite_url, "--no-graphiql") as server:
        page = _graphiql_page(http, server)
        still_answers = http.post(f"{server.base_url}/graphql", json={"query": "{ __typename }"})
    assert page.status_code == 404
    assert "graphiql" not in page.text.lower()
    assert still_answers.json() == {"data": {"__typename": "Query"}}


# -- a text holding U+0000, on `ledger serve` (on PostgreSQL: its PostgreSQL read model) --------


def _not_masked(answer: Json) -> None:
    messages = [error["message"] for error in answer.get("errors", [])]
    assert "Unexpected error." not in messages, answer


def test_a_text_with_a_nul_character_does_not_stop_the_server_recording(
    served: RunningServer, http: httpx.Client, tokens: Tokens
) -> None:
    recorder = _caller(http, served, tokens.recorder)
    odd = recorder.execute(
        "mutation($input: StatusAssessedInput!) { assessStatus(input: $input) "
        "{ __typename ... on Problem { code message } } }",
        {"input": {"programmeId": "demo", "effective": "2024-01-01", "status": "ok\u0000", "risk": "Low"}})
    _not_masked(odd)
    assert odd["data"]["assessStatus"]["__typename"] == "InvalidInputProblem"
    assert "NUL character" in odd["data"]["assessStatus"]["message"]

    after = recorded(assess_status(recorder, "demo", "2024-02-01", status="All fine"))
    plan = _caller(http, served, tokens.reader).data('{ programme(id: "demo", asOf: "2024-03-01") { status } }')
    assert plan["programme"]["status"] == "All fine"
    assert http.get(f"{served.base_url}/healthz").json()["read_model_position"] == after["position"]


def test_an_import_line_with_a_nul_character_is_refused_and_the_server_still_starts(
    tmp_path: Path, seeded_url: str
) -> None:
    line = ('{"type": "StatusAssessed", "programme": "demo", "effective": "2024-01-01", "key": "nul-1", '
            '"source": {"title": "Status page"}, "status": "ok\\u0000", "risk": "Low"}')
    ledger = open_ledger(StoreLocation(seeded_url))
    try:
        with pytest.raises(ImportRejected) as refused:
            import_text(ledger, line, recorded_by="test")
        assert "NUL character" in str(refused.value)
        assert ledger.last_position() == 22
    finally:
        ledger.close()
    with ledger_process(tmp_path, "serve", "--database", seeded_url) as server:
        health = httpx.get(f"{server.base_url}/healthz", timeout=TIMEOUT).json()
    assert (health["position"], health["read_model_position"]) == (22, 22)
