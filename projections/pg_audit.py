"""`ledger verify --read-model`: the PostgreSQL read model's entries held against the log itself.

The read model's tables are ordinary tables, so whoever may write them can make the API answer
from a history the log never had. This compares, up to the read model's tracking position, its
tree size with the log's, and each of its entries (position, entry id, and the entry as stored)
with the log's row at that position. Fact tables are derived from those entries by the
projector; `ledger rebuild` remakes them from the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ledger.entry import entry_id
from ledger.leaves import LeafStore
from ledger.programme import programme_id
from projections.pg_schema import SCHEMA

SHOWN = 20  # problems listed one by one; the rest are counted


@dataclass
class ReadModelCheck:
    """What comparing the read model with the log found."""

    position: int
    tree_size: int
    log_tree_size: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the read model covers exactly the log's entries up to its position."""
        return not self.problems and self.tree_size == self.log_tree_size


def _log_entries(store: LeafStore, upto: int) -> dict[int, tuple[str, int, Any]]:
    """Position -> (programme id, sequence, stored entry) for the log's rows up to `upto`."""
    found: dict[int, tuple[str, int, Any]] = {}
    for batch in store.raw_rows(upto):
        for position, originator, sequence, _, state in batch:
            try:
                stored = json.loads(state)["entry"]["_data_"]
            except (ValueError, KeyError, TypeError):
                stored = None  # a row nobody can read; `ledger verify` names it
            found[position] = (str(originator).replace("-", ""), sequence, stored)
    return found


async def check_read_model(pool: Any, store: LeafStore) -> ReadModelCheck:
    """Compare the read model's tracking and entries with the log's rows up to its position."""
    async with pool.acquire() as connection:
        tracking = await connection.fetchrow(f"SELECT position, tree_size FROM {SCHEMA}.tracking")
        rows = await connection.fetch(
            f"SELECT position, programme, seq, entry FROM {SCHEMA}.entries WHERE position <= $1 ORDER BY position",
            tracking["position"],
        )
    check = ReadModelCheck(int(tracking["position"]), int(tracking["tree_size"]))
    log = _log_entries(store, check.position)
    check.log_tree_size = len(log)
    modelled: set[int] = set()
    for row in rows:
        position = int(row["position"])
        modelled.add(position)
        shown = entry_id(row["programme"], row["seq"])
        logged = log.get(position)
        if logged is None:
            check.problems.append((position, f"the read model has {shown}, the log has no entry here"))
        elif logged[:2] != (programme_id(row["programme"]).hex, row["seq"]):
            check.problems.append((position, f"the read model has {shown}, the log another entry"))
        elif json.loads(row["entry"]) != logged[2]:
            check.problems.append((position, f"the read model's copy of {shown} differs from the log's"))
    check.problems += [(p, "the log's entry here is missing from the read model") for p in sorted(set(log) - modelled)]
    check.problems.sort()
    return check


def describe(check: ReadModelCheck) -> list[str]:
    """The check as lines for `ledger verify`."""
    lines = [f"read model: position {p}: {problem}" for p, problem in check.problems[:SHOWN]]
    if len(check.problems) > SHOWN:
        lines.append(f"read model: ... and {len(check.problems) - SHOWN} more")
    if check.tree_size != check.log_tree_size:
        lines.append(f"read model: says it covers {check.tree_size} entries up to position {check.position}; "
                     f"the log has {check.log_tree_size}")
    if check.ok:
        lines.append(f"read model: matches the log's {check.log_tree_size} entries up to position {check.position}")
    return lines
