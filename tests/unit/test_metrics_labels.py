"""Operation names come from clients, so the label set stays bounded and well formed."""

from __future__ import annotations

import json

from ledger_server.metrics import MAX_OPERATIONS, Metrics


def _body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_the_operation_label_is_the_operation_name_else_the_document_s_first_name() -> None:
    metrics = Metrics(lambda: None)
    assert metrics.operation(_body(query="{ a }", operationName="PlanOnDate")) == "PlanOnDate"
    assert metrics.operation(_body(query="  query AuditTrailPage($n: Int) { a }")) == "AuditTrailPage"
    assert metrics.operation(_body(query="{ a }")) == "anonymous"
    assert metrics.operation(b"not json") == "anonymous"
    assert metrics.operation(_body(query="{ a }", operationName="drop table; --")) == "anonymous"


def test_past_the_limit_new_names_count_as_other() -> None:
    metrics = Metrics(lambda: None)
    for n in range(MAX_OPERATIONS):
        assert metrics.operation(_body(operationName=f"Op{n}")) == f"Op{n}"
    assert metrics.operation(_body(operationName="OneTooMany")) == "other"
    assert metrics.operation(_body(operationName="Op7")) == "Op7"  # names already seen keep their label
