"""Talking to the GraphQL API the way a client does, and what the projections say it must answer.

- `GraphQL` posts documents over any httpx-style client (Starlette's TestClient, or httpx
  against a real server) with one caller's bearer token.
- `GraphQLWebSocket` speaks graphql-transport-ws over any connection that can send text and
  receive text within a timeout; every wait is bounded.
- The `*_json` functions turn the read side's views (`projections.memory.InMemoryReadModel`)
  into the JSON each named operation in graphql/operations/ must return, so a test can ask
  the API and the projections the same question and compare.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from ledger.application import open_ledger
from ledger.settings import StoreLocation
from ledger.values import PlannedWindow
from ledger_server.auth import TokenStore
from projections.audit import LogEntry
from projections.compare import Comparison, ComparisonRow
from projections.history import Revision
from projections.memory import InMemoryReadModel
from projections.plan import BaselineView, ProgrammePlan

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS_DIR = ROOT / "graphql" / "operations"
SAMPLE = ROOT / "tests" / "data" / "sample.jsonl"
TIMEOUT = 10.0  # seconds any single wait may take

# How many times each named operation was sent, so a test can prove it ran the one it covers.
OPERATIONS_SENT: Counter[str] = Counter()

Json = dict[str, Any]


def operation_names() -> list[str]:
    """Every named operation in graphql/operations/."""
    return sorted(path.stem for path in OPERATIONS_DIR.glob("*.graphql"))


def operation_text(name: str) -> str:
    """The document of one named operation."""
    return (OPERATIONS_DIR / f"{name}.graphql").read_text(encoding="utf-8")


# -- tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tokens:
    """One bearer token per role, made straight in the store's token table."""

    reader: str
    recorder: str
    admin: str

    @classmethod
    def create(cls, url: str) -> Tokens:
        store = TokenStore(StoreLocation(url))
        return cls(
            reader=store.create("reader", "e2e-reader")[0],
            recorder=store.create("recorder", "e2e-recorder")[0],
            admin=store.create("admin", "e2e-admin")[0],
        )


# -- HTTP --------------------------------------------------------------------------------


