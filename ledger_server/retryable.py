"""Failures the client should simply retry: the store unreachable, a write's outcome unknown, contention.

They are not problems with the request, so they are not mutation problem types: they come back
as GraphQL errors with their code, an HTTP status that retrying clients and proxies understand
(503, or 409 for contention) and a `Retry-After` header.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from starlette.responses import Response

from ledger.errors import Contention, LedgerError, OutcomeUnknown, StoreUnavailable
from ledger.outage import is_store_failure, unavailable
from ledger.settings import StoreLocation
from ledger_server.problems import graphql_error

RETRY_AFTER_SECONDS = 1
RETRYABLE = (StoreUnavailable, OutcomeUnknown, Contention)
_STATUS = {StoreUnavailable: 503, OutcomeUnknown: 503, Contention: 409}


def retryable(error: Exception, store: StoreLocation) -> LedgerError | None:
    """The retryable ledger error `error` is, or means; None if it is neither."""
    if isinstance(error, RETRYABLE):
        return error
    if is_store_failure(error):
        return unavailable(store, error)
    return None


def answer_retryable(error: LedgerError, response: Any) -> GraphQLError:
    """Set the HTTP status and Retry-After on `response` (HTTP only) and return the coded error."""
    if isinstance(response, Response):
        response.status_code = _STATUS.get(type(error), 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return graphql_error(error)
