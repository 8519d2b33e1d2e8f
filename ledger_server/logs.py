"""Structured logs: with LEDGER_LOG_FORMAT=json every log line is one JSON object carrying the
request id of the request it was written for (the same id a client sees in `x-request-id` and in
a masked error's `extensions.requestId`).

The standard library's logging does the work; the formatter below only shapes each record, so
no third-party logging package is needed for ten lines of JSON.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from ledger.errors import InvalidInput

FORMATS = ("text", "json")
REQUEST_ID: ContextVar[str | None] = ContextVar("ledger_request_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_format(raw: str | None) -> str:
    """LEDGER_LOG_FORMAT checked: text (the default) or json."""
    chosen = (raw or "text").strip().lower()
    if chosen not in FORMATS:
        raise InvalidInput(f"LEDGER_LOG_FORMAT={raw!r} must be text or json", field="LEDGER_LOG_FORMAT")
    return chosen


def use_json_logs() -> None:
    """Send every logger's records, uvicorn's included, to stderr as JSON lines."""
    from ledger_server.log_redaction import RedactTokens

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactTokens())  # a token sent in a URL never reaches the log, in JSON either
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
