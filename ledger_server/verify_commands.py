"""The auditor's commands on the `ledger` parser: `ledger digest`, `ledger verify` and `ledger proof`.

Only argparse here: `ledger --help` must stay light, so each command imports ledger_server/auditing.py
(hashing, proofs, the PostgreSQL driver) when it runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger_server.cli import Session

Command = Callable[[str, Callable[["Session"], int], str], argparse.ArgumentParser]


def cmd_digest(session: Session) -> int:
    from ledger_server.auditing import cmd_digest

    return cmd_digest(session)


def cmd_verify(session: Session) -> int:
    from ledger_server.auditing import cmd_verify

    return cmd_verify(session)


def cmd_proof(session: Session) -> int:
    from ledger_server.auditing import cmd_proof

    return cmd_proof(session)


def add_commands(command: Command) -> None:
    """Register the auditor's commands on the `ledger` parser."""
    sub = command("digest", cmd_digest, "the log's current digest (tree size, Merkle root, time) as JSON")
    sub.add_argument("--output", help="write to this file instead of standard output")
    sub.add_argument("--tree-size", type=int, help="the digest of the first N entries instead")
    sub = command("verify", cmd_verify, "re-hash every stored row and check the log extends each saved digest")
    sub.add_argument("--digest", action="append", metavar="FILE", help="a digest saved earlier (repeatable)")
    sub.add_argument("--read-model", action="store_true",
                     help="also hold the PostgreSQL read model's entries against the log")
    sub = command("proof", cmd_proof, "an inclusion proof of an entry, or a consistency proof between two digests")
    sub.add_argument("entry", nargs="?", help="the entry id (programme:sequence) to prove")
    sub.add_argument("--digest", required=True, metavar="FILE", help="the digest whose tree the proof is for")
    sub.add_argument("--from-digest", metavar="FILE", help="prove the log of --digest extends this older digest")
    sub.add_argument("--output", help="write to this file instead of standard output")
