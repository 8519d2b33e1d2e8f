"""What the auditor's commands do (`ledger digest`, `ledger verify`, `ledger proof`); registered
by ledger_server/verify_commands.py, imported only when one of them runs.

`ledger verify` exits 0 only if every stored row still hashes to the leaf written with it and the
log extends every digest given; it exits 1 when it finds tampering (naming the first bad
position) and 2, like every command, when its input is bad.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import asyncpg

from ledger.digest import Digest, ProvableLog
from ledger.entry import parse_entry_id
from ledger.errors import InvalidInput, UnknownReference
from ledger.leaves import Verification
from ledger.programme import programme_id
from ledger.verify import Report, verify_log
from projections.pg_audit import ReadModelCheck, check_read_model, describe

if TYPE_CHECKING:
    from ledger_server.cli import Session

def read_digest(path: str) -> Digest:
    """A digest saved by `ledger digest --output`; refuses a missing or malformed file by name."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}", field="digest") from None
    except ValueError:
        raise InvalidInput(f"{path} is not JSON", field="digest") from None
    return Digest.from_json(document, path)


def _write(session: Session, document: dict[str, Any], what: str) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    target = session.args.output
    if target:
        Path(target).write_text(text, encoding="utf-8")
        session.print(f"{what} saved to {target}")
    else:
        session.out.write(text)


def cmd_digest(session: Session) -> int:
    digest = ProvableLog(session.app.leaf_store()).digest(session.args.tree_size)
    _write(session, digest.to_json(), f"digest of {digest.tree_size} entries (root {digest.root_hash.hex()[:16]}...)")
    return 0


def _bar(err: TextIO) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        if total < 20000:
            return  # short logs finish before a bar would be read
        filled = 30 * done // total
        err.write(f"\rverifying [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
        if done >= total:
            err.write("\n")
        err.flush()

    return show


def cmd_verify(session: Session) -> int:
    if session.args.read_model and not session.location.is_postgres:
        raise InvalidInput("--read-model checks the PostgreSQL read model; a SQLite store has none (it is "
                           "rebuilt in memory from the log every time)", field="read-model")
    digests = [(path, read_digest(path)) for path in session.args.digest or ()]
    store = session.app.leaf_store()
    report = verify_log(store, digests, _bar(session.err))
    _print_report(session, report)
    read_model_ok = _verify_read_model(session) if session.args.read_model else True
    # /healthz shows the last verification, so a failed one stays visible after this command.
    store.record_verification(Verification(
        datetime.now(UTC), report.entries, report.last_position, report.root_hash, report.ok and read_model_ok,
        report.first_bad_position,
    ))
    return 0 if report.ok and read_model_ok else 1


def _verify_read_model(session: Session) -> bool:
    async def work() -> ReadModelCheck:
        pool = await asyncpg.create_pool(session.location.url, min_size=1, max_size=1)
        try:
            return await check_read_model(pool, session.app.leaf_store())
        finally:
            await pool.close()

    check = asyncio.run(work())
    for line in describe(check):
        session.print(line)
    return check.ok


def _print_report(session: Session, report: Report) -> None:
    if report.upgrade is not None:
        u = report.upgrade
        session.print(f"note: leaf hashes for the {u.rows} entries up to position {u.last_position} were computed "
                      f"when this store was upgraded ({u.at:%Y-%m-%d %H:%M:%S %Z}); they vouch for those rows as "
                      "they were then")
    for finding in report.findings:
        session.print(f"position {finding.position}: {finding.kind}: {finding.detail}")
    for check in report.digests:
        verdict = "holds" if check.holds else "FAILS"
        session.print(f"digest {check.name} (tree size {check.digest.tree_size}): {verdict}: {check.detail}")
    if report.ok:
        session.print(f"verified {report.entries} entries up to position {report.last_position}: every row matches "
                      f"its leaf hash; root {report.root_hash.hex()}")
    else:
        first = report.first_bad_position
        where = f"first bad position {first}" if first is not None else "a saved digest is not extended"
        session.print(f"FAILED: {where}")


def cmd_proof(session: Session) -> int:
    log = ProvableLog(session.app.leaf_store())
    target = read_digest(session.args.digest)
    if session.args.from_digest:
        if session.args.entry:
            raise InvalidInput("give an entry id or --from-digest, not both", field="entry")
        old = read_digest(session.args.from_digest)
        consistency = log.consistency(old.tree_size, target.tree_size)
        _write(session, consistency.to_json(), f"consistency proof from {old.tree_size} to {target.tree_size} entries")
        return 0
    if not session.args.entry:
        raise InvalidInput("name the entry (programme:sequence) or give --from-digest", field="entry")
    parsed = parse_entry_id(session.args.entry)
    if parsed is None:
        raise InvalidInput(f"{session.args.entry!r} is not an entry id such as demo:3", field="entry")
    position = session.app.leaf_store().position_of(programme_id(parsed[0]), parsed[1])
    if position is None:
        raise UnknownReference(f"no entry {session.args.entry} in the ledger", field="entry")
    inclusion = log.inclusion(position, target.tree_size, entry_id=session.args.entry)
    _write(session, inclusion.to_json(), f"inclusion proof of {session.args.entry} in the tree of {target.tree_size}")
    return 0
