"""`ledger status` shows the last verification that held: when, up to which position, its root, and
whether the log still bears that root out (a row forged into the verification table does not)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.integration.test_verifiable_log import SAMPLE, Tamperer, ledger

ENTRY = ('{"type": "StatusAssessed", "programme": "demo", "effective": "2024-02-01", "key": "later", '
         '"source": {"title": "Status page"}, "status": "Some challenges", "risk": "Medium"}\n')


def _status(url: str) -> dict[str, object]:
    run = ledger(url, "status", "--json")
    assert run.code == 0, run.err
    return json.loads(run.out)  # type: ignore[no-any-return]


def _root(url: str) -> str:
    run = ledger(url, "digest")
    assert run.code == 0, run.err
    return json.loads(run.out)["root_hash"]  # type: ignore[no-any-return]


def test_a_ledger_never_verified_says_so(store_url: str) -> None:
    assert ledger(store_url, "import", str(SAMPLE)).code == 0
    status = _status(store_url)
    assert (status["verified"], status["verify_failed"]) == (None, None)
    assert "verified:         never (run `ledger verify`)" in ledger(store_url, "status").out


def test_status_shows_the_verified_position_and_root_and_keeps_them_as_the_log_grows(
        store_url: str, tmp_path: Path) -> None:
    assert ledger(store_url, "import", str(SAMPLE)).code == 0
    root, before = _root(store_url), datetime.now(UTC)
    assert ledger(store_url, "verify").code == 0
    later = tmp_path / "later.jsonl"
    later.write_text(ENTRY, encoding="utf-8")
    assert ledger(store_url, "import", str(later)).code == 0
    # Each command is a fresh process's worth of state: what status shows was read back from the store.
    status = _status(store_url)
    verified = status["verified"]
    assert isinstance(verified, dict)
    assert status["store_position"] == 23
    assert (verified["tree_size"], verified["position"], verified["root_hash"], verified["matches_log"]) == (
        22, 22, root, True)
    assert before <= datetime.fromisoformat(verified["verified_at"]) <= datetime.now(UTC)
    text = ledger(store_url, "status").out
    assert "verified:         up to position 22 (22 entries) at " in text
    assert f"verified root:    {root} (matches the log now)" in text


def test_a_failed_verification_after_one_that_held_is_shown_beside_it(store_url: str) -> None:
    assert ledger(store_url, "import", str(SAMPLE)).code == 0
    assert ledger(store_url, "verify").code == 0
    tamper = Tamperer(store_url)
    tamper.set_state(9, tamper.state(9).replace(b'"effective":"2', b'"effective":"3', 1))
    assert ledger(store_url, "verify").code == 1
    status = _status(store_url)
    assert isinstance(status["verified"], dict)
    assert status["verified"]["position"] == 22
    # Only the row changed, not its leaf: the leaves still give the verified root.
    assert status["verified"]["matches_log"] is True
    assert isinstance(status["verify_failed"], dict)
    assert status["verify_failed"]["first_bad_position"] == 9
    text = ledger(store_url, "status").out
    assert "verify FAILED:    at " in text
    assert ", first bad position 9" in text


def test_a_verification_row_forged_by_the_tables_owner_does_not_match_the_log(store_url: str) -> None:
    assert ledger(store_url, "import", str(SAMPLE)).code == 0
    tamper = Tamperer(store_url)
    forged_at = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    tamper.run(("INSERT INTO ledger_verifications (verified_at, tree_size, last_position, root_hash, ok, "
                "first_bad_position) VALUES (?, ?, ?, ?, ?, ?)", (forged_at, 22, 22, b"\x01" * 32, True, None)),
               tables=("ledger_verifications",))
    status = _status(store_url)
    verified = status["verified"]
    assert isinstance(verified, dict)
    assert (verified["root_hash"], verified["matches_log"]) == ("01" * 32, False)
    assert f"verified root:    {'01' * 32} (DOES NOT MATCH the log now)" in ledger(store_url, "status").out


def test_a_truncated_tail_after_verifying_no_longer_matches(store_url: str) -> None:
    assert ledger(store_url, "import", str(SAMPLE)).code == 0
    assert ledger(store_url, "verify").code == 0
    tamper = Tamperer(store_url)
    tamper.run((f"DELETE FROM {tamper.events} WHERE {tamper.position} > ?", (20,)),
               ("DELETE FROM ledger_leaves WHERE position > ?", (20,)))
    verified = _status(store_url)["verified"]
    assert isinstance(verified, dict)
    assert (verified["tree_size"], verified["matches_log"]) == (22, False)
