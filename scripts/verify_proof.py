#!/usr/bin/env python3
"""Check a programme ledger proof against saved digests, with nothing but Python's standard library.

    python3 verify_proof.py inclusion-proof.json digest.json
    python3 verify_proof.py consistency-proof.json old-digest.json new-digest.json

An inclusion proof (from `ledger proof ENTRY --digest digest.json`, or `event { proof }` in
GraphQL) shows that an entry's stored form is leaf `leaf_index` of the tree whose root the digest
holds. A consistency proof (`ledger proof --from-digest old.json --digest new.json`, or
`consistencyProof` in GraphQL) shows that the log of the new digest still begins with exactly the
log of the old one. Only the digests' roots are trusted, never hashes the server put in the proof.

The tree is RFC 9162's (section 2.1): leaf = SHA-256(0x00 || stored form), node =
SHA-256(0x01 || left || right). This file deliberately shares no code with the ledger, so an
auditor can read all of it and a mistake on one side shows up on the other. Exit status: 0 when
the proof holds, 1 when it does not, 2 when a file cannot be read.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_holds(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: does `path` lead from leaf `index` to `root` in a tree of `size`?"""
    if index < 0 or index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = _node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn //= 2
                sn //= 2
        else:
            r = _node(r, p)
        fn //= 2
        sn //= 2
    return sn == 0 and r == root


def consistency_holds(old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree (old_size, old_root) the start of (new_size, new_root)?"""
    if old_size < 1 or old_size > new_size:
        return old_size == 0 and old_root == hashlib.sha256(b"").digest() and not path
    if old_size == new_size:
        return not path and old_root == new_root
    steps = list(path)
    if old_size & (old_size - 1) == 0:
        steps.insert(0, old_root)
    if not steps:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn % 2 == 1:
        fn //= 2
        sn //= 2
    fr = sr = steps[0]
    for c in steps[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = _node(c, fr)
            sr = _node(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn //= 2
                sn //= 2
        else:
            sr = _node(sr, c)
        fn //= 2
        sn //= 2
    return sn == 0 and fr == old_root and sr == new_root


class Unreadable(Exception):
    """A file is missing, not JSON, or lacks a field."""


def _load(path: str) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise Unreadable(f"{path}: {error}") from None
    if not isinstance(document, dict):
        raise Unreadable(f"{path}: not a JSON object")
    return document


def _field(document: dict[str, Any], name: str, where: str) -> Any:
    if name not in document:
        raise Unreadable(f"{where}: no {name!r} field")
    return document[name]


def _hash(text: Any, where: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except (TypeError, ValueError):
        raise Unreadable(f"{where}: {text!r} is not a hex hash") from None
    if len(value) != 32:
        raise Unreadable(f"{where}: {text!r} is not a SHA-256 hash")
    return value


def check_inclusion(proof: dict[str, Any], digest: dict[str, Any]) -> str | None:
    """None if the inclusion proof holds for the digest, else why not."""
    size = _field(digest, "tree_size", "digest")
    if _field(proof, "tree_size", "proof") != size:
        return f"the proof is for a tree of {proof['tree_size']} entries, the digest for {size}"
    leaf = _hash(_field(proof, "leaf_hash", "proof"), "proof leaf_hash")
    stored = proof.get("stored_form")
    if stored is not None and hashlib.sha256(b"\x00" + stored.encode("utf-8")).digest() != leaf:
        return "the stored form does not hash to the leaf hash"
    path = [_hash(h, "proof audit_path") for h in _field(proof, "audit_path", "proof")]
    root = _hash(_field(digest, "root_hash", "digest"), "digest root_hash")
    if not inclusion_holds(_field(proof, "leaf_index", "proof"), size, leaf, path, root):
        return "the audit path does not lead to the digest's root hash"
    return None


def check_consistency(proof: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """None if the consistency proof links the two digests, else why not."""
    old_size, new_size = _field(old, "tree_size", "old digest"), _field(new, "tree_size", "new digest")
    if (_field(proof, "from_size", "proof"), _field(proof, "to_size", "proof")) != (old_size, new_size):
        return (f"the proof is from {proof['from_size']} to {proof['to_size']} entries, "
                f"the digests are of {old_size} and {new_size}")
    path = [_hash(h, "proof path") for h in _field(proof, "path", "proof")]
    old_root = _hash(_field(old, "root_hash", "old digest"), "old digest root_hash")
    new_root = _hash(_field(new, "root_hash", "new digest"), "new digest root_hash")
    if not consistency_holds(old_size, new_size, old_root, new_root, path):
        return "the new digest's log does not begin with the old digest's log"
    return None


def main(argv: Sequence[str]) -> int:
    """Check the proof file against one digest (inclusion) or two (consistency)."""
    if len(argv) not in (2, 3):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        proof = _load(argv[0])
        digests = [_load(path) for path in argv[1:]]
        kind = _field(proof, "kind", argv[0])
        if kind == "inclusion" and len(digests) == 1:
            failure = check_inclusion(proof, digests[0])
            what = f"entry at position {proof.get('position')} is leaf {proof['leaf_index']} of the digest's tree"
        elif kind == "consistency" and len(digests) == 2:
            failure = check_consistency(proof, digests[0], digests[1])
            what = f"the log of {proof['to_size']} entries extends the digest of {proof['from_size']}"
        else:
            needs = "one digest" if kind == "inclusion" else "two digests"
            raise Unreadable(f"{argv[0]}: a {kind!r} proof needs {needs}")
    except Unreadable as error:
        print(f"cannot check: {error}", file=sys.stderr)
        return 2
    if failure is not None:
        print(f"REFUSED: {failure}")
        return 1
    print(f"ok: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