class GraphQL:
    """One caller of the HTTP endpoint: its token (or none) and the client it sends with."""

    def __init__(self, http: Any, token: str | None, path: str = "/graphql") -> None:
        self.http = http
        self.token = token
        self.path = path

    def headers(self) -> dict[str, str]:
        return {} if self.token is None else {"Authorization": f"Bearer {self.token}"}

    def post(self, query: str, variables: Json | None = None, operation_name: str | None = None) -> Any:
        """The raw HTTP response to one GraphQL document."""
        body: Json = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if operation_name is not None:
            body["operationName"] = operation_name
        return self.http.post(self.path, json=body, headers=self.headers())

    def execute(self, query: str, variables: Json | None = None, operation_name: str | None = None) -> Json:
        """The JSON answer to a document; the transport itself must have succeeded (HTTP 200)."""
        response = self.post(query, variables, operation_name)
        assert response.status_code == 200, (response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json"), response.headers
        answer: Json = response.json()
        return answer

    def data(self, query: str, variables: Json | None = None, operation_name: str | None = None) -> Json:
        """The `data` of an answer that must carry no errors."""
        answer = self.execute(query, variables, operation_name)
        assert "errors" not in answer, answer
        data: Json = answer["data"]
        return data

    def operation(self, name: str, variables: Json | None = None) -> Json:
        """The answer to a named operation from graphql/operations/, sent as a client would."""
        OPERATIONS_SENT[name] += 1
        return self.execute(operation_text(name), variables or {}, operation_name=name)

    def operation_data(self, name: str, variables: Json | None = None) -> Json:
        """The `data` of a named operation whose answer must carry no errors."""
        answer = self.operation(name, variables)
        assert "errors" not in answer, answer
        data: Json = answer["data"]
        return data


def recorded(result: Json) -> Json:
    """A mutation's result that must be `Recorded`."""
    assert result["__typename"] == "Recorded", result
    return result


RECORD = """
mutation Record($input: %s!) {
  %s(input: $input) {
    __typename
    ... on Recorded { added position entry { id type programmeId recordedAt recordedBy } }
    ... on Problem { code message field }
  }
}
"""


def record(caller: GraphQL, mutation: str, input_type: str, values: Json) -> Json:
    """The result of one mutation (`Recorded` or a typed problem); the request itself must succeed."""
    answer = caller.data(RECORD % (input_type, mutation), {"input": values})
    result: Json = answer[mutation]
    return result


def assess_status(caller: GraphQL, programme: str, effective: str, status: str = "Some challenges") -> Json:
    """Record a StatusAssessed entry (a harmless entry for tests that need one)."""
    return record(caller, "assessStatus", "StatusAssessedInput", {
        "programmeId": programme, "effective": effective, "status": status, "risk": "Medium",
        "source": {"title": "Status page"},
    })


def register_programme(caller: GraphQL, programme: str) -> int:
    """Register another programme; returns its first entry's position."""
    result = recorded(record(caller, "registerProgramme", "ProgrammeRegisteredInput", {
        "programmeId": programme, "effective": "2020-01-01", "name": f"Programme {programme}", "owner": "Other RHF",
        "source": {"title": "Charter"},
    }))
    position: int = result["position"]
    return position


# -- WebSocket (graphql-transport-ws) ----------------------------------------------------


class GraphQLWebSocket:
    """graphql-transport-ws over a connection given as `send_text` and `receive_text(timeout)`."""

    def __init__(self, send_text: Callable[[str], None], receive_text: Callable[[float], str]) -> None:
        self._send_text = send_text
        self._receive_text = receive_text

    def send(self, message: Json) -> None:
        self._send_text(json.dumps(message))

    def receive(self, timeout: float = TIMEOUT) -> Json:
        """The next protocol message (pings are answered and skipped); TimeoutError if none comes."""
        deadline = time.monotonic() + timeout
        while True:
            message: Json = json.loads(self._receive_text(max(deadline - time.monotonic(), 0.001)))
            if message.get("type") == "ping":
                self.send({"type": "pong"})
                continue
            return message

    def initialise(self, payload: Json | None = None) -> Json:
        """Send connection_init and return the server's answer (connection_ack when accepted)."""
        self.send({"type": "connection_init", "payload": payload or {}})
        return self.receive()

    def subscribe(
        self, op_id: str, query: str, variables: Json | None = None, operation_name: str | None = None
    ) -> None:
        payload: Json = {"query": query, "variables": variables or {}}
        if operation_name is not None:
            payload["operationName"] = operation_name
            OPERATIONS_SENT[operation_name] += 1
        self.send({"id": op_id, "type": "subscribe", "payload": payload})

    def assert_quiet(self) -> None:
        """Nothing is waiting to be delivered: a ping sent now is answered before anything else."""
        self.send({"type": "ping"})
        message = self.receive()
        assert message == {"type": "pong"}, message

    def next_data(self, op_id: str, timeout: float = TIMEOUT) -> Json:
        """The data of the next `next` message for `op_id`; it must carry no errors."""
        message = self.receive(timeout)
        assert (message.get("id"), message.get("type")) == (op_id, "next"), message
        assert "errors" not in message["payload"], message
        data: Json = message["payload"]["data"]
        return data

    def next_event(self, op_id: str, timeout: float = TIMEOUT) -> Json:
        """The next ledger event delivered on a ledgerEvents subscription."""
        event: Json = self.next_data(op_id, timeout)["ledgerEvents"]
        return event


async def _receive_within(stream: Any, seconds: float) -> Any:
    with anyio.fail_after(seconds):
        return await stream.receive()


@contextmanager
def asgi_socket(
    http: TestClient, path: str = "/graphql", headers: dict[str, str] | None = None
) -> Iterator[GraphQLWebSocket]:
    """A graphql-transport-ws connection through Starlette's TestClient, with bounded receives.

    The TestClient's own `receive_*` waits forever; this reads the same stream through the
    session's portal under `anyio.fail_after`, so a missing message fails the test instead
    of hanging it.
    """
    with http.websocket_connect(path, subprotocols=["graphql-transport-ws"], headers=dict(headers or {})) as session:
        assert session.accepted_subprotocol == "graphql-transport-ws"

        def receive_text(timeout: float) -> str:
            message = session.portal.call(_receive_within, session._send_rx, timeout)
            if message["type"] == "websocket.close":
                raise WebSocketDisconnect(code=message.get("code", 1000), reason=message.get("reason", ""))
            return str(message["text"])

        yield GraphQLWebSocket(session.send_text, receive_text)


def wait_until_live(
    socket: GraphQLWebSocket, op_id: str, record_sentinel: Callable[[], int], timeout: float = TIMEOUT
) -> list[int]:
    """Block until the subscription `op_id` delivers entries; returns the sentinels it got.

    graphql-transport-ws has no acknowledgement of `subscribe`, so a client only knows it is
    subscribed once something arrives. This records sentinel entries (`record_sentinel`
    returns each one's position) until one is delivered; every sentinel recorded after that
    one must then arrive too, in order, and nothing else.
    """
    deadline = time.monotonic() + timeout
    positions: list[int] = []
    while True:
        positions.append(record_sentinel())
        try:
            first = socket.next_event(op_id, timeout=0.2)
        except TimeoutError:
            if time.monotonic() > deadline:
                raise AssertionError(f"the subscription delivered none of the entries at {positions}") from None
            continue
        assert first["position"] in positions, (first, positions)
        expected = positions[positions.index(first["position"]):]
        received = [first["position"]]
        while len(received) < len(expected):
            received.append(socket.next_event(op_id)["position"])
        assert received == expected
        return received


# -- the reference answers: what the projections say ----------------------------------


def reference_model(url: str) -> InMemoryReadModel:
    """A read model caught up with everything in the store now."""
    ledger = open_ledger(StoreLocation(url))
    try:
        model = InMemoryReadModel()
        model.catch_up(ledger)
        return model
    finally:
        ledger.close()


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def money(value: Decimal) -> str:
    return format(value, "f")


def window_json(window: PlannedWindow | None, with_precision: bool = True, with_time: bool = False) -> Json | None:
    if window is None:
        return None
    shape: Json = {"earliest": _day(window.earliest), "latest": _day(window.latest)}
    if with_precision:
        shape["precision"] = window.precision.value
    shape["label"] = window.label
    if with_time:
        shape["at"] = None if window.at is None else str(window.at)
    return shape


def _baseline_json(baseline: BaselineView | None) -> Json | None:
    if baseline is None:
        return None
    return {"name": baseline.name, "asOf": baseline.as_of.isoformat(), "adoptedOn": _day(baseline.adopted_on)}


def plan_on_date_json(plan: ProgrammePlan) -> Json:
    """What PlanOnDate must answer for this plan."""
    names = {a.id: a.name for a in plan.actors}
    codes = {w.id: w.code for w in plan.waves}
    return {
        "id": plan.id, "name": plan.name, "owner": plan.owner,
        "status": plan.assessment.status if plan.assessment else None,
        "risk": plan.assessment.risk if plan.assessment else None,
        "asOf": plan.as_of.isoformat(),
        "waves": [
            {"id": w.id, "code": w.code, "status": w.status, "daysOverdue": w.days_overdue,
             "plannedGoLive": window_json(w.planned, with_time=True),
             "actors": [{"id": a, "name": names[a]} for a in w.actors]}
            for w in plan.waves
        ],
        "actors": [
            {"id": a.id, "name": a.name, "kind": a.kind, "status": a.status,
             "parent": {"id": a.parent, "name": names[a.parent]} if a.parent and a.parent in names else None,
             "wave": {"id": a.wave, "code": codes[a.wave]} if a.wave and a.wave in codes else None,
             "plannedGoLive": window_json(a.planned, with_time=True), "goLiveDate": _day(a.go_live),
             "goLiveAt": None if a.go_live_at is None else str(a.go_live_at), "daysOverdue": a.days_overdue}
            for a in plan.actors
        ],
        "deliverables": [
            {"id": d.id, "name": d.name, "completedOn": _day(d.completed_on),
             "planned": window_json(d.planned, with_precision=False)}
            for d in plan.deliverables
        ],
        "deliverablesCompleted": plan.deliverables_completed,
        "reserves": [
            {"id": r.id, "name": r.name, "total": money(r.total), "allocated": money(r.allocated),
             "remaining": money(r.remaining),
             "allocations": [
                 {"id": x.id, "purpose": x.purpose, "amount": money(x.amount), "released": money(x.released),
                  "madeOn": x.made_on.isoformat()}
                 for x in r.allocations
             ]}
            for r in plan.reserves
        ],
        "baselines": [_baseline_json(b) for b in plan.baselines],
        "currentBaseline": _baseline_json(plan.current_baseline),
    }


def plan_as_recorded_json(plan: ProgrammePlan) -> Json:
    """What PlanAsRecorded must answer for this plan."""
    codes = {w.id: w.code for w in plan.waves}
    return {
        "id": plan.id, "asOf": plan.as_of.isoformat(), "recordedAsOf": plan.recorded_as_of.isoformat(),
        "actors": [
            {"id": a.id, "status": a.status,
             "wave": {"code": codes[a.wave]} if a.wave and a.wave in codes else None,
             "plannedGoLive": window_json(a.planned), "goLiveDate": _day(a.go_live)}
            for a in plan.actors
        ],
        "reserves": [
            {"id": r.id, "total": money(r.total), "allocated": money(r.allocated), "remaining": money(r.remaining)}
            for r in plan.reserves
        ],
    }


def _comparison_row_json(row: ComparisonRow, codes: dict[str, str], is_actor: bool) -> Json:
    shape: Json = {"actor": {"id": row.subject, "name": row.name}} if is_actor else {}
    shape.update({
        "wave": {"id": row.wave, "code": codes.get(row.wave, row.wave)} if row.wave else None,
        "baseline": window_json(row.baseline, with_precision=False),
        "current": window_json(row.current, with_precision=False),
        "actualGoLive": _day(row.actual),
        "slipDaysEarliest": row.slip_days_earliest, "slipDaysLatest": row.slip_days_latest,
        "slipHours": row.slip_hours, "daysOverdue": row.days_overdue, "status": row.status,
        "againstCurrent": None if row.against_current is None else {
            "baseline": window_json(row.against_current.baseline, with_precision=False),
            "slipDaysEarliest": row.against_current.slip_days_earliest,
            "slipDaysLatest": row.against_current.slip_days_latest,
            "slipHours": row.against_current.slip_hours, "status": row.against_current.status,
        },
    })
    return shape


def comparison_json(comparison: Comparison, plan_on_against: ProgrammePlan) -> Json:
    """What OriginalPlanAgainstActuals must answer; `plan_on_against` names the waves."""
    codes = {w.id: w.code for w in plan_on_against.waves}
    counts = comparison.summary
    return {
        "baseline": comparison.baseline, "baselineAsOf": comparison.baseline_as_of.isoformat(),
        "against": comparison.against.isoformat(),
        "currentBaseline": comparison.current_baseline,
        "currentBaselineAsOf": _day(comparison.current_baseline_as_of),
        "rows": [_comparison_row_json(r, codes, is_actor=True) for r in comparison.actors],
        "waveRows": [_comparison_row_json(r, codes, is_actor=False) for r in comparison.waves],
        "summary": {
            "early": counts.get("early", 0), "onTime": counts.get("on time", 0), "late": counts.get("late", 0),
            "notYetLive": counts.get("not yet live", 0), "overdue": counts.get("overdue", 0),
            "withdrawn": counts.get("withdrawn", 0), "added": counts.get("added", 0),
        },
    }


def audit_node_json(entry: LogEntry) -> Json:
    """One node of AuditTrailPage for this log entry."""
    source = entry.source
    return {
        "id": entry.entry_id, "position": entry.position, "type": entry.type,
        "effective": entry.effective.isoformat(), "recordedAt": entry.recorded_at.isoformat(),
        "recordedBy": entry.recorded_by, "key": entry.key, "operational": entry.operational,
        "source": None if source is None else {
            "title": source.title, "publisher": source.publisher, "url": source.url,
            "publishedOn": _day(source.published_on),
        },
        "decidingBody": entry.deciding_body, "reason": entry.reason, "summary": entry.summary,
        "corrects": entry.corrects, "correctedBy": list(entry.corrected_by), "retractedBy": entry.retracted_by,
        "data": entry.data,
    }


def live_event_json(entry: LogEntry) -> Json:
    """One event of FollowLiveEntries for this log entry."""
    return {
        "id": entry.entry_id, "position": entry.position, "type": entry.type,
        "effective": entry.effective.isoformat(), "recordedAt": entry.recorded_at.isoformat(),
        "recordedBy": entry.recorded_by, "summary": entry.summary,
    }


def history_json(revisions: list[Revision]) -> list[Json]:
    """The `history` list of ActorHistory for these revisions."""
    return [
        {
            "effective": r.effective.isoformat(), "wave": r.wave, "status": r.status, "note": r.note,
            "planned": window_json(r.planned),
            "entry": {
                "id": r.entry.entry_id, "type": r.entry.type, "recordedAt": r.entry.recorded_at.isoformat(),
                "recordedBy": r.entry.recorded_by, "reason": r.entry.reason,
                "source": None if r.entry.source is None else {
                    "title": r.entry.source.title, "publishedOn": _day(r.entry.source.published_on),
                },
            },
        }
        for r in revisions
    ]


def timestamp(text: str) -> datetime:
    """A DateTime as the API writes it."""
    return datetime.fromisoformat(text)
