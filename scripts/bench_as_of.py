"""The benchmark's as-of section at one history size, with everything that needs that history.

One PostgreSQL database gets the history as a real store (its stored events, written through
the ledger's recorder) plus the read model, and the DBA's GiST table beside them; MariaDB gets
the same rows as an SQL:2011 table. On that store the section also measures an API process's
memory on the PostgreSQL read model and `ledger plan` against `ledger --version`.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from eventsourcing.utils import get_topic

from ledger.application import WRITE_CHUNK, open_ledger
from ledger.codec import content_digest
from ledger.entry import RecordedEntry
from ledger.programme import ProgrammeLedger, programme_id
from ledger.settings import StoreLocation
from projections import fold
from projections.memory import InMemoryReadModel, settle_heap
from projections.pg_reader import PostgresReader
from projections.pg_rebuild import load
from projections.service import ReadService
from scripts import peer_gist, peer_mariadb
from scripts.bench_serving import clients, ledger_server, resident_mib, serving
from scripts.bench_setup import percentile, recorded_history, timed
from scripts.bitemporal_rows import BitemporalRow, bitemporal_rows
from tests import postgres

ROOT = Path(__file__).resolve().parent.parent
PLAN_ON_DATE = (ROOT / "graphql" / "operations" / "PlanOnDate.graphql").read_text(encoding="utf-8")
AS_OF = date(2021, 6, 1)
PROGRAMME = "programme-0"


def as_of_at(size: int, admin: str, query_reps: int, replay_reps: int, cli_reps: int) -> dict[str, Any]:
    """As-of latencies for a history of `size` entries (every programme: 200 actors, ~10k entries)."""
    programmes = max(1, size // 10_000)
    history = recorded_history(size, programmes)
    model = InMemoryReadModel()
    for recorded in history:
        model.apply(recorded)
    model.publish()
    settle_heap()  # as the server's catch-up does after taking in a large history
    # What an API process holding this history needs, before the benchmark's own extra copies.
    holding_mib = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    known = history[-1].recorded_at
    memory = [timed(lambda: model.plan(PROGRAMME, AS_OF, known)) * 1000 for _ in range(query_reps)]
    replay = [timed(lambda: fold.plan_at(history, PROGRAMME, AS_OF, known)) * 1000 for _ in range(replay_reps)]
    plan = model.plan(PROGRAMME, AS_OF, known)
    assert plan is not None
    facts = len(asyncio.run(model.source().facts_at(PROGRAMME, AS_OF, known)))
    rows = list(bitemporal_rows(history))
    maria = _mariadb(rows, known, query_reps, facts, len(plan.actors))
    url = postgres.create_database(admin)
    try:
        store_seconds = timed(lambda: _store(url, history))
        pg, gist = asyncio.run(_pg_as_of(url, history, rows, known, query_reps, facts, len(plan.actors)))
        del rows
        api = _api_memory(url)
        cli = _cli(url, cli_reps)
    finally:
        postgres.drop_database(admin, url)
    return {
        "entries": size, "programmes": programmes, "facts_in_answer": facts, "actors_in_plan": len(plan.actors),
        "in_memory_p50_ms": round(percentile(memory, 50), 3), "in_memory_p99_ms": round(percentile(memory, 99), 3),
        "postgres_p50_ms": round(percentile(pg, 50), 3), "postgres_p99_ms": round(percentile(pg, 99), 3),
        "naive_replay_p50_ms": round(percentile(replay, 50), 1),
        "replay_over_in_memory": round(percentile(replay, 50) / percentile(memory, 50)),
        "holding_peak_rss_mib": holding_mib, "gist": gist, "mariadb": maria,
        "store_written_entries_per_s": round(size / store_seconds), "api_postgres": api, "cli": cli,
    }


def _store(url: str, history: list[RecordedEntry]) -> None:
    """The history as the ledger's store holds it: one stored event per entry, through its recorder.

    The events are built as the aggregate builds them (without re-checking the rules, which the
    generator keeps by construction), so a 1M-entry store takes minutes rather than an import's hour.
    """
    app = open_ledger(StoreLocation(url))
    try:
        topic, stored = get_topic(ProgrammeLedger), []
        for r in history:
            fields = {"originator_id": programme_id(r.entry.programme), "originator_version": r.seq,
                      "timestamp": r.recorded_at, "entry": r.entry, "digest": content_digest(r.entry)}
            event = (ProgrammeLedger.Opened(originator_topic=topic, **fields) if r.seq == 1
                     else ProgrammeLedger.Recorded(**fields))
            stored.append(app.mapper.to_stored_event(event))
            if len(stored) == WRITE_CHUNK:
                app.recorder.insert_events(stored)
                stored = []
        if stored:
            app.recorder.insert_events(stored)
        assert app.last_position() == history[-1].position
    finally:
        app.close()


async def _pg_as_of(url: str, history: list[RecordedEntry], rows: list[BitemporalRow], known: datetime, reps: int,
                    facts: int, actors: int) -> tuple[list[float], dict[str, Any]]:
    """Ours through the PostgreSQL read model, and the GiST table's answer to the same question."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        await load(history, pool)
        reader = ReadService(PostgresReader(pool))
        samples = []
        for _ in range(reps):
            started = time.perf_counter()
            await reader.plan(PROGRAMME, AS_OF, known)
            samples.append((time.perf_counter() - started) * 1000)
        async with pool.acquire() as connection:
            loaded = await peer_gist.load(connection, rows)
    finally:
        await pool.close()
    peer, answer = await peer_gist.latencies(url, PROGRAMME, AS_OF, known, reps)
    _same_answer("the GiST table", answer, facts, actors)
    return samples, {"rows": loaded, "facts_in_answer": len(answer), "p50_ms": round(percentile(peer, 50), 3),
                     "p99_ms": round(percentile(peer, 99), 3)}


