"""Digests of the log and the proofs that link entries and digests, served from the stored leaves.

A digest is (tree size, root hash, the position of its last entry, when it was taken). Saved by
an auditor, it pins the log as it was: an inclusion proof shows one entry is in it, and a
consistency proof shows a later log still begins with exactly that log. Proofs are built from
the stored leaf hashes; the auditor checks them against their own saved digests, never against
hashes the server sends along.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.errors import InvalidInput, UnknownReference
from ledger.leaves import LeafStore, stored_form
from ledger.merkle import MerkleTree

HASHING = "SHA-256, RFC 9162 tree (leaf 0x00 || stored form, node 0x01 || left || right)"


@dataclass(frozen=True)
class Digest:
    """The log's Merkle root at one tree size."""

    tree_size: int
    root_hash: bytes
    last_position: int
    taken_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The digest as saved by `ledger digest --output`."""
        return {
            "tree_size": self.tree_size, "root_hash": self.root_hash.hex(), "last_position": self.last_position,
            "taken_at": self.taken_at.isoformat(), "hashing": HASHING,
        }

    @classmethod
    def from_json(cls, document: Any, where: str) -> Digest:
        """A saved digest; refuses anything that is not one, naming what is wrong."""
        if not isinstance(document, dict):
            raise InvalidInput(f"{where} is not a digest: expected a JSON object", field="digest")
        missing = [name for name in ("tree_size", "root_hash", "last_position", "taken_at") if name not in document]
        if missing:
            raise InvalidInput(f"{where} is not a digest: no {', '.join(missing)}", field="digest")
        size, last = document["tree_size"], document["last_position"]
        if not (isinstance(size, int) and isinstance(last, int)) or size < 0 or last < 0:
            raise InvalidInput(f"{where}: tree_size and last_position must be whole numbers >= 0", field="digest")
        try:
            root = bytes.fromhex(document["root_hash"])
            taken = datetime.fromisoformat(document["taken_at"])
        except (TypeError, ValueError):
            raise InvalidInput(f"{where}: root_hash must be hex and taken_at a timestamp", field="digest") from None
        if len(root) != 32:
            raise InvalidInput(f"{where}: root_hash is not a SHA-256 hash (32 bytes)", field="digest")
        return cls(size, root, last, taken)


@dataclass(frozen=True)
class InclusionProof:
    """That the entry at `position` is leaf `leaf_index` of the tree of `tree_size` entries."""

    entry_id: str | None
    position: int
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    stored_form: str
    audit_path: list[bytes]
    root_hash: bytes

    def to_json(self) -> dict[str, Any]:
        """The proof as the standalone verifier reads it."""
        return {
            "kind": "inclusion", "entry_id": self.entry_id, "position": self.position, "leaf_index": self.leaf_index,
            "tree_size": self.tree_size, "leaf_hash": self.leaf_hash.hex(), "stored_form": self.stored_form,
            "audit_path": [h.hex() for h in self.audit_path], "root_hash": self.root_hash.hex(),
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """That the tree of `from_size` entries is the start of the tree of `to_size`."""

    from_size: int
    to_size: int
    from_root: bytes
    to_root: bytes
    path: list[bytes]

    def to_json(self) -> dict[str, Any]:
        """The proof as the standalone verifier reads it."""
        return {
            "kind": "consistency", "from_size": self.from_size, "to_size": self.to_size,
            "from_root": self.from_root.hex(), "to_root": self.to_root.hex(), "path": [h.hex() for h in self.path],
        }


class ProvableLog:
    """Digests and proofs over the stored leaves, kept in memory and extended as the log grows."""

    def __init__(self, store: LeafStore) -> None:
        self.store = store
        self._tree = MerkleTree()
        self._positions: list[int] = []
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        after = self._positions[-1] if self._positions else 0
        for batch in self.store.leaves_after(after):
            for position, leaf in batch:
                self._positions.append(position)
                self._tree.append(leaf)

    def _size(self, tree_size: int | None, field: str) -> int:
        self._refresh()
        size = len(self._tree) if tree_size is None else tree_size
        if not 0 <= size <= len(self._tree):
            raise InvalidInput(f"the log holds {len(self._tree)} entries; there is no tree of {size}", field=field)
        return size

    def digest(self, tree_size: int | None = None, now: datetime | None = None) -> Digest:
        """The digest at `tree_size` (default: the whole log now)."""
        with self._lock:
            size = self._size(tree_size, "treeSize")
            return Digest(size, self._tree.root(size), self._positions[size - 1] if size else 0,
                          now or datetime.now(UTC))

    def inclusion(self, position: int, tree_size: int | None = None, entry_id: str | None = None) -> InclusionProof:
        """The inclusion proof of the entry at `position` in the tree of `tree_size` entries."""
        with self._lock:
            size = self._size(tree_size, "treeSize")
            index = self._index(position)
            if index >= size:
                raise InvalidInput(
                    f"the entry at position {position} is leaf {index + 1}; a tree of {size} entries does not hold it",
                    field="treeSize",
                )
            row = self.store.row_at(position)
            if row is None:
                raise UnknownReference(f"no stored row at position {position}; run ledger verify", field="id")
            event = row.event
            form = stored_form(position, event.originator_id, event.originator_version, event.topic, event.state)
            return InclusionProof(
                entry_id, position, index, size, self._tree.leaves[index], form.decode("utf-8"),
                self._tree.inclusion_proof(index, size), self._tree.root(size),
            )

    def consistency(self, from_size: int, to_size: int | None = None) -> ConsistencyProof:
        """The consistency proof from the tree of `from_size` entries to the one of `to_size`."""
        with self._lock:
            size = self._size(to_size, "toSize")
            if not 0 <= from_size <= size:
                raise InvalidInput(f"fromSize must be between 0 and {size}, not {from_size}", field="fromSize")
            return ConsistencyProof(from_size, size, self._tree.root(from_size), self._tree.root(size),
                                    self._tree.consistency_proof(from_size, size))

    def _index(self, position: int) -> int:
        index = bisect.bisect_left(self._positions, position)
        if index == len(self._positions) or self._positions[index] != position:
            raise UnknownReference(f"no entry at position {position} has a leaf hash", field="id")
        return index
