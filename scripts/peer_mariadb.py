"""The benchmark's MariaDB peer: an SQL:2011 bitemporal table (system versioning plus an
application-time period) holding the same fact versions as `scripts/peer_gist.py`.

The history rows are inserted with their own system times (`system_versioning_insert_history`,
MariaDB 10.11), so `FOR SYSTEM_TIME AS OF` sees the ledger's recording times, not the load's.
Skipped, with the reason, when no MariaDB server answers (LEDGER_BENCH_MARIADB, default
mysql://root@127.0.0.1:3306).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from scripts.bitemporal_rows import BitemporalRow

TABLE = "fact_versions"
# TIMESTAMP(6)'s largest value stands for "still held"; a date past every plan for "open-ended".
CURRENT = datetime(2038, 1, 19, 3, 14, 7, 999999)
FOREVER = date(9999, 12, 31)
BATCH = 5_000
QUESTION = (f"SELECT family, subject, attribute, value FROM {TABLE} FOR SYSTEM_TIME AS OF TIMESTAMP %s "
            "WHERE programme = %s AND valid_from <= %s AND valid_to > %s")


class Unavailable(Exception):
    """No MariaDB server answered (or it cannot insert history rows); the message says why."""


def _connect(database: str | None = None) -> Any:
    import pymysql

    url = urlsplit(os.environ.get("LEDGER_BENCH_MARIADB", "mysql://root@127.0.0.1:3306"))
    try:
        return pymysql.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
                               password=url.password or "", database=database, connect_timeout=3, autocommit=False,
                               init_command="SET time_zone = '+00:00'")
    except pymysql.err.OperationalError as error:
        raise Unavailable(f"no MariaDB server answered at {url.hostname}:{url.port or 3306} ({error.args[-1]})") \
            from None


@contextmanager
def scratch_database() -> Iterator[Any]:
    """A connection to a fresh database of our own, dropped afterwards."""
    name = f"ledger_bench_{uuid.uuid4().hex[:12]}"
    admin = _connect()
    try:
        version = _version(admin)
        if version < (10, 11):
            raise Unavailable(f"MariaDB {'.'.join(map(str, version))} cannot insert history rows (needs 10.11)")
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        connection = _connect(name)
        try:
            yield connection
        finally:
            connection.close()
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE {name}")
    finally:
        admin.close()


def _version(connection: Any) -> tuple[int, ...]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        text = str(cursor.fetchone()[0])
    if "MariaDB" not in text:
        raise Unavailable(f"the server at the MariaDB address is not MariaDB ({text})")
    return tuple(int(part) for part in text.split("-")[0].split(".")[:2])


def load(connection: Any, rows: Iterable[BitemporalRow]) -> int:
    """Create the table and insert every row as history with its own system period."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {TABLE} (programme VARCHAR(64) NOT NULL, family VARCHAR(32) NOT NULL,"
            " subject VARCHAR(64) NOT NULL, attribute VARCHAR(64) NOT NULL, value LONGTEXT NOT NULL,"
            " valid_from DATE NOT NULL, valid_to DATE NOT NULL,"
            " row_start TIMESTAMP(6) GENERATED ALWAYS AS ROW START, row_end TIMESTAMP(6) GENERATED ALWAYS AS ROW END,"
            " PERIOD FOR valid_time (valid_from, valid_to), PERIOD FOR SYSTEM_TIME (row_start, row_end),"
            " INDEX by_programme (programme, valid_from, valid_to)) WITH SYSTEM VERSIONING")
        cursor.execute("SET system_versioning_insert_history = 1")
        insert = (f"INSERT INTO {TABLE} (programme, family, subject, attribute, value, valid_from, valid_to,"
                  " row_start, row_end) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)")
        count, batch = 0, []
        for r in rows:
            batch.append((r.programme, r.family, r.subject, r.attribute, r.value, r.valid_from,
                          r.valid_to or FOREVER, _naive(r.known_from), _naive(r.known_to) if r.known_to else CURRENT))
            if len(batch) == BATCH:
                count += cursor.executemany(insert, batch)
                batch = []
        if batch:
            count += cursor.executemany(insert, batch)
        cursor.execute(f"ANALYZE TABLE {TABLE}")
        cursor.fetchall()
    connection.commit()
    return count


def _naive(moment: datetime) -> datetime:
    """A UTC moment as the session (time_zone '+00:00') reads it."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def latencies(connection: Any, programme: str, as_of: date, known: datetime, reps: int) -> tuple[list[float], Any]:
    """`reps` timings of the question in milliseconds, and the last answer."""
    samples, answer = [], ()
    with connection.cursor() as cursor:
        for _ in range(reps):
            started = time.perf_counter()
            cursor.execute(QUESTION, (_naive(known), programme, as_of, as_of))
            answer = cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return samples, answer
