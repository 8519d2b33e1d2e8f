"""Find a PostgreSQL server for tests (DESIGN section 7) and make throwaway databases on it.

Order: LEDGER_TEST_DATABASE_URL; else postgresql://postgres@127.0.0.1:5432/postgres if it
answers; else a private cluster started with initdb/pg_ctl if they are installed; else a
clear error. Every database made here is dropped again.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _start_private_cluster() -> str | None:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        return None
    folder = tempfile.mkdtemp(prefix="ledger-pg-")
    data = os.path.join(folder, "data")
    port = 55432
    subprocess.run([initdb, "-D", data, "-U", "postgres", "-A", "trust"], check=True, capture_output=True)
    subprocess.run(
        [pg_ctl, "-D", data, "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "-w", "start"],
        check=True, capture_output=True,
    )
    atexit.register(lambda: subprocess.run([pg_ctl, "-D", data, "-m", "fast", "stop"], capture_output=True))
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def server_url() -> str:
    """The admin URL of a PostgreSQL server the tests may create databases on."""
    configured = os.environ.get("LEDGER_TEST_DATABASE_URL")
    if configured:
        if not _answers(configured):
            raise RuntimeError(f"LEDGER_TEST_DATABASE_URL={configured!r} does not answer")
        return configured
    if _answers(DEFAULT_URL):
        return DEFAULT_URL
    started = _start_private_cluster()
    if started and _answers(started):
        return started
    raise RuntimeError(
        "no PostgreSQL for the tests: set LEDGER_TEST_DATABASE_URL, run a server at "
        "127.0.0.1:5432 (user postgres, trust auth), or install initdb/pg_ctl"
    )


def create_database(admin_url: str) -> str:
    """Create an empty database and return its URL."""
    name = f"ledger_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(admin_url: str, url: str) -> None:
    """Drop a database made by `create_database`, closing its connections first."""
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PrivateCluster:
    """A PostgreSQL server of the test's own (initdb/pg_ctl in a temp dir), to stop and start at will.

    Fault tests use it to cause a real outage without touching any server other tests share.
    """

    def __init__(self, port: int) -> None:
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("fault tests need initdb and pg_ctl (PostgreSQL server binaries)")
        self.pg_ctl = pg_ctl
        self.folder = tempfile.mkdtemp(prefix="ledger-fault-pg-")
        self.data = os.path.join(self.folder, "data")
        self.port = port
        self._prefix: list[str] = []
        if os.geteuid() == 0:
            # The server refuses to run as root: run it as the packaged `postgres` user.
            shutil.chown(self.folder, "postgres")
            self._prefix = ["runuser", "-u", "postgres", "--"]
        self._run([initdb, "-D", self.data, "-U", "postgres", "-A", "trust"])

    def _run(self, command: list[str], check: bool = True) -> None:
        subprocess.run([*self._prefix, *command], check=check, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run([self.pg_ctl, "-D", self.data, "-o", options, "-l", os.path.join(self.folder, "log"), "-w", "start"])

    def stop(self) -> None:
        """A fast shutdown: sessions are ended and transactions in flight rolled back."""
        self._run([self.pg_ctl, "-D", self.data, "-m", "fast", "-w", "stop"])

    def remove(self) -> None:
        self._run([self.pg_ctl, "-D", self.data, "-m", "immediate", "stop"], check=False)
        shutil.rmtree(self.folder, ignore_errors=True)
