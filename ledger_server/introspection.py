"""Introspection follows the read rule: without public reads, only a caller with a token may ask.

The schema says what the ledger holds and how to write to it; a server that refuses anonymous
reads refuses anonymous introspection too, unless LEDGER_PUBLIC_INTROSPECTION opens it.
`__typename` is not introspection of the schema and is always answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

from ledger.errors import LedgerError

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
# strawberry's depth limit skips every `__` field, so introspection has its own limit. The
# standard introspection query (GraphiQL's, graphql-core's) is 15 deep; a chain of `ofType`
# 50 deep is refused.
INTROSPECTION_MAX_DEPTH = 30


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


def _deepest(selections: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
             depth: int, inside: bool, seen: frozenset[str]) -> int:
    """The greatest depth reached under an introspection field (0 if none is asked for)."""
    if selections is None:
        return depth if inside else 0
    deepest = 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            below = inside or selection.name.value in INTROSPECTION_FIELDS
            deepest = max(deepest, _deepest(selection.selection_set, fragments, depth + 1, below, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _deepest(selection.selection_set, fragments, depth, inside, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:  # a cycle is another rule's error
                deepest = max(deepest, _deepest(fragment.selection_set, fragments, depth, inside, seen | {name}))
    return deepest


def introspection_depth_rule(max_depth: int = INTROSPECTION_MAX_DEPTH) -> type[ValidationRule]:
    """A validation rule refusing an operation whose introspection goes deeper than `max_depth`."""

    class IntrospectionDepthLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {d.name.value: d for d in self.context.document.definitions
                         if isinstance(d, FragmentDefinitionNode)}
            if _deepest(node.selection_set, fragments, 0, False, frozenset()) > max_depth:
                name = node.name.value if node.name else "anonymous"
                self.report_error(GraphQLError(
                    f"'{name}' exceeds maximum operation depth of {max_depth} for introspection", node))

    return IntrospectionDepthLimit
