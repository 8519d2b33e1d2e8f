"""Refuse U+0000 in any GraphQL argument, literal or variable, before a resolver sees it.

No store can hold it (PostgreSQL refuses it in text and jsonb, so writes already refuse it),
and a read that passes it to PostgreSQL fails there as an unexpected error. Refused up front,
it is the client's mistake with a code: INVALID_INPUT. Mutations are left to the codec, which
refuses it already and names the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from ledger.errors import InvalidInput

MESSAGE = "an argument contains a NUL character (U+0000), which the ledger cannot hold"


class _FindsNul(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        if "\x00" in node.value:
            self.found = True


def _document_has_nul(document: DocumentNode) -> bool:
    finder = _FindsNul()
    visit(document, finder)
    return finder.found


def _value_has_nul(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _is_mutation(context: Any) -> bool:
    try:
        return bool(context.operation_type == OperationType.MUTATION)
    except RuntimeError:  # no such operation: validation will say so
        return True


class RefuseNul(SchemaExtension):
    """Adds an INVALID_INPUT error before execution when an argument holds U+0000."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if not context.pre_execution_errors and document is not None and not _is_mutation(context) and (
            _value_has_nul(context.variables) or _document_has_nul(document)
        ):
            error = InvalidInput(MESSAGE)
            context.pre_execution_errors = [
                GraphQLError(MESSAGE, original_error=error, extensions={"code": error.code})
            ]
        yield
