"""The CLI against a store it cannot reach: one `error [STORE_UNAVAILABLE]` line, exit 2, no traceback.

Four ways a PostgreSQL URL can fail: nothing listens on the port (refused), something accepts
the connection but never answers (the connect timeout), the database does not exist, the
role does not exist. Each command that touches the store is run as a real process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.e2e.servers import environment, free_port

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [["plan"], ["rebuild"], ["migrate"], ["project"], ["serve", "--port", "1"],
            ["token", "create", "--role", "reader"], ["import", "helseplattformen"]]
HANG_GUARD_SECONDS = 30  # the old behaviour was a 30 s hang; any answer at all comes well before


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never says anything."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(200)
        yield listener.getsockname()[1]


def _urls(silent_port: int, server: str) -> dict[str, str]:
    parts = urlsplit(server)
    base = f"{parts.hostname}:{parts.port or 5432}"
    return {
        "refused": f"postgresql://postgres@127.0.0.1:{free_port()}/ledger",
        "silent": f"postgresql://postgres@127.0.0.1:{silent_port}/ledger",
        "no-such-database": f"postgresql://{parts.username or 'postgres'}@{base}/ledger_no_such_db_wt14",
        "no-such-role": f"postgresql://ledger_no_such_role@{base}/postgres",
    }


CAUSES = {
    "refused": "Connection refused",
    "silent": "timeout",
    "no-such-database": 'database "ledger_no_such_db_wt14" does not exist',
    "no-such-role": 'role "ledger_no_such_role" does not exist',
}


@pytest.mark.parametrize("failure", list(CAUSES))
@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_an_unreachable_store_is_one_line_and_exit_2(
    silent_port: int, postgres_server: str, failure: str, command: list[str]
) -> None:
    url = _urls(silent_port, postgres_server)[failure]
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "ledger_server.cli", *command, "--database", url], cwd=ROOT, env=environment(),
        capture_output=True, text=True, timeout=HANG_GUARD_SECONDS, check=False,
    )
    elapsed = time.monotonic() - started
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    parts = urlsplit(url)
    assert lines[0].startswith(f"error [STORE_UNAVAILABLE]: cannot reach the store at postgresql://{parts.username}@"
                               f"{parts.hostname}:{parts.port}{parts.path}: "), lines[0]
    assert CAUSES[failure] in lines[0], lines[0]
    print(f"{failure} {command[0]}: {elapsed:.2f}s")  # the figures the issue asks about, shown with -s


def test_nothing_was_created_for_a_database_that_does_not_exist(postgres_server: str) -> None:
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        found = connection.execute(
            "SELECT count(*) FROM pg_database WHERE datname = 'ledger_no_such_db_wt14'").fetchone()
    assert found == (0,)
