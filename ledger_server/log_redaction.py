"""Keep bearer tokens out of every log line, the access log above all.

A client that puts its token in the URL (`/graphql?access_token=lgr_...`) is refused, but
uvicorn's access log would still write the URL down. The filter here rewrites each record's
arguments before it is formatted: the values of query parameters whose names suggest a secret,
and anything shaped like a ledger token, become `[redacted]`.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from ledger_server.auth import TOKEN_PREFIX

REDACTED = "[redacted]"
_TOKEN = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_\-%]+")
_SECRET_PARAMETER = re.compile(r"(?i)([?&][^=&#]*(?:token|auth|key|secret|password)[^=&#]*=)[^&#\s]*")


def redact(text: str) -> str:
    """`text` with secret-looking query values and ledger tokens replaced."""
    return _TOKEN.sub(REDACTED, _SECRET_PARAMETER.sub(lambda m: m.group(1) + REDACTED, text))


class RedactTokens(logging.Filter):
    """A logging filter that redacts the message and its string arguments (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the redacting filter on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactTokens"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_tokens")
    return config
