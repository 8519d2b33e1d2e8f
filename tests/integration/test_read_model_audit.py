"""The PostgreSQL read model records the log's tree size it covers, and `ledger verify --read-model`
holds its entries against the log: a read-model row changed behind the projector's back is named."""

from __future__ import annotations

from io import StringIO

import psycopg

from ledger_server.cli import main
from projections.pg_schema import META, SCHEMA
from tests.conftest import SAMPLE

ENTRIES = 22


def ledger(database: str, *argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = main([*argv, "--database", database], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _tracking(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as connection:
        row = connection.execute(f"SELECT position, tree_size FROM {SCHEMA}.tracking").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _projected(url: str) -> str:
    assert ledger(url, "import", str(SAMPLE))[0] == 0
    assert ledger(url, "project")[0] == 0
    return url


def test_the_projector_and_the_rebuild_record_the_tree_size_they_cover(postgres_url: str) -> None:
    url = _projected(postgres_url)
    assert _tracking(url) == (ENTRIES, ENTRIES)
    code, out, _ = ledger(url, "verify", "--read-model")
    assert code == 0, out
    assert f"read model: matches the log's {ENTRIES} entries up to position {ENTRIES}" in out
    assert ledger(url, "rebuild")[0] == 0
    assert _tracking(url) == (ENTRIES, ENTRIES)


def test_a_read_model_made_before_tree_sizes_gets_it_when_migrated(postgres_url: str) -> None:
    url = _projected(postgres_url)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"ALTER TABLE {SCHEMA}.tracking DROP COLUMN tree_size")
        connection.execute(f"DELETE FROM {META}.version WHERE version = 2")
    code, out, _ = ledger(url, "migrate")
    assert (code, out) == (0, "read model schema at version 2\n")
    assert _tracking(url) == (ENTRIES, ENTRIES)


def test_a_changed_read_model_entry_is_named_and_verify_fails(postgres_url: str) -> None:
    url = _projected(postgres_url)
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            f"SELECT position, entry_id FROM {SCHEMA}.entries WHERE type = 'AllocationMade'").fetchone()
        assert row is not None
        position, forged = row
        connection.execute(f"UPDATE {SCHEMA}.entries SET entry = jsonb_set(entry, '{{amount}}', '\"5000000000\"') "
                           "WHERE position = %s", (position,))
        connection.execute(f"DELETE FROM {SCHEMA}.entries WHERE position = 2")
    code, out, _ = ledger(url, "verify", "--read-model")
    assert code == 1
    assert "verified 22 entries" in out  # the log itself is whole
    assert "read model: position 2: the log's entry here is missing from the read model" in out
    assert f"read model: position {position}: the read model's copy of {forged} differs from the log's" in out


def test_a_read_model_claiming_another_tree_size_is_refused(postgres_url: str) -> None:
    url = _projected(postgres_url)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"UPDATE {SCHEMA}.tracking SET tree_size = 30")
    code, out, _ = ledger(url, "verify", "--read-model")
    assert code == 1
    assert f"read model: says it covers 30 entries up to position {ENTRIES}; the log has {ENTRIES}" in out


def test_read_model_verification_on_sqlite_is_refused_and_writes_nothing(sqlite_url: str) -> None:
    assert ledger(sqlite_url, "import", str(SAMPLE))[0] == 0
    code, out, err = ledger(sqlite_url, "verify", "--read-model")
    assert (code, out) == (2, "")
    assert err == ("error [INVALID_INPUT]: read-model: --read-model checks the PostgreSQL read model; a SQLite "
                   "store has none (it is rebuilt in memory from the log every time)\n")
    code, out, _ = ledger(sqlite_url, "verify")
    assert (code, f"verified {ENTRIES} entries up to position {ENTRIES}" in out) == (0, True)
