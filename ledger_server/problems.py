"""Expected failures in the schema: typed problems in mutation results, coded errors in queries."""

from __future__ import annotations

import re
from typing import Annotated

import strawberry
from graphql import GraphQLError

from ledger import errors


def camel(path: str | None) -> str | None:
    """A snake_case field path as the GraphQL client named it (`window.earliest`, `targetKey`)."""
    if path is None:
        return None
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), path)


@strawberry.interface(description="Something the ledger refused, and why. Nothing was written.")
class Problem:
    code: str = strawberry.field(description="A stable code such as NOT_FOUND or RESERVE_EXCEEDED")
    message: str = strawberry.field(description="What went wrong, in a sentence for people.")
    field: str | None = strawberry.field(description="The offending input field, where known")


@strawberry.type(description="A value could not be read (bad date, money, window, id, ...).")
class InvalidInputProblem(Problem):
    pass


@strawberry.type(description="The change names something the ledger does not hold.")
class NotFoundProblem(Problem):
    pass


@strawberry.type(description="The change would break a rule: second go-live, wrong wave, reserve exceeded, ...")
class RuleViolationProblem(Problem):
    pass


@strawberry.type(description="The idempotency key was already used with different content.")
class KeyConflictProblem(Problem):
    pass


@strawberry.type(description="No token (UNAUTHENTICATED) or a role too low (FORBIDDEN).")
class AuthProblem(Problem):
    pass


AnyProblem = Annotated[
    InvalidInputProblem | NotFoundProblem | RuleViolationProblem | KeyConflictProblem | AuthProblem,
    strawberry.union("AnyProblem"),
]


def problem_of(error: errors.LedgerError) -> Problem:
    """The schema type for a ledger error."""
    kind: type[Problem] = InvalidInputProblem
    if isinstance(error, errors.UnknownReference):
        kind = NotFoundProblem
    elif isinstance(error, errors.InvariantViolated):
        kind = RuleViolationProblem
    elif isinstance(error, errors.KeyConflict):
        kind = KeyConflictProblem
    elif isinstance(error, errors.AccessDenied):
        kind = AuthProblem
    message = error.message if error.field is None else f"{camel(error.field)}: {error.message}"
    return kind(code=error.code, message=message, field=camel(error.field))


def graphql_error(error: errors.LedgerError) -> GraphQLError:
    """A query-side error carrying the ledger error's code and field in `extensions`."""
    problem = problem_of(error)
    return GraphQLError(
        problem.message,
        original_error=error,
        extensions={"code": error.code, "field": problem.field},
    )
