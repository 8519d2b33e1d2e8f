"""`ledger verify`: recompute every leaf from the stored rows and hold the log to its digests.

Two checks, because a table owner can change both tables. First, every row is re-hashed and
compared with the leaf written beside it in the same transaction: that names the first position
whose row was altered, removed, inserted or moved. Second, the tree of the re-hashed rows must
extend every digest saved earlier (a consistency proof against the saved root): that catches a
rewrite that also rewrote the leaves, and a log cut short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ledger.digest import Digest
from ledger.leaves import LeafStore, RawRow, Upgrade, leaf_of_row
from ledger.merkle import MerkleTree, verify_consistency

Progress = Callable[[int, int], None]
GONE = "a leaf was written for this position but its row is gone"
PAIRING_LIMIT = 200  # beyond this many altered rows, looking for swapped pairs is not worth it


@dataclass(frozen=True)
class Finding:
    """One position where the stored rows and the leaves written with them disagree."""

    position: int
    kind: str  # altered, removed, inserted, reordered, truncated
    detail: str


@dataclass(frozen=True)
class DigestCheck:
    """Whether the log still extends one saved digest."""

    name: str
    digest: Digest
    holds: bool
    detail: str


@dataclass
class Report:
    """What `ledger verify` found."""

    entries: int
    last_position: int
    root_hash: bytes
    findings: list[Finding] = field(default_factory=list)
    digests: list[DigestCheck] = field(default_factory=list)
    upgrade: Upgrade | None = None

    @property
    def ok(self) -> bool:
        """True only if every row matches its leaf and every digest is extended."""
        return not self.findings and all(check.holds for check in self.digests)

    @property
    def first_bad_position(self) -> int | None:
        """The smallest position named by any finding."""
        return min((f.position for f in self.findings), default=None)


def _flatten(batches: Iterator[list[tuple[int, bytes]]]) -> Iterator[tuple[int, bytes]]:
    for batch in batches:
        yield from batch


def verify_log(
    store: LeafStore, digests: Sequence[tuple[str, Digest]] = (), progress: Progress | None = None
) -> Report:
    """Re-hash every stored row, compare with the stored leaves, and check each digest."""
    upto = store.last_position()
    leaves = _flatten(store.leaves_after(0, upto))
    stored = next(leaves, None)
    tree = MerkleTree()
    positions: list[int] = []
    findings: list[Finding] = []
    altered: dict[int, RawRow] = {}
    stored_at: dict[int, bytes] = {}
    for batch in store.raw_rows(upto):
        for row in batch:
            position = row[0]
            while stored is not None and stored[0] < position:
                findings.append(Finding(stored[0], "removed", GONE))
                stored = next(leaves, None)
            leaf = leaf_of_row(row)
            tree.append(leaf)
            positions.append(position)
            if stored is None or stored[0] > position:
                findings.append(Finding(position, "inserted", "this row has no leaf: the ledger did not write it"))
                continue
            if stored[1] != leaf:
                altered[position] = row
                stored_at[position] = stored[1]
            stored = next(leaves, None)
        if progress:
            progress(batch[-1][0], upto)
    while stored is not None:
        findings.append(Finding(stored[0], "removed", GONE))
        stored = next(leaves, None)
    findings.extend(_altered(altered, stored_at))
    findings.sort(key=lambda f: f.position)
    report = Report(len(tree), positions[-1] if positions else 0, tree.root(), findings, upgrade=store.upgrade())
    report.digests = [_check(name, digest, tree, positions) for name, digest in digests]
    longest = max((check.digest for check in report.digests if check.digest.tree_size > len(tree)),
                  key=lambda d: d.tree_size, default=None)
    if longest is not None:
        report.findings.append(Finding(
            report.last_position + 1, "truncated",
            f"the log ends at position {report.last_position}; a saved digest has "
            f"{longest.tree_size - len(tree)} more entries, up to position {longest.last_position}",
        ))
    return report


def _altered(altered: dict[int, RawRow], stored_at: dict[int, bytes]) -> list[Finding]:
    """Altered rows, telling moved rows (one row's content now at another's position) apart."""
    moved: dict[int, int] = {}
    if len(altered) <= PAIRING_LIMIT:
        for position, row in altered.items():
            for other, leaf in stored_at.items():
                if other != position and leaf_of_row((other, *row[1:])) == leaf:
                    moved[position] = other
                    break
    return [
        Finding(position, "reordered", f"the row written at position {moved[position]} now stands here")
        if position in moved
        else Finding(position, "altered", "the row no longer hashes to the leaf written with it")
        for position in altered
    ]


def _check(name: str, digest: Digest, tree: MerkleTree, positions: list[int]) -> DigestCheck:
    size, m = len(tree), digest.tree_size
    if m > size:
        end = positions[-1] if positions else 0
        return DigestCheck(name, digest, False, f"truncated: the digest covers {m} entries up to position "
                           f"{digest.last_position}; the log holds {size}, and nothing after position {end}")
    proof = tree.consistency_proof(m, size)
    if verify_consistency(m, size, digest.root_hash, tree.root(), proof):
        return DigestCheck(name, digest, True, f"consistent: the log of {size} entries extends it")
    moved = m and positions[m - 1] != digest.last_position
    why = (f"entry {m} was at position {digest.last_position}, now at {positions[m - 1]}" if moved
           else "the first entries hash to a different root")
    return DigestCheck(name, digest, False,
                       f"rewritten: the log no longer begins with the digest's {m} entries ({why})")
