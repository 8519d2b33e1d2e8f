"""Strict scalars: dates are YYYY-MM-DD, timestamps carry an offset, money is a decimal string.

strawberry's own Decimal accepts floats, NaN and Infinity; money must never go through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

from ledger.errors import InvalidInput
from ledger.values import parse_date, parse_money

MONEY_PATTERN = re.compile(r"-?\d{1,18}(\.\d{1,2})?")


def _parse_date(value: object) -> date:
    return parse_date(value, "Date")


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput(f"{value!r} is not a DateTime string", field="DateTime")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not an ISO 8601 timestamp", field="DateTime") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{value!r} has no UTC offset (add Z or +00:00)", field="DateTime")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{value!r} is outside the years 1 to 9999 in UTC", field="DateTime") from None


def _parse_money(value: object) -> Decimal:
    if not isinstance(value, str) or not MONEY_PATTERN.fullmatch(value):
        raise InvalidInput(
            f"{value!r} is not Money: send a decimal string with at most 2 decimals, such as \"1250.50\"",
            field="Money",
        )
    return parse_money(value, "Money")


def _coded(parse: Callable[[object], Any]) -> Callable[[object], Any]:
    """The parser, raising a GraphQL error that carries INVALID_INPUT (and survives validation)."""

    def parse_or_refuse(value: object) -> Any:
        try:
            return parse(value)
        except InvalidInput as error:
            raise GraphQLError(str(error), extensions={"code": error.code, "field": error.field},
                               original_error=error) from None

    return parse_or_refuse


SCALAR_MAP: dict[object, ScalarDefinition] = {
    date: strawberry.scalar(
        name="Date",
        description="A calendar date, YYYY-MM-DD and nothing else.",
        serialize=lambda value: value.isoformat(),
        parse_value=_coded(_parse_date),
    ),
    datetime: strawberry.scalar(
        name="DateTime",
        description="An ISO 8601 timestamp with a UTC offset, such as 2026-11-22T10:00:00Z.",
        serialize=lambda value: value.isoformat(),
        parse_value=_coded(_parse_datetime),
    ),
    Decimal: strawberry.scalar(
        name="Money",
        description='An amount in NOK as a decimal string, at most 2 decimals: "380000000", "1250.50".',
        serialize=lambda value: format(value, "f"),
        parse_value=_coded(_parse_money),
    ),
}
