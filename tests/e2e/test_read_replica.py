"""LEDGER_READ_DATABASE_URL: queries read from a real streaming replica, and read-your-writes still
holds: a mutation answers only once the replica it will be read from has its entry.

The replica is a private pair of clusters (initdb, pg_basebackup -R) made for this test, never the
shared server; the standby applies WAL one second late (recovery_min_apply_delay), so a server that
answered before the replica had the entry would be caught by the query that follows.
"""

from __future__ import annotations

import io
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from ledger_server.cli import main
from tests.conftest import SAMPLE
from tests.e2e.client import GraphQL, Tokens, assess_status, recorded
from tests.e2e.servers import free_port, ledger_process

BIN = Path("/usr/lib/postgresql/15/bin")
APPLY_DELAY = "1s"


@dataclass(frozen=True)
class Pair:
    primary: str
    replica: str


def _as_postgres(*command: str) -> None:
    # initdb and pg_ctl refuse to run as root; run them as the postgres account when we are root.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)


@pytest.fixture
def pair() -> Iterator[Pair]:
    folder = Path(tempfile.mkdtemp(prefix="ledger-replica-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
    primary_port, replica_port = free_port(), free_port()
    started: list[Path] = []
    try:
        _as_postgres(str(BIN / "initdb"), "-D", str(folder / "primary"), "-U", "postgres", "-A", "trust")
        started.append(folder / "primary")  # stopped in the end even if starting fails part-way
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(folder / "primary"), "-l", str(folder / "primary.log"),
                     "-w", "start", "-o",
                     f"-p {primary_port} -k {folder} -c listen_addresses=127.0.0.1")
        _as_postgres(str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
                     "-D", str(folder / "replica"), "-R", "-X", "stream")
        started.append(folder / "replica")
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(folder / "replica"), "-l", str(folder / "replica.log"),
                     "-w", "start", "-o",
                     f"-p {replica_port} -k {folder} -c listen_addresses=127.0.0.1 "
                     f"-c recovery_min_apply_delay={APPLY_DELAY}")
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{primary_port}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE ledger")
        _wait_for_database(f"postgresql://postgres@127.0.0.1:{replica_port}/ledger")  # replayed a second late
        yield Pair(f"postgresql://postgres@127.0.0.1:{primary_port}/ledger",
                   f"postgresql://postgres@127.0.0.1:{replica_port}/ledger")
    finally:
        for data in reversed(started):
            if (data / "postmaster.pid").exists():
                _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_database(url: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            with psycopg.connect(url, connect_timeout=5):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _replica_connections(pair: Pair) -> int:
    with psycopg.connect(pair.replica) as connection:
        row = connection.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'ledger' "
                                 "AND pid <> pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])


def test_queries_read_the_replica_and_still_see_the_write_just_answered(tmp_path: Path, pair: Pair) -> None:
    assert main(["import", str(SAMPLE), "--database", pair.primary], out=io.StringIO(), err=io.StringIO()) == 0
    tokens = Tokens.create(pair.primary)
    env = {"LEDGER_READ_DATABASE_URL": pair.replica}
    with ledger_process(tmp_path, "serve", "--database", pair.primary, env=env) as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as http:
        writer, reader = GraphQL(http, tokens.recorder), GraphQL(http, tokens.reader)
        missing = []
        for n in range(3):
            position = recorded(assess_status(writer, "demo", "2024-02-01", f"replica {n}"))["position"]
            page = reader.data('{ events(first: 500, types: ["StatusAssessed"]) { edges { node { position } } } }')
            if position not in {edge["node"]["position"] for edge in page["events"]["edges"]}:
                missing.append(position)
        connected = _replica_connections(pair)
    assert missing == []
    assert connected > 0  # the server's reader is connected to the replica


def test_a_read_database_that_is_not_postgresql_is_refused(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["import", str(SAMPLE), "--database", sqlite_url], out=io.StringIO(), err=io.StringIO()) == 0
    monkeypatch.setenv("LEDGER_READ_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/replica")
    out, err = io.StringIO(), io.StringIO()
    assert main(["serve", "--database", sqlite_url], out=out, err=err) == 2
    assert err.getvalue().startswith("error [INVALID_INPUT]: LEDGER_READ_DATABASE_URL: ")
    assert "is a PostgreSQL replica of a PostgreSQL store" in err.getvalue()
