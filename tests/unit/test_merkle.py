"""The tree against RFC 9162's recursive definitions, and its proofs against both verifiers."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.merkle import EMPTY_ROOT, MerkleTree, leaf_hash, node_hash, verify_consistency, verify_inclusion

VERIFIER = Path(__file__).resolve().parents[2] / "scripts" / "verify_proof.py"


def _standalone() -> Any:
    spec = importlib.util.spec_from_file_location("verify_proof", VERIFIER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_proof"] = module
    spec.loader.exec_module(module)
    return module


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1, written as the RFC writes it."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


LEAVES = [leaf_hash(f"entry {i}".encode()) for i in range(40)]


def test_an_empty_tree_has_the_hash_of_nothing_as_its_root() -> None:
    assert MerkleTree([]).root() == EMPTY_ROOT == hashlib.sha256(b"").digest()


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@pytest.mark.parametrize("cached", [1, 256])
def test_roots_and_proofs_match_the_rfc_definitions_at_every_size(monkeypatch: pytest.MonkeyPatch, cached: int) -> None:
    monkeypatch.setattr("ledger.merkle.CACHED_SUBTREE", cached)  # exercise the remembered subtrees too
    tree = MerkleTree(list(LEAVES))
    standalone = _standalone()
    for n in range(1, len(LEAVES) + 1):
        prefix = LEAVES[:n]
        assert tree.root(n) == mth(prefix)
        for m in range(n):
            proof = tree.inclusion_proof(m, n)
            assert proof == path(m, prefix)
            assert verify_inclusion(m, n, LEAVES[m], proof, tree.root(n))
            assert standalone.inclusion_holds(m, n, LEAVES[m], proof, tree.root(n))
        for m in range(1, n + 1):
            proof = tree.consistency_proof(m, n)
            assert proof == (subproof(m, prefix, True) if m < n else [])
            assert verify_consistency(m, n, tree.root(m), tree.root(n), proof)
            assert standalone.consistency_holds(m, n, tree.root(m), tree.root(n), proof)


def test_a_changed_hash_anywhere_in_a_proof_is_refused() -> None:
    tree = MerkleTree(list(LEAVES))
    standalone = _standalone()
    n, m = 37, 13
    inclusion = tree.inclusion_proof(m, n)
    consistency = tree.consistency_proof(m, n)
    for i in range(len(inclusion)):
        bad = [*inclusion[:i], bytes(32), *inclusion[i + 1:]]
        assert not verify_inclusion(m, n, LEAVES[m], bad, tree.root(n))
        assert not standalone.inclusion_holds(m, n, LEAVES[m], bad, tree.root(n))
    for i in range(len(consistency)):
        bad = [*consistency[:i], bytes(32), *consistency[i + 1:]]
        assert not verify_consistency(m, n, tree.root(m), tree.root(n), bad)
        assert not standalone.consistency_holds(m, n, tree.root(m), tree.root(n), bad)
    assert not verify_inclusion(m + 1, n, LEAVES[m], inclusion, tree.root(n))
    assert not verify_consistency(m, n, tree.root(m + 1), tree.root(n), consistency)
    assert not standalone.consistency_holds(m, n, tree.root(m), tree.root(n), consistency[:-1])


def test_a_rewritten_history_is_not_consistent_with_the_old_root() -> None:
    rewritten = list(LEAVES)
    rewritten[5] = leaf_hash(b"forged")
    old, new = MerkleTree(list(LEAVES)), MerkleTree(rewritten)
    proof = new.consistency_proof(10, 40)
    assert not verify_consistency(10, 40, old.root(10), new.root(40), proof)


def test_sizes_outside_the_log_are_refused_with_a_reason() -> None:
    tree = MerkleTree(list(LEAVES[:4]))
    with pytest.raises(ValueError, match="the log has 4 leaves, not 5"):
        tree.root(5)
    with pytest.raises(ValueError, match="leaf 4 is not in a tree of 4 leaves"):
        tree.inclusion_proof(4)
    with pytest.raises(ValueError, match="a tree of 3 leaves cannot be a prefix of one of 2"):
        tree.consistency_proof(3, 2)
