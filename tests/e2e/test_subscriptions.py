"""Live entries over graphql-transport-ws: connection_init -> connection_ack -> subscribe -> next...

A subscriber gets every entry recorded after it subscribed, in position order, with no gap
and no duplicate; a programme filter holds back other programmes' entries; and without a
token (public reads off) a subscriber gets an UNAUTHENTICATED error and no entries.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from ledger.application import LedgerApplication
from ledger.importer import import_text
from tests.e2e.client import (
    TIMEOUT,
    GraphQL,
    GraphQLWebSocket,
    Json,
    Tokens,
    assess_status,
    live_event_json,
    operation_text,
    record,
    recorded,
    reference_model,
    register_programme,
    wait_until_live,
)
from tests.e2e.conftest import Served, serve

FOLLOW = operation_text("FollowLiveEntries")
WINDOW = {"earliest": "2025-03-01", "latest": "2025-03-31", "precision": "MONTH", "label": "March 2025"}
SOURCE = {"title": "Board minutes 2024"}
_SENTINELS = itertools.count(1)  # entries without a key are keyed by content: each sentinel must differ


def _demo_entries(recorder: GraphQL) -> list[Callable[[], Json]]:
    """Eleven different entries for "demo", one of them a decision, in an order the rules accept."""

    def entry(mutation: str, input_type: str, values: Json) -> Callable[[], Json]:
        return lambda: record(recorder, mutation, input_type, {"programmeId": "demo", "source": SOURCE, **values})

    return [
        entry("registerActor", "ActorRegisteredInput",
              {"effective": "2024-01-01", "actor": "east-trust", "name": "East Trust HF", "kind": "HEALTH_TRUST",
               "parent": "demo-rhf"}),
        entry("joinActor", "ActorJoinedInput", {"effective": "2024-01-02", "actor": "east-trust"}),
        entry("planWave", "WavePlannedInput",
              {"effective": "2024-01-03", "wave": "w3", "code": "W3", "window": WINDOW}),
        entry("recordDecision", "DecisionRecordedInput", {
            "effective": "2024-01-04", "title": "East Trust joins W3", "decidingBody": "Demo board",
            "changes": [
                {"assignActorToWave": {"actor": "east-trust", "wave": "w3"}},
                {"assessStatus": {"status": "Some challenges", "risk": "Medium"}},
            ]}),
        entry("establishReserve", "ReserveEstablishedInput",
              {"effective": "2024-01-05", "reserve": "ops", "name": "Operations reserve", "total": "1000000"}),
        entry("makeAllocation", "AllocationMadeInput",
              {"effective": "2024-01-06", "allocation": "east-intro", "reserve": "ops", "purpose": "East Trust",
               "amount": "250000.50", "actors": ["east-trust"]}),
        entry("rescheduleWave", "WaveRescheduledInput", {"effective": "2024-01-07", "wave": "w3", "window": {
            "earliest": "2025-05-01", "latest": "2025-05-31", "precision": "MONTH", "label": "May 2025"}}),
        entry("recordStatement", "StatementRecordedInput",
              {"effective": "2024-01-08", "kind": "statement", "title": "Worry", "summary": "Too fast",
               "actors": ["east-trust"]}),
        entry("recordGoLive", "GoLiveRecordedInput",
              {"effective": "2024-03-01", "actors": ["south-trust"], "wave": "w2"}),
        entry("recordCost", "CostRecordedInput", {"effective": "2024-02-01", "allocation": "east-intro",
                                                  "amount": "1000"}),
        entry("assessStatus", "StatusAssessedInput", {"effective": "2024-02-02", "status": "Fine", "risk": "Low"}),
    ]


def _subscribe(socket: GraphQLWebSocket, op_id: str, token: str | None, programme: str | None) -> None:
    payload = {} if token is None else {"Authorization": f"Bearer {token}"}
    assert socket.initialise(payload) == {"type": "connection_ack"}
    variables = {} if programme is None else {"programmeId": programme}
    socket.subscribe(op_id, FOLLOW, variables, operation_name="FollowLiveEntries")


def _sentinel(recorder: GraphQL, programme: str) -> Callable[[], int]:
    """Records a new (never repeated) status entry each call; returns its position."""

    def record_one() -> int:
        result = recorded(assess_status(recorder, programme, "2024-06-01", status=f"sentinel {next(_SENTINELS)}"))
        assert result["added"] is True
        position: int = result["position"]
        return position

    return record_one


def test_a_subscriber_gets_every_later_entry_in_position_order_without_gaps_or_duplicates(api: Served) -> None:
    with api.socket() as socket:
        _subscribe(socket, "all", api.tokens.reader, None)
        sentinels = wait_until_live(socket, "all", _sentinel(api.recorder, "demo"))

        results = [recorded(make()) for make in _demo_entries(api.recorder)]
        positions = [result["position"] for result in results]
        received = [socket.next_event("all") for _ in positions]

        # Nothing more was queued: the next event is the next entry recorded, not a repeat.
        closing = _sentinel(api.recorder, "demo")()
        assert socket.next_event("all")["position"] == closing

    assert positions == list(range(sentinels[-1] + 1, sentinels[-1] + 1 + len(positions)))
    assert [event["position"] for event in received] == positions
    assert [event["id"] for event in received] == [result["entry"]["id"] for result in results]
    assert "DecisionRecorded" in [event["type"] for event in received]
    model = reference_model(api.url)
    assert received == [live_event_json(model.audit.get(result["entry"]["id"])) for result in results]  # type: ignore[arg-type]
    assert {event["recordedBy"] for event in received} == {"token:e2e-recorder"}


def test_a_programme_filter_delivers_only_that_programmes_entries(api: Served) -> None:
    register_programme(api.recorder, "other")
    with api.socket() as everything, api.socket() as demo, api.socket() as other:
        _subscribe(everything, "all", api.tokens.reader, None)
        live_from = wait_until_live(everything, "all", _sentinel(api.recorder, "demo"))[-1]
        _subscribe(demo, "demo", api.tokens.reader, "demo")
        wait_until_live(demo, "demo", _sentinel(api.recorder, "demo"))
        _subscribe(other, "other", api.tokens.reader, "other")
        wait_until_live(other, "other", _sentinel(api.recorder, "other"))  # none of these reach `demo`

        order = ["other", "demo", "other", "demo", "other", "demo", "other", "demo", "other"]
        positions: dict[str, list[int]] = {"demo": [], "other": []}
        for day, programme in enumerate(order, start=1):
            result = recorded(assess_status(api.recorder, programme, f"2024-07-{day:02}"))
            positions[programme].append(result["position"])

        got_demo = [demo.next_event("demo") for _ in positions["demo"]]
        got_other = [other.next_event("other") for _ in positions["other"]]
        model = reference_model(api.url)
        everything_since = [live_event_json(e) for e in model.audit.entries_after(live_from)]
        got_all = [everything.next_event("all") for _ in everything_since]
        for socket in (demo, other, everything):
            socket.assert_quiet()

    assert [e["position"] for e in got_demo] == positions["demo"]
    assert {e["id"].split(":")[0] for e in got_demo} == {"demo"}
    assert [e["position"] for e in got_other] == positions["other"]
    assert {e["id"].split(":")[0] for e in got_other} == {"other"}
    assert got_all == everything_since
    assert {e["id"].split(":")[0] for e in got_all} == {"demo", "other"}


def _refusal(socket: GraphQLWebSocket, op_id: str) -> Json:
    """The error that ends a refused subscription (graphql-transport-ws `error`, or `next` with errors)."""
    message = socket.receive()
    assert message.get("id") == op_id, message
    if message["type"] == "error":
        error: Json = message["payload"][0]
        return error
    assert message["type"] == "next", message
    assert message["payload"].get("data") is None, message
    error = message["payload"]["errors"][0]
    assert socket.receive() == {"id": op_id, "type": "complete"}
    return error


def test_a_subscriber_without_a_token_is_refused_when_public_reads_are_off(api: Served) -> None:
    with api.socket() as socket:
        _subscribe(socket, "anon", None, "demo")
        error = _refusal(socket, "anon")
        recorded(assess_status(api.recorder, "demo", "2024-08-01"))
        socket.assert_quiet()  # the entry just recorded does not reach it
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "reader" in error["message"]


def test_a_subscriber_with_an_unknown_token_is_refused(api: Served) -> None:
    with api.socket() as socket:
        _subscribe(socket, "forged", "lgr_not-a-token-of-this-ledger", None)
        error = _refusal(socket, "forged")
        recorded(assess_status(api.recorder, "demo", "2024-08-01"))
        socket.assert_quiet()
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "not known" in error["message"]


def _next_entry_arrives(socket: GraphQLWebSocket, op_id: str, api: Served) -> None:
    """Once live, the subscription delivers the next entry recorded, and nothing else."""
    wait_until_live(socket, op_id, _sentinel(api.recorder, "demo"))
    result = recorded(assess_status(api.recorder, "demo", "2024-09-01", status="after going live"))
    event = socket.next_event(op_id)
    assert (event["id"], event["position"]) == (result["entry"]["id"], result["position"])
    socket.assert_quiet()


def test_a_subscriber_may_send_its_token_as_a_header_instead(api: Served) -> None:
    with api.socket(headers={"Authorization": f"Bearer {api.tokens.reader}"}) as socket:
        _subscribe(socket, "header", None, "demo")
        _next_entry_arrives(socket, "header", api)


def test_without_a_token_a_subscriber_is_served_when_public_reads_are_on(seeded_url: str, tokens: Tokens) -> None:
    with serve(seeded_url, tokens, public_reads=True) as public, public.socket() as socket:
        _subscribe(socket, "anon", None, "demo")
        _next_entry_arrives(socket, "anon", public)


def test_entries_written_beside_the_api_reach_subscribers(api: Served, ledger: LedgerApplication) -> None:
    """Another writer on the store, as `ledger import` is: the follower (poll; LISTEN on PostgreSQL) delivers it."""
    with api.socket() as socket:
        _subscribe(socket, "all", api.tokens.reader, None)
        live_from = wait_until_live(socket, "all", _sentinel(api.recorder, "demo"))[-1]
        lines = "\n".join(
            f'{{"type": "StatusAssessed", "programme": "demo", "effective": "2024-10-0{day}", "key": "cli-{day}", '
            '"source": {"title": "Status page"}, "status": "from the CLI", "risk": "Low"}'
            for day in (1, 2, 3)
        )
        assert import_text(ledger, lines, recorded_by="cli:someone").added == 3
        got = [socket.next_event("all", timeout=TIMEOUT) for _ in range(3)]
    assert [event["position"] for event in got] == [live_from + 1, live_from + 2, live_from + 3]
    assert {event["recordedBy"] for event in got} == {"cli:someone"}