def _same_answer(peer: str, answer: Any, facts: int, actors: int) -> None:
    """A peer's answer has as many facts (and actors) as ours, or its timing would mean nothing."""
    found_actors = len({row[1] for row in answer if row[0] == "actor"})
    if len(answer) != facts or found_actors != actors:
        raise AssertionError(f"{peer} answered {len(answer)} facts of {found_actors} actors; ours {facts} of {actors}")


def _mariadb(rows: list[BitemporalRow], known: datetime, reps: int, facts: int, actors: int) -> dict[str, Any]:
    """The MariaDB peer's figures, or why it was not measured."""
    try:
        with peer_mariadb.scratch_database() as connection:
            loaded = peer_mariadb.load(connection, rows)
            samples, answer = peer_mariadb.latencies(connection, PROGRAMME, AS_OF, known, reps)
    except peer_mariadb.Unavailable as error:
        print(f"[bench] MariaDB peer not measured: {error}", file=sys.stderr, flush=True)
        return {"reason": str(error)}
    _same_answer("MariaDB's table", answer, facts, actors)
    return {"rows": loaded, "facts_in_answer": len(answer), "p50_ms": round(percentile(samples, 50), 3),
            "p99_ms": round(percentile(samples, 99), 3)}


def _api_memory(url: str) -> dict[str, int]:
    """An API process on the PostgreSQL read model: its memory after a burst of PlanOnDate queries."""
    body = {"query": PLAN_ON_DATE, "variables": {"programmeId": PROGRAMME, "asOf": AS_OF.isoformat()}}
    env = {"LEDGER_PUBLIC_READS": "1", "LEDGER_GRAPHIQL": "0", "LEDGER_RESPONSE_CACHE": "0",
           "LEDGER_READ_MODEL": "postgres"}
    with serving(ledger_server(url), env) as (port, pid):
        asyncio.run(clients(port, 2.0, lambda _n: body, concurrency=4))
        return resident_mib(pid)


def _cli(url: str, reps: int) -> dict[str, float]:
    """Median wall time of `ledger plan` on the store against `ledger --version`."""
    def wall(*arguments: str) -> float:
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ledger_server.cli", *arguments], cwd=ROOT, check=True,
                           capture_output=True)
            times.append(time.perf_counter() - started)
        return round(statistics.median(times), 3)

    plan, version = wall("plan", PROGRAMME, "--database", url, "--as-of", AS_OF.isoformat()), wall("--version")
    return {"plan_s": plan, "version_s": version, "ratio": round(plan / version, 2)}
