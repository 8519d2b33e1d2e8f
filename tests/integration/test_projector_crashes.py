"""Kill the projector (and a rebuild) with SIGKILL at random points; the read model must end
equal to the pure fold, with no duplicate rows."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import psycopg
import pytest

from ledger.application import LedgerApplication, open_ledger
from ledger.changes import fact_families
from ledger.importer import import_text
from ledger.settings import StoreLocation
from projections import fold
from projections.pg_reader import PostgresReader
from projections.pg_schema import SCHEMA, fact_table
from tests.conftest import SAMPLE

ROOT = Path(__file__).parent.parent.parent
NOW = datetime(2100, 1, 1, tzinfo=UTC)
QUESTIONS = [
    date(2020, 1, 1), date(2022, 4, 1), date(2022, 12, 1), date(2023, 6, 1), date(2024, 6, 1), date(2030, 1, 1),
]


def _history(url: str, extra: int) -> LedgerApplication:
    """The sample, a correction recorded on its own, and `extra` reschedules of one wave."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines += [json.dumps({"type": "WaveRescheduled", "programme": "demo", "effective": f"2023-{1 + n % 12:02d}-01",
                          "key": f"weekly-{n}", "source": {"title": "Weekly plan"}, "wave": "w2",
                          "window": f"2024-{1 + n % 12:02d}"}) for n in range(extra)]
    app = open_ledger(StoreLocation(url))
    import_text(app, "\n".join(lines), recorded_by="crash-test")
    return app


def _ledger(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "ledger_server.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _tracking(url: str) -> int:
    with psycopg.connect(url) as connection:
        try:
            row = connection.execute(f"SELECT position FROM {SCHEMA}.tracking").fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return 0 if row is None else int(row[0])


def _schema_exists(url: str, name: str) -> bool:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (name,)).fetchone() is not None


def _kill_when(process: subprocess.Popen[bytes], ready: object, timeout: float = 60.0) -> bool:
    """SIGKILL the process once `ready()` is true; False if it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            process.communicate(timeout=10)  # closes the pipes
            return False
        if ready():  # type: ignore[operator]
            process.kill()
            process.communicate(timeout=10)
            return True
        time.sleep(0.005)
    process.kill()
    process.communicate(timeout=10)
    raise AssertionError("the process neither finished nor reached the kill point in time")


def _run_to_end(*args: str) -> str:
    process = _ledger(*args)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()
    return out.decode()


def _assert_equal_to_fold(url: str, app: LedgerApplication) -> None:
    history = app.read_all()

    async def check() -> None:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        try:
            reader = PostgresReader(pool)
            for as_of in QUESTIONS:
                for known in (history[len(history) // 2].recorded_at, NOW):
                    assert await reader.facts_at("demo", as_of, known) == fold.facts_at(history, "demo", as_of, known)
            async with pool.acquire() as connection:
                assert await connection.fetchval(f"SELECT position FROM {SCHEMA}.tracking") == history[-1].position
                assert await connection.fetchval(f"SELECT count(*) FROM {SCHEMA}.entries") == len(history)
                for family in fact_families():
                    duplicates = await connection.fetchval(
                        "SELECT count(*) - count(DISTINCT (programme, seq, subject, attribute, recorded_from, "
                        f"ordinal)) FROM {fact_table(family)}")
                    assert duplicates == 0, f"duplicate rows in {family}"
        finally:
            await pool.close()

    asyncio.run(check())


@pytest.mark.parametrize("seed", [1, 2])
def test_projector_killed_during_catch_up_ends_equal_to_the_fold(postgres_url: str, seed: int) -> None:
    app = _history(postgres_url, extra=1500)
    final = app.last_position()
    chance = random.Random(seed)
    killed_at = []
    for _ in range(3):
        # Aim well before the end, so that the kill lands before the run could finish.
        target = chance.randint(_tracking(postgres_url) + 1, _tracking(postgres_url) + (final - 400) // 4)
        process = _ledger("project", "--batch", "7", "--database", postgres_url)
        if _kill_when(process, lambda target=target: _tracking(postgres_url) >= target):
            killed_at.append(_tracking(postgres_url))
    part_way = [position for position in killed_at if 0 < position < final]
    assert part_way, f"no run was killed part-way (positions {killed_at} of {final}), so nothing was exercised"
    _run_to_end("project", "--database", postgres_url)
    _assert_equal_to_fold(postgres_url, app)
    app.close()


def test_rebuild_killed_part_way_leaves_the_old_copy_and_a_rerun_succeeds(postgres_url: str) -> None:
    app = _history(postgres_url, extra=3000)
    _run_to_end("project", "--database", postgres_url)
    before = _tracking(postgres_url)
    chance = random.Random(7)
    killed = 0
    for _ in range(3):
        delay = chance.uniform(0.0, 0.3)
        process = _ledger("rebuild", "--database", postgres_url)
        started: list[float] = []

        def copying(delay: float = delay, started: list[float] = started) -> bool:
            if not started and _schema_exists(postgres_url, f"{SCHEMA}_new"):
                started.append(time.monotonic())
            return bool(started) and time.monotonic() - started[0] >= delay

        if _kill_when(process, copying):
            killed += 1
            # Queries still answer from the old copy, which is complete.
            assert _tracking(postgres_url) == before
            _assert_equal_to_fold(postgres_url, app)
    assert killed, "no rebuild was killed part-way"
    assert "swapped in" in _run_to_end("rebuild", "--database", postgres_url)
    assert not _schema_exists(postgres_url, f"{SCHEMA}_new")
    _assert_equal_to_fold(postgres_url, app)
    app.close()
