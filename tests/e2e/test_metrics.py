"""`/metrics` of a SQLite-backed server: requests by operation and outcome, errors by code, positions."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from ledger_server.cli import main
from tests.conftest import SAMPLE
from tests.e2e.client import GraphQL, Tokens
from tests.e2e.servers import ledger_process

PLAN = 'query PlanToday { programme(id: "demo", asOf: "2022-12-01") { id } }'


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_count_requests_by_operation_and_outcome_and_errors_by_code(
    tmp_path: Path, sqlite_url: str
) -> None:
    assert main(["import", str(SAMPLE), "--database", sqlite_url]) == 0
    tokens = Tokens.create(sqlite_url)
    with ledger_process(tmp_path, "serve", "--database", sqlite_url) as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as http:
        reader = GraphQL(http, tokens.reader)
        for _ in range(2):
            assert reader.data(PLAN) == {"programme": {"id": "demo"}}
        refused = GraphQL(http, None).execute(PLAN)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        http.post("/graphql", json={"query": "{ nope }", "operationName": "Broken"})
        response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    ok = ("ledger_graphql_requests_total", (("operation", "PlanToday"), ("outcome", "OK")))
    assert samples[ok] == 2
    unauthenticated = ("ledger_graphql_requests_total", (("operation", "PlanToday"), ("outcome", "UNAUTHENTICATED")))
    assert samples[unauthenticated] == 1
    assert samples[("ledger_graphql_errors_total", (("code", "UNAUTHENTICATED"),))] == 1
    assert any(name == "ledger_graphql_requests_total" and dict(labels)["operation"] == "Broken"
               for name, labels in samples)
    assert samples[("ledger_graphql_request_seconds_count", (("operation", "PlanToday"), ("outcome", "OK")))] == 2
    assert samples[("ledger_store_position", ())] == 22
    assert samples[("ledger_read_model_position", ())] == 22
    assert samples[("ledger_projector_lag_entries", ())] == 0
    assert samples[("ledger_projector_lag_seconds", ())] == 0
    assert not any(name == "ledger_projector_leader" for name, _ in samples)  # no projector with SQLite
