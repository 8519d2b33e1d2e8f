"""Introspection follows the read rule: without public reads, only a caller with a token may ask.

The schema says what the ledger holds and how to write to it; a server that refuses anonymous
reads refuses anonymous introspection too, unless LEDGER_PUBLIC_INTROSPECTION opens it.
`__typename` is not introspection of the schema and is always answered.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, FieldNode, GraphQLError, Visitor, visit
from strawberry.extensions import SchemaExtension

from ledger.errors import LedgerError

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


class _FindsIntrospection(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_field(self, node: FieldNode, *_: object) -> None:
        if node.name.value in INTROSPECTION_FIELDS:
            self.found = True


def asks_for_introspection(document: DocumentNode) -> bool:
    """Whether any field of the document (fragments included) is __schema or __type."""
    finder = _FindsIntrospection()
    visit(document, finder)
    return finder.found


class IntrospectionFollowsReadRule(SchemaExtension):
    """Refuses introspection by an anonymous caller with an UNAUTHENTICATED error.

    Checked per request, outside the validation cache, so the cached validation of a document
    never carries one caller's permission over to another.
    """

    def on_validate(self) -> Iterator[None]:
        self._refuse_anonymous_introspection()
        yield

    def _refuse_anonymous_introspection(self) -> None:
        # Runs before validation, after ValidationCache (listed earlier) has put in any cached
        # errors: strawberry stops before executing when this list is not empty.
        context = self.execution_context
        document = context.graphql_document
        if context.pre_execution_errors or document is None or not asks_for_introspection(document):
            return
        caller = context.context
        settings = caller.services.settings
        if settings.public_reads or settings.public_introspection:
            return
        try:
            caller.require("reader", "introspecting the schema")
        except LedgerError as error:
            context.pre_execution_errors = [
                GraphQLError(error.message, original_error=error, extensions={"code": error.code})
            ]
