"""The log as a Merkle tree in the shape of RFC 9162 (Certificate Transparency v2), section 2.1.

A leaf hash is SHA-256(0x00 || stored form), an interior node SHA-256(0x01 || left || right),
so a leaf can never pass for a node. The tree of the first n leaves splits at the largest power
of two below n, which makes every earlier tree a part of every later one: a digest (tree size,
root) taken at any size stays checkable against the log forever, through a consistency proof.

This module only uses the standard library. The auditor's verifier (scripts/verify_proof.py)
checks the same proofs with its own, separate code, so the two can catch each other's mistakes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
# Complete, aligned subtrees never change in an append-only log; remembering those of at least
# this many leaves makes a root or proof after the first one cost O(log n) cached look-ups.
CACHED_SUBTREE = 256


def leaf_hash(stored_form: bytes) -> bytes:
    """The hash of one leaf (RFC 9162: SHA-256 of 0x00 and the leaf's bytes)."""
    return hashlib.sha256(LEAF_PREFIX + stored_form).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node (RFC 9162: SHA-256 of 0x01, left child, right child)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def _level_up(level: list[bytes]) -> list[bytes]:
    sha, prefix = hashlib.sha256, NODE_PREFIX
    return [sha(prefix + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]


class MerkleTree:
    """Roots and proofs over a growing list of leaf hashes (the list is only ever appended to)."""

    def __init__(self, leaves: list[bytes] | None = None) -> None:
        self.leaves: list[bytes] = leaves if leaves is not None else []
        self._subtrees: dict[tuple[int, int], bytes] = {}

    def __len__(self) -> int:
        return len(self.leaves)

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash."""
        self.leaves.append(leaf)

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree of the first `size` leaves (all of them by default)."""
        size = len(self.leaves) if size is None else size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162 2.1.3.1)."""
        size = len(self.leaves) if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _split(end - start)
            if index < start + k:
                path.append(self._hash(start + k, end))
                end = start + k
            else:
                path.append(self._hash(start, start + k))
                start += k
        path.reverse()  # the RFC lists the path from the leaf upwards
        return path

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The proof that the tree of `old_size` leaves is a prefix of `new_size` (RFC 9162 2.1.4.1)."""
        new_size = len(self.leaves) if new_size is None else new_size
        self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ValueError(f"a tree of {old_size} leaves cannot be a prefix of one of {new_size}")
        if old_size in (0, new_size):
            return []
        proof: list[bytes] = []
        start, end, whole = 0, new_size, True
        m = old_size
        while True:
            n = end - start
            if m == n:
                if not whole:
                    proof.append(self._hash(start, end))
                break
            k = _split(n)
            if m <= k:
                proof.append(self._hash(start + k, end))
                end = start + k
            else:
                proof.append(self._hash(start, start + k))
                start += k
                m -= k
                whole = False
        proof.reverse()
        return proof

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= len(self.leaves):
            raise ValueError(f"the log has {len(self.leaves)} leaves, not {size}")

    def _hash(self, start: int, end: int) -> bytes:
        """MTH of leaves[start:end], where the range is a subtree of the RFC's decomposition."""
        size = end - start
        if size == 1:
            return self.leaves[start]
        if size & (size - 1) == 0:
            return self._perfect(start, size)
        k = _split(size)
        return node_hash(self._perfect(start, k), self._hash(start + k, end))

    def _perfect(self, start: int, size: int) -> bytes:
        """A complete subtree of `size` (a power of two) leaves from `start`; remembered if large."""
        if size <= CACHED_SUBTREE:
            level = self.leaves[start:start + size]
            while len(level) > 1:
                level = _level_up(level)
            return level[0]
        cached = self._subtrees.get((start, size))
        if cached is None:
            half = size // 2
            cached = node_hash(self._perfect(start, half), self._perfect(start + half, half))
            self._subtrees[(start, size)] = cached
        return cached


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """Whether `path` proves leaf `index` in the tree of `size` leaves with `root` (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the tree (old_size, old_root) is a prefix of (new_size, new_root) (RFC 9162 2.1.4.2)."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return old_root == EMPTY_ROOT and not proof
    if old_size == new_size:
        return old_root == new_root and not proof
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)  # the old tree is a complete subtree of the new one
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0
