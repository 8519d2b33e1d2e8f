"""GraphQL types and resolvers for the verifiable log: digests, inclusion and consistency proofs.

Hashes are lower-case hex. A client checks a proof against a digest it saved earlier (with
scripts/verify_proof.py, say), never against the root the proof itself carries.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import anyio
import strawberry

from ledger import digest as proofs
from ledger.errors import LedgerError
from ledger_server.problems import graphql_error

if TYPE_CHECKING:
    from ledger_server.context import LedgerContext

    Info = strawberry.Info[LedgerContext, None]

@strawberry.type(description="The log's Merkle root (RFC 9162, SHA-256) over its first treeSize entries.")
class LedgerDigest:
    tree_size: int = strawberry.field(description="How many log entries the tree covers.")
    root_hash: str = strawberry.field(
        description="The tree's root, SHA-256 in lower-case hex; save it to check later proofs against.")
    last_position: int = strawberry.field(description="The log position of the tree's last entry")
    taken_at: datetime = strawberry.field(description="When the digest was computed (UTC).")
    hashing: str = strawberry.field(description="How leaves and nodes are hashed")


@strawberry.type(description="That an entry is leaf leafIndex of the tree of treeSize entries (RFC 9162 2.1.3).")
class InclusionProof:
    entry_id: strawberry.ID | None = strawberry.field(
        description="The entry's id (programme:sequence); null when the position holds no entry the ledger wrote.")
    position: int = strawberry.field(description="The entry's log position.")
    leaf_index: int = strawberry.field(description="The entry's leaf in the tree, counted from 0.")
    tree_size: int = strawberry.field(description="How many leaves the tree has.")
    leaf_hash: str = strawberry.field(description="SHA-256 of 0x00 and storedForm, in lower-case hex.")
    stored_form: str = strawberry.field(
        description="The bytes the leaf hash covers: a JSON header [position, programme id, sequence, topic], "
                    "a newline, and the stored event; SHA-256(0x00 || storedForm) is leafHash"
    )
    audit_path: list[str] = strawberry.field(description="Sibling hashes from the leaf up to the root")
    root_hash: str = strawberry.field(
        description="The root of the tree of treeSize leaves, in lower-case hex; check it against a saved digest, not"
                    " this value.")


@strawberry.type(description="That the tree of fromSize entries is the start of the tree of toSize (RFC 9162 2.1.4).")
class ConsistencyProof:
    from_size: int = strawberry.field(description="The size of the older tree.")
    to_size: int = strawberry.field(description="The size of the newer tree.")
    from_root: str = strawberry.field(
        description="The older tree's root in lower-case hex; compare it with the saved digest's.")
    to_root: str = strawberry.field(description="The newer tree's root in lower-case hex.")
    path: list[str] = strawberry.field(description="The RFC 9162 consistency path, lower-case hex hashes.")


def digest_of(value: proofs.Digest) -> LedgerDigest:
    """The GraphQL view of a digest."""
    return LedgerDigest(tree_size=value.tree_size, root_hash=value.root_hash.hex(), last_position=value.last_position,
                        taken_at=value.taken_at, hashing=proofs.HASHING)


async def ledger_digest(info: Info, tree_size: int | None) -> LedgerDigest:
    """The digest at tree_size (default the whole log)."""
    info.context.require_read()
    log = info.context.services.app.provable_log()
    return digest_of(await anyio.to_thread.run_sync(log.digest, tree_size))


async def inclusion_proof(info: Info, entry_id: str, position: int, tree_size: int | None) -> InclusionProof:
    """The inclusion proof of the entry at `position`, raised as a coded GraphQL error if impossible."""
    try:
        info.context.require_read()
        log = info.context.services.app.provable_log()
        proof = await anyio.to_thread.run_sync(lambda: log.inclusion(position, tree_size, entry_id))
    except LedgerError as error:
        raise graphql_error(error) from None
    return InclusionProof(
        entry_id=strawberry.ID(entry_id), position=proof.position, leaf_index=proof.leaf_index,
        tree_size=proof.tree_size, leaf_hash=proof.leaf_hash.hex(), stored_form=proof.stored_form,
        audit_path=[h.hex() for h in proof.audit_path], root_hash=proof.root_hash.hex(),
    )


async def consistency_proof(info: Info, from_size: int, to_size: int | None) -> ConsistencyProof:
    """The consistency proof from from_size to to_size (default the whole log)."""
    info.context.require_read()
    log = info.context.services.app.provable_log()
    proof = await anyio.to_thread.run_sync(log.consistency, from_size, to_size)
    return ConsistencyProof(from_size=proof.from_size, to_size=proof.to_size, from_root=proof.from_root.hex(),
                            to_root=proof.to_root.hex(), path=[h.hex() for h in proof.path])
