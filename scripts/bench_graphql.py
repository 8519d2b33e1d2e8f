"""The benchmark's GraphQL sections: PlanOnDate served and executed, and writes through GraphQL.

Peers: graphql-core executing the same document over plain dicts of the same answer (execution
alone), a bare Starlette endpoint returning the same response bytes (HTTP alone), and the same
appends made in-process one at a time (the write path without the API).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from graphql import build_schema as build_plain_schema
from graphql import execute as plain_execute
from graphql import parse

from ledger.application import open_ledger
from ledger.importer import import_text
from ledger.settings import StoreLocation
from projections.memory import InMemoryReadModel
from scripts.bench_serving import clients, ledger_server, serving
from scripts.bench_setup import Mode, lines, percentile, timed

ROOT = Path(__file__).resolve().parent.parent
PLAN_ON_DATE = (ROOT / "graphql" / "operations" / "PlanOnDate.graphql").read_text(encoding="utf-8")
AS_OF = "2021-06-01"
PLAN_BODY = {"query": PLAN_ON_DATE, "operationName": "PlanOnDate",
             "variables": {"programmeId": "programme-0", "asOf": AS_OF}}
RESCHEDULE = """mutation Reschedule($input: WaveRescheduledInput!) {
  rescheduleWave(input: $input) { __typename ... on Recorded { position } ... on Problem { code message } }
}"""
WRITERS = 8


def _strawberry_and_plain(plan: Any, url: str, reps: int) -> dict[str, Any]:
    """strawberry executing PlanOnDate in-process against graphql-core over the answer as plain dicts."""
    from ledger_server.schema import build_schema
    from ledger_server.settings import ApiSettings

    class CachedReader:  # the same plan every time: this compares execution only
        position = 0

        async def plan(self, *_: Any) -> Any:
            return plan

    class Services:
        reader = CachedReader()
        settings = ApiSettings(store=StoreLocation(url), public_reads=True)

    class Context:
        services = Services()
        reader = services.reader
        request_id = "bench"

        def require_read(self) -> None:
            return None

    schema = build_schema(ApiSettings(store=StoreLocation(url)))
    variables = PLAN_BODY["variables"]
    loop = asyncio.new_event_loop()

    def strawberry_run() -> Any:
        result = loop.run_until_complete(schema.execute(PLAN_ON_DATE, variable_values=variables,
                                                        context_value=Context()))
        assert result.errors is None, result.errors
        return result.data

    plain_schema = build_plain_schema((ROOT / "graphql" / "schema.graphql").read_text(encoding="utf-8"))
    document, answer = parse(PLAN_ON_DATE), strawberry_run()

    def plain_run() -> None:
        # graphql-core's default resolver reads dict keys: the tree is the answer itself.
        result = plain_execute(plain_schema, document, root_value=answer, variable_values=variables)
        assert not getattr(result, "errors", None), result
        assert result.data == answer  # type: ignore[union-attr]

    try:
        ours = [timed(strawberry_run) * 1000 for _ in range(reps)]
    finally:
        loop.close()
    plain = [timed(plain_run) * 1000 for _ in range(reps)]
    return {"strawberry_p50_ms": round(percentile(ours, 50), 3), "graphql_core_p50_ms": round(percentile(plain, 50), 3),
            "overhead_ratio": round(percentile(ours, 50) / percentile(plain, 50), 2)}


def _served(url: str, seconds: float, *, cache: bool) -> tuple[list[float], bytes]:
    """PlanOnDate loaded on the ledger's server for `seconds`, and one response's bytes."""
    env = {"LEDGER_PUBLIC_READS": "1", "LEDGER_GRAPHIQL": "0", "LEDGER_RESPONSE_CACHE": "1" if cache else "0"}
    with serving(ledger_server(url), env) as (port, _pid):
        body = httpx.post(f"http://127.0.0.1:{port}/graphql", json=PLAN_BODY, timeout=60).content
        return asyncio.run(clients(port, seconds, lambda _n: PLAN_BODY, concurrency=16)), body


def _bare_starlette(body: bytes, seconds: float, tmp: Path) -> list[float]:
    """The same load on a bare Starlette endpoint returning `body`."""
    path = tmp / "plan-response.json"
    path.write_bytes(body)
    arguments = ["-m", "uvicorn", "--factory", "scripts.peer_starlette:create_app", "--host", "127.0.0.1"]
    with serving(arguments, {"LEDGER_BENCH_BODY": str(path)}) as (port, _pid):
        return asyncio.run(clients(port, seconds, lambda _n: PLAN_BODY, concurrency=16))


def bench_graphql(mode: Mode, tmp: Path) -> dict[str, Any]:
    """PlanOnDate through a real uvicorn: with the response cache (as deployed), without it, and the peers."""
    url = f"sqlite:///{tmp / 'graphql.db'}"
    app = open_ledger(StoreLocation(url))
    import_text(app, "\n".join(lines(mode.small)), recorded_by="bench")
    model = InMemoryReadModel()
    model.catch_up(app)
    app.close()
    plan = model.plan("programme-0", datetime.fromisoformat(AS_OF).date(), datetime.now(UTC))
    cached, body = _served(url, mode.load_seconds, cache=True)
    uncached, _ = _served(url, mode.load_seconds / 3, cache=False)
    bare = _bare_starlette(body, mode.load_seconds, tmp)
    assert json.loads(body)["data"]["programme"]["id"] == "programme-0"
    return {
        "entries": mode.small, "concurrency": 16, "requests": len(cached), "response_bytes": len(body),
        "requests_per_s": round(len(cached) / mode.load_seconds),
        "p50_ms": round(percentile(cached, 50), 2), "p99_ms": round(percentile(cached, 99), 2),
        "uncached_requests_per_s": round(len(uncached) / (mode.load_seconds / 3)),
        "uncached_p50_ms": round(percentile(uncached, 50), 2), "uncached_p99_ms": round(percentile(uncached, 99), 2),
        "starlette_requests_per_s": round(len(bare) / mode.load_seconds),
        "starlette_p50_ms": round(percentile(bare, 50), 2),
        **_strawberry_and_plain(plan, url, mode.query_reps),
    }


def reschedule(n: int, prefix: str) -> dict[str, Any]:
    """The n-th wave reschedule, as an import line (its key unique to the run)."""
    return {"type": "WaveRescheduled", "programme": "programme-0", "effective": "2030-01-01", "key": f"{prefix}-{n}",
            "source": {"title": "bench"}, "wave": f"wave-{n % 12}",
            "window": {"earliest": "2031-01-01", "latest": "2031-03-31", "precision": "quarter", "label": "2031-Q1"}}


def _as_mutation(n: int) -> dict[str, Any]:
    line = reschedule(n, "graphql")
    window = {**line["window"], "precision": "QUARTER"}
    return {"query": RESCHEDULE, "variables": {"input": {
        "programmeId": line["programme"], "effective": line["effective"], "key": line["key"], "wave": line["wave"],
        "window": window, "source": {"title": "bench"}}}}


def bench_writes(mode: Mode, url: str, in_process_per_s: float) -> dict[str, Any]:
    """Appends through GraphQL by 8 concurrent clients on a PostgreSQL store, against the in-process rate."""
    from ledger_server.auth import TokenStore

    token, _principal = TokenStore(StoreLocation(url)).create("recorder", "bench", None)
    with serving(ledger_server(url), {"LEDGER_GRAPHIQL": "0"}) as (port, _pid):
        samples = asyncio.run(clients(port, mode.load_seconds, _as_mutation, concurrency=WRITERS,
                                      headers={"Authorization": f"Bearer {token}"},
                                      accept=lambda data: data["rescheduleWave"]["__typename"] == "Recorded"))
    return {"store": "postgres", "on_stream_of": mode.small, "in_process_appends": mode.appends,
            "in_process_per_s": round(in_process_per_s), "clients": WRITERS, "graphql_mutations": len(samples),
            "graphql_per_s": round(len(samples) / mode.load_seconds),
            "graphql_p50_ms": round(percentile(samples, 50), 2), "graphql_p99_ms": round(percentile(samples, 99), 2)}
