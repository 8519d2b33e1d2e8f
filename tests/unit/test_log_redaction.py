"""Tokens never reach a log line: the filter on uvicorn's handlers rewrites them."""

from __future__ import annotations

import logging

import pytest

from ledger_server.log_redaction import RedactTokens, redact, uvicorn_log_config


@pytest.mark.parametrize(("line", "expected"), [
    ("GET /graphql?access_token=abc123&query=x", "GET /graphql?access_token=[redacted]&query=x"),
    ("GET /graphql?query=x&Authorization=Bearer%20lgr_abc", "GET /graphql?query=x&Authorization=[redacted]"),
    ("GET /graphql?t=lgr_Xy-z_9", "GET /graphql?t=[redacted]"),
    ("GET /graphql?query=%7B+programmes+%7D", "GET /graphql?query=%7B+programmes+%7D"),
])
def test_secret_query_values_and_ledger_tokens_are_redacted(line: str, expected: str) -> None:
    assert redact(line) == expected


def test_the_filter_keeps_uvicorns_argument_shape() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/graphql?token=lgr_secret", "1.1", 200), None)
    assert RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /graphql?token=[redacted] HTTP/1.1" 200'


def test_every_uvicorn_handler_has_the_filter() -> None:
    config = uvicorn_log_config()
    assert all("redact_tokens" in handler["filters"] for handler in config["handlers"].values())
