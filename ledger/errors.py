"""The ledger's errors: every expected failure is a `LedgerError` with a stable `code`.

    LedgerError
    ├── InvalidInput          a value is malformed (date, money, window, slug, field, JSON)
    ├── UnknownReference      a programme, actor, wave, reserve, ... or entry is not in the ledger
    ├── InvariantViolated     the change is well formed but breaks a rule of the programme
    │   ├── AlreadyLive           an actor that is already live goes live again
    │   ├── NotInWave             a change names a wave the actor is not in on that date
    │   └── ReserveExceeded       allocations would exceed what the reserve has left
    ├── KeyConflict           an idempotency key is re-sent with different content
    ├── Contention            other writers kept changing the programme; retry (CONFLICT)
    ├── StoreUnavailable      the store cannot be reached; nothing was written; retry
    ├── OutcomeUnknown        a write may or may not have been saved; retry with the same key
    ├── ImportRejected        a file had bad lines; carries every one of them
    └── AccessDenied          the caller may not do this (UNAUTHENTICATED or FORBIDDEN)

Callers (CLI, API) show `code` and `message`; `field` names the offending input where known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class LedgerError(Exception):
    """Root of every expected ledger failure."""

    code = "LEDGER_ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def at(self, prefix: str) -> LedgerError:
        """The same error with `prefix` put in front of the field path."""
        self.field = f"{prefix}.{self.field}" if self.field else prefix
        return self


class InvalidInput(LedgerError):
    """Raised when a value cannot be read: bad date, money, window, slug, unknown field."""

    code = "INVALID_INPUT"


class UnknownReference(LedgerError):
    """Raised when a change names something the ledger does not hold."""

    code = "NOT_FOUND"


class InvariantViolated(LedgerError):
    """Raised when a well-formed change would break a rule of the programme."""

    code = "INVARIANT_VIOLATED"


class AlreadyLive(InvariantViolated):
    """Raised when an actor that already went live is recorded going live again."""

    code = "ALREADY_LIVE"


class NotInWave(InvariantViolated):
    """Raised when a go-live, postponement or move names a wave the actor is not in."""

    code = "NOT_IN_WAVE"


class ReserveExceeded(InvariantViolated):
    """Raised when an allocation or release is larger than what is left to give."""

    code = "RESERVE_EXCEEDED"


class KeyConflict(LedgerError):
    """Raised when an idempotency key is re-sent with different content."""

    code = "KEY_CONFLICT"


class Contention(LedgerError):
    """Raised when other writers changed the programme on every attempt; retrying is safe."""

    code = "CONFLICT"


class StoreUnavailable(LedgerError):
    """Raised when the store (or the read model's database) cannot be reached; retrying is safe."""

    code = "STORE_UNAVAILABLE"


class OutcomeUnknown(LedgerError):
    """Raised when the connection failed while a write was being saved: it may have been saved.

    Retrying with the same key is safe: the key makes the write idempotent.
    """

    code = "OUTCOME_UNKNOWN"


class AccessDenied(LedgerError):
    """Raised when the caller lacks a token (UNAUTHENTICATED) or the role (FORBIDDEN)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class LineError:
    """One bad line of an import file."""

    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message} [{self.code}]"


class ImportRejected(LedgerError):
    """Raised when an import file has bad lines; nothing of the file was written."""

    code = "IMPORT_REJECTED"

    def __init__(self, errors: Sequence[LineError]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  {error}" for error in self.errors)
        super().__init__(
            f"{len(self.errors)} bad line(s); nothing was written:\n{lines}"
        )
