"""The benchmark suite: every figure next to a baseline measured in the same run.

    scripts/bench --quick            # the CI smoke run, under a minute
    scripts/bench                    # the full run, under 15 minutes
    scripts/bench --output bench.json

Ratios matter more than absolute times, which drift from run to run. Needs a PostgreSQL
server (found as the tests find one: LEDGER_TEST_DATABASE_URL or 127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import psycopg  # noqa: E402
from eventsourcing.persistence import StoredEvent  # noqa: E402
from graphql import build_schema as build_plain_schema  # noqa: E402
from graphql import execute as plain_execute  # noqa: E402
from graphql import parse  # noqa: E402

from ledger import append_only  # noqa: E402
from ledger.application import WRITE_CHUNK, LedgerApplication, RecordedEntry, open_ledger  # noqa: E402
from ledger.codec import decode_entry  # noqa: E402
from ledger.importer import import_text  # noqa: E402
from ledger.leaves import leaf_of_row  # noqa: E402
from ledger.settings import StoreLocation  # noqa: E402
from ledger.verify import verify_log  # noqa: E402
from projections import fold  # noqa: E402
from projections.memory import InMemoryReadModel, settle_heap  # noqa: E402
from projections.pg_reader import PostgresReader  # noqa: E402
from projections.pg_rebuild import load, rebuild  # noqa: E402
from projections.service import ReadService  # noqa: E402
from scripts.synthetic_history import generate  # noqa: E402
from tests import postgres  # noqa: E402

PLAN_ON_DATE = (ROOT / "graphql" / "operations" / "PlanOnDate.graphql").read_text(encoding="utf-8")
AS_OF = date(2021, 6, 1)


@dataclass(frozen=True)
class Mode:
    """Sizes and durations of one run."""

    name: str
    import_entries: int
    appends: int
    small: int
    large: int
    query_reps: int
    replay_reps: int
    load_seconds: float
    verify_entries: int = 2_000
    leaf_cost_entries: int = 1_000


QUICK = Mode("quick", import_entries=2_000, appends=30, small=10_000, large=30_000, query_reps=30, replay_reps=3,
             load_seconds=2.0)
FULL = Mode("full", import_entries=100_000, appends=300, small=10_000, large=1_000_000, query_reps=200,
            replay_reps=3, load_seconds=15.0, verify_entries=1_000_000, leaf_cost_entries=20_000)


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0..100) of samples, by nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def lines(entries: int, programmes: int = 1) -> list[str]:
    return [json.dumps(line) for line in generate(entries, programmes=programmes, actors=200, waves=12, seed=7)]


@contextmanager
def stores(admin: str, tmp: Path, name: str) -> Iterator[dict[str, str]]:
    """A fresh SQLite file and a fresh PostgreSQL database."""
    url = postgres.create_database(admin)
    try:
        yield {"sqlite": f"sqlite:///{tmp / (name + '.db')}", "postgres": url}
    finally:
        postgres.drop_database(admin, url)


# -- a. import -----------------------------------------------------------------------------


def bench_import(mode: Mode, admin: str, tmp: Path, ours: dict[str, str]) -> dict[str, Any]:
    """Import into `ours` (kept for the rebuild step) and insert the same events raw elsewhere."""
    text = "\n".join(lines(mode.import_entries))
    results: dict[str, Any] = {}
    with stores(admin, tmp, "raw") as raw:
        for store in ("sqlite", "postgres"):
            app = open_ledger(StoreLocation(ours[store]))
            seconds = timed(lambda app=app: import_text(app, text, recorded_by="bench"))
            stored = [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
                      for n in app.recorder.select_notifications(start=1, limit=mode.import_entries + 10)]
            app.close()
            baseline = open_ledger(StoreLocation(raw[store]))
            # The same stored events, in the same batch sizes as the import writes them.
            raw_seconds = timed(lambda b=baseline, s=stored: [
                b.recorder.insert_events(s[i:i + WRITE_CHUNK]) for i in range(0, len(s), WRITE_CHUNK)])
            baseline.close()
            ours_rate, raw_rate = mode.import_entries / seconds, len(stored) / raw_seconds
            results[store] = {"entries": mode.import_entries, "entries_per_s": round(ours_rate),
                              "eventsourcing_insert_per_s": round(raw_rate), "ratio": round(ours_rate / raw_rate, 3)}
    return results


# -- verifiable log --------------------------------------------------------------------------


def _without_leaves(url: str) -> LedgerApplication:
    """The ledger as it was before leaf hashes: eventsourcing's own recorder, same triggers."""
    location = StoreLocation(url)
    app = LedgerApplication(env=location.eventsourcing_env())
    recorders: list[Any] = [app.recorder, *([app.snapshots.recorder] if app.snapshots is not None else [])]
    append_only.protect(recorders, postgres=location.is_postgres)
    return app


def _raw_copy(source: LedgerApplication, target: LedgerApplication, entries: int) -> None:
    """Copy `entries` stored events (repeating the source's) into `target` through its recorder."""
    stored = [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
              for n in source.recorder.select_notifications(start=1, limit=entries)]
    copied = 0
    while copied < entries:
        # Later rounds re-use the events under fresh programme ids, so every row is new.
        offset = copied // len(stored)
        batch = [StoredEvent(e.originator_id if offset == 0 else uuid.uuid5(e.originator_id, str(offset)),
                             e.originator_version, e.topic, e.state)
                 for e in stored[:entries - copied]]
        for i in range(0, len(batch), WRITE_CHUNK):
            target.recorder.insert_events(batch[i:i + WRITE_CHUNK])
        copied += len(batch)


def _import_with_and_without_leaves(
    bare: str, leafy: str, text: str, admin: str, rounds: int = 3
) -> tuple[float, float]:
    """Best-of-`rounds` import times into fresh stores without and with leaf hashes, alternating.

    On a shared machine one import of each varies by more than the leaves cost, so the rounds
    alternate and the fastest of each kind is kept.
    """
    times: dict[bool, list[float]] = {False: [], True: []}
    for round_ in range(rounds):
        for leaves in (round_ % 2 == 0, round_ % 2 == 1):
            url = _fresh(leafy if leaves else bare, admin, f"r{round_}")
            app = open_ledger(StoreLocation(url)) if leaves else _without_leaves(url)
            times[leaves].append(timed(lambda a=app: import_text(a, text, recorded_by="bench")))
            app.close()
    return min(times[False]), min(times[True])


def _fresh(url: str, admin: str, name: str) -> str:
    """An empty store beside `url`: a new SQLite file, or an emptied PostgreSQL database."""
    if not url.startswith("postgresql"):
        return url.removesuffix(".db") + f"-{name}.db"
    postgres.drop_database(admin, url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{url.rpartition("/")[2]}"')
    return url


def bench_verify(mode: Mode, admin: str, tmp: Path, imported: dict[str, str]) -> dict[str, Any]:
    """`ledger verify`'s rate over a large log, against hashing the same rows alone; and what leaves add to import."""
    text = "\n".join(lines(mode.leaf_cost_entries))
    results: dict[str, Any] = {}
    with stores(admin, tmp, "verify") as big, stores(admin, tmp, "leafless") as bare, \
            stores(admin, tmp, "leafy") as leafy:
        for store in ("sqlite", "postgres"):
            source = open_ledger(StoreLocation(imported[store]))
            app = open_ledger(StoreLocation(big[store]))
            _raw_copy(source, app, mode.verify_entries)
            source.close()
            leaves = app.leaf_store()
            seconds = timed(lambda leaves=leaves: verify_log(leaves))
            rows = [row for batch in leaves.raw_rows(leaves.last_position()) for row in batch]
            hashing = timed(lambda rows=rows: [leaf_of_row(row) for row in rows])
            app.close()
            del rows
            plain, hashed = _import_with_and_without_leaves(bare[store], leafy[store], text, admin)
            results[store] = {
                "entries": mode.verify_entries, "verify_entries_per_s": round(mode.verify_entries / seconds),
                "leaf_hashing_entries_per_s": round(mode.verify_entries / hashing),
                "import_entries": mode.leaf_cost_entries,
                "import_without_leaves_per_s": round(mode.leaf_cost_entries / plain),
                "import_with_leaves_per_s": round(mode.leaf_cost_entries / hashed),
                "import_extra_cost": round(hashed / plain - 1, 3),
            }
    return results


# -- b. append latency ---------------------------------------------------------------------


def bench_append(mode: Mode, admin: str, tmp: Path) -> dict[str, Any]:
    history = "\n".join(lines(mode.small))
    results: dict[str, Any] = {}
    with stores(admin, tmp, "append") as urls:
        for store, url in urls.items():
            app = open_ledger(StoreLocation(url))
            import_text(app, history, recorded_by="bench")
            samples = []
            for n in range(mode.appends):
                entry = decode_entry({"type": "WaveRescheduled", "programme": "programme-0", "effective": "2030-01-01",
                                      "key": f"append-{n}", "source": {"title": "bench"}, "wave": "wave-1",
                                      "window": "2031-Q1"}, recorded_by="bench", require_source=True)
                samples.append(timed(lambda e=entry, a=app: a.record(e)) * 1000)
            app.close()
            results[store] = {"on_stream_of": mode.small, "p50_ms": round(percentile(samples, 50), 2),
                              "p99_ms": round(percentile(samples, 99), 2)}
    return results


# -- c. rebuild ----------------------------------------------------------------------------


async def _raw_fetch_and_copy(url: str, count: int) -> float:
    connection = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        rows = await connection.fetch("SELECT originator_id, originator_version, topic, state FROM ledger_events")
        await connection.execute("CREATE TEMP TABLE copy_baseline (a uuid, b integer, c text, d bytea)")
        await connection.copy_records_to_table("copy_baseline", records=[tuple(r) for r in rows])
        seconds = time.perf_counter() - started
        assert len(rows) == count
        return seconds
    finally:
        await connection.close()


def bench_rebuild(mode: Mode, imported: dict[str, str]) -> dict[str, Any]:
    """Rebuild both read models from the PostgreSQL store the import step filled."""
    url = imported["postgres"]
    app = open_ledger(StoreLocation(url))
    memory_seconds = timed(lambda: InMemoryReadModel().catch_up(app))

    async def pg_rebuild() -> float:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        try:
            return await _timed_coroutine(rebuild(app, pool))
        finally:
            await pool.close()

    pg_seconds = asyncio.run(pg_rebuild())
    raw_seconds = asyncio.run(_raw_fetch_and_copy(url, mode.import_entries))
    app.close()
    n = mode.import_entries
    return {
        "entries": n,
        "in_memory_entries_per_s": round(n / memory_seconds),
        "postgres_entries_per_s": round(n / pg_seconds),
        "raw_fetch_and_copy_entries_per_s": round(n / raw_seconds),
        "postgres_ratio": round(raw_seconds / pg_seconds, 3),
    }


async def _timed_coroutine(coroutine: Any) -> float:
    started = time.perf_counter()
    await coroutine
    return time.perf_counter() - started


# -- d. as-of queries ----------------------------------------------------------------------


def recorded_history(entries: int, programmes: int) -> list[RecordedEntry]:
    """A history as the store would hand it out, built without a store (for the 1M case)."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    seqs: dict[str, int] = {}
    found = []
    for position, line in enumerate(generate(entries, programmes=programmes, actors=200, waves=12, seed=7), start=1):
        entry = decode_entry(line, recorded_by="bench", require_source=True)
        seqs[entry.programme] = seqs.get(entry.programme, 0) + 1
        found.append(RecordedEntry(position, seqs[entry.programme], moment + timedelta(microseconds=position), entry))
    return found


def as_of_at(size: int, admin: str, query_reps: int, replay_reps: int) -> dict[str, Any]:
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
    memory = [timed(lambda: model.plan("programme-0", AS_OF, known)) * 1000 for _ in range(query_reps)]
    replay = [timed(lambda: fold.plan_at(history, "programme-0", AS_OF, known)) * 1000 for _ in range(replay_reps)]
    pg = asyncio.run(_pg_as_of(admin, history, known, query_reps))
    plan = model.plan("programme-0", AS_OF, known)
    assert plan is not None
    return {
        "entries": size, "programmes": programmes, "actors_in_plan": len(plan.actors),
        "in_memory_p50_ms": round(percentile(memory, 50), 3), "in_memory_p99_ms": round(percentile(memory, 99), 3),
        "postgres_p50_ms": round(percentile(pg, 50), 3), "postgres_p99_ms": round(percentile(pg, 99), 3),
        "naive_replay_p50_ms": round(percentile(replay, 50), 1),
        "replay_over_in_memory": round(percentile(replay, 50) / percentile(memory, 50)),
        "holding_peak_rss_mib": holding_mib,
    }


def bench_as_of(mode: Mode, admin: str) -> dict[str, Any]:
    """The small history in this process; the large one in a child that also reports its memory."""
    results: dict[str, Any] = {"small": as_of_at(mode.small, admin, mode.query_reps, mode.replay_reps)}
    child = subprocess.run([sys.executable, __file__, "--as-of-child", str(mode.large), str(mode.query_reps),
                            str(mode.replay_reps)], cwd=ROOT, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    results["large"] = json.loads(child.stdout.strip().splitlines()[-1])
    results["large_over_small_in_memory"] = round(
        results["large"]["in_memory_p50_ms"] / results["small"]["in_memory_p50_ms"], 2)
    results["large_over_small_postgres"] = round(
        results["large"]["postgres_p50_ms"] / results["small"]["postgres_p50_ms"], 2)
    return results


async def _pg_as_of(admin: str, history: list[RecordedEntry], known: datetime, reps: int) -> list[float]:
    url = postgres.create_database(admin)
    try:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        try:
            await load(history, pool)
            reader = ReadService(PostgresReader(pool))
            samples = []
            for _ in range(reps):
                started = time.perf_counter()
                await reader.plan("programme-0", AS_OF, known)
                samples.append((time.perf_counter() - started) * 1000)
            return samples
        finally:
            await pool.close()
    finally:
        postgres.drop_database(admin, url)


# -- e. GraphQL end to end -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _load(port: int, seconds: float, concurrency: int = 16) -> list[float]:
    body = {"query": PLAN_ON_DATE, "operationName": "PlanOnDate",
            "variables": {"programmeId": "programme-0", "asOf": AS_OF.isoformat()}}
    samples: list[float] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = await client.post("/graphql", json=body)
                assert response.status_code == 200, response.text[:300]
                assert "errors" not in response.json(), response.text[:300]
                samples.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _plain_resolver(source: Any, info: Any, **args: Any) -> Any:
    value = getattr(source, _snake(info.field_name), None)
    return value(**{_snake(k): v for k, v in args.items()}) if callable(value) else value


def _execution_overhead(tmp: Path, history_text: str, reps: int) -> dict[str, Any]:
    """strawberry executing PlanOnDate in-process against graphql-core on the same objects."""
    from ledger_server.schema import build_schema
    from ledger_server.settings import ApiSettings
    from ledger_server.types import programme_of

    url = f"sqlite:///{tmp / 'overhead.db'}"
    app = open_ledger(StoreLocation(url))
    import_text(app, history_text, recorded_by="bench")
    model = InMemoryReadModel()
    model.catch_up(app)
    app.close()
    plan = model.plan("programme-0", AS_OF, datetime.now(UTC))
    assert plan is not None

    class CachedReader:  # the same plan for both engines: this compares execution only
        position = 0

        async def plan(self, *_: Any) -> Any:
            return plan

    class Services:
        reader = CachedReader()
        settings = ApiSettings(store=StoreLocation(url), public_reads=True)

    class Context:
        services = Services()
        reader = services.reader
        request_id = "bench"

        def require_read(self) -> None:
            return None

    schema = build_schema(ApiSettings(store=StoreLocation(url)))
    variables = {"programmeId": "programme-0", "asOf": AS_OF.isoformat()}

    async def strawberry_run() -> None:
        result = await schema.execute(PLAN_ON_DATE, variable_values=variables, context_value=Context())
        assert result.errors is None, result.errors

    plain_schema = build_plain_schema((ROOT / "graphql" / "schema.graphql").read_text(encoding="utf-8"))
    document = parse(PLAN_ON_DATE)

    class Root:
        def programme(self, **_: Any) -> Any:
            return programme_of(plan)

    def plain_run() -> None:
        result = plain_execute(plain_schema, document, root_value=Root(), variable_values=variables,
                               field_resolver=_plain_resolver)
        assert not getattr(result, "errors", None), result

    loop = asyncio.new_event_loop()
    try:
        ours = [timed(lambda: loop.run_until_complete(strawberry_run())) * 1000 for _ in range(reps)]
    finally:
        loop.close()
    plain = [timed(plain_run) * 1000 for _ in range(reps)]
    return {"strawberry_p50_ms": round(percentile(ours, 50), 3), "graphql_core_p50_ms": round(percentile(plain, 50), 3),
            "overhead_ratio": round(percentile(ours, 50) / percentile(plain, 50), 2)}


def _serve_and_load(url: str, seconds: float, *, cache: bool) -> list[float]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LEDGER_PUBLIC_READS": "1", "LEDGER_GRAPHIQL": "0",
           "LEDGER_RESPONSE_CACHE": "1" if cache else "0"}
    command = [sys.executable, "-m", "ledger_server.cli", "serve", "--database", url, "--port", str(port)]
    server = subprocess.Popen(command,
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        return asyncio.run(_load(port, seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)


def bench_graphql(mode: Mode, tmp: Path) -> dict[str, Any]:
    """PlanOnDate through a real uvicorn: with the response cache (as deployed) and without it."""
    history = "\n".join(lines(mode.small))
    url = f"sqlite:///{tmp / 'graphql.db'}"
    app = open_ledger(StoreLocation(url))
    import_text(app, history, recorded_by="bench")
    app.close()
    cached = _serve_and_load(url, mode.load_seconds, cache=True)
    uncached = _serve_and_load(url, mode.load_seconds / 3, cache=False)
    return {
        "entries": mode.small, "concurrency": 16, "requests": len(cached),
        "requests_per_s": round(len(cached) / mode.load_seconds),
        "p50_ms": round(percentile(cached, 50), 2), "p99_ms": round(percentile(cached, 99), 2),
        "uncached_requests_per_s": round(len(uncached) / (mode.load_seconds / 3)),
        "uncached_p50_ms": round(percentile(uncached, 50), 2), "uncached_p99_ms": round(percentile(uncached, 99), 2),
        **_execution_overhead(tmp, history, mode.query_reps),
    }


# -- f. memory -----------------------------------------------------------------------------


def bench_memory(as_of: dict[str, Any]) -> dict[str, Any]:
    """Peak resident memory of the child that held the large history's read model (in bench_as_of)."""
    large = as_of["large"]
    return {"entries": large["entries"], "peak_rss_mib": large["holding_peak_rss_mib"]}


# -- report --------------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Each target of the issue with the measured figure and whether it is met."""
    a, b, c, d, e, f = (results[k] for k in ("import", "append", "rebuild", "as_of", "graphql", "memory"))
    large = d["large"]
    return [*_main_targets(a, b, c, d, e, f, large), *verify_targets(results["verify"])]


def verify_targets(v: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """The verifiable log's targets: verify at least 100k entries/s, leaf hashes cost import at most 10%."""
    found: list[tuple[str, str, bool]] = []
    for store, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        rate, extra = v[store]["verify_entries_per_s"], v[store]["import_extra_cost"]
        found.append((f"ledger verify >= 100k entries/s ({name})", f"{rate}/s at {v[store]['entries']}",
                      rate >= 100_000))
        found.append((f"leaf hashes add <= 10% to import ({name})", f"{round(extra * 100, 1)}%", extra <= 0.10))
    return found


def _main_targets(a: Any, b: Any, c: Any, d: Any, e: Any, f: Any, large: Any) -> list[tuple[str, str, bool]]:
    return [
        ("as-of p50 in memory <= 2 ms", f"{large['in_memory_p50_ms']} ms", large["in_memory_p50_ms"] <= 2),
        ("as-of p50 PostgreSQL <= 10 ms", f"{large['postgres_p50_ms']} ms", large["postgres_p50_ms"] <= 10),
        ("as-of p50 large / small <= 1.5 (memory)", f"{d['large_over_small_in_memory']}",
         d["large_over_small_in_memory"] <= 1.5),
        ("as-of p50 large / small <= 1.5 (PostgreSQL)", f"{d['large_over_small_postgres']}",
         d["large_over_small_postgres"] <= 1.5),
        (">= 1000x faster than naive replay (large)", f"{large['replay_over_in_memory']}x",
         large["replay_over_in_memory"] >= 1000),
        ("import >= 0.8x eventsourcing insert (SQLite)", f"{a['sqlite']['ratio']}x", a["sqlite"]["ratio"] >= 0.8),
        ("import >= 0.8x eventsourcing insert (PostgreSQL)", f"{a['postgres']['ratio']}x",
         a["postgres"]["ratio"] >= 0.8),
        ("append p50 <= 10 ms (PostgreSQL)", f"{b['postgres']['p50_ms']} ms", b["postgres"]["p50_ms"] <= 10),
        ("in-memory rebuild >= 100k entries/s", f"{c['in_memory_entries_per_s']}/s",
         c["in_memory_entries_per_s"] >= 100_000),
        ("PostgreSQL rebuild >= 0.5x raw fetch+COPY", f"{c['postgres_ratio']}x", c["postgres_ratio"] >= 0.5),
        ("GraphQL PlanOnDate >= 300 req/s", f"{e['requests_per_s']}/s", e["requests_per_s"] >= 300),
        ("execution overhead <= 1.3x graphql-core", f"{e['overhead_ratio']}x", e["overhead_ratio"] <= 1.3),
        ("API process <= 1 GiB with the large history", f"{f['peak_rss_mib']} MiB at {f['entries']}",
         f["peak_rss_mib"] <= 1024),
    ]


def table(results: dict[str, Any]) -> str:
    rows = [("target", "measured", "met")] + [(t, m, "met" if ok else "MISSED") for t, m, ok in targets(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines_ = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines_.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(f"| {line} |" for line in lines_)


def markdown(results: dict[str, Any]) -> str:
    """The README's performance table for a run."""
    m = results["machine"]
    head = (f"{results['mode'].title()} run of {m['date'][:10]} on {m['cpus']} cores, {m['platform']}, "
            f"Python {m['python']} (`docs/bench-full.json`):\n\n")
    rows = ["| target | measured | |", "|---|---|---|"]
    rows += [f"| {t['target']} | {t['measured']} | {'met' if t['met'] else '**missed**'} |" for t in results["targets"]]
    return head + "\n".join(rows) + "\n"


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def run(mode: Mode, output: Path | None, only: frozenset[str] = frozenset()) -> dict[str, Any]:
    admin = postgres.server_url()
    results: dict[str, Any] = {"mode": mode.name, "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as folder, ExitStack() as stack:
        tmp = Path(folder)
        imported = stack.enter_context(stores(admin, tmp, "import"))
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("import", lambda: bench_import(mode, admin, tmp, imported)),
            ("append", lambda: bench_append(mode, admin, tmp)),
            ("rebuild", lambda: bench_rebuild(mode, imported)),
            ("as_of", lambda: bench_as_of(mode, admin)),
            ("graphql", lambda: bench_graphql(mode, tmp)),
            ("memory", lambda: bench_memory(results["as_of"])),
            ("verify", lambda: bench_verify(mode, admin, tmp, imported)),
        ]
        for name, step in steps:
            if only and name not in only and name != "import":  # the others build on the imported stores
                continue
            started = time.perf_counter()
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            results[name] = step()
            print(f"[bench] {name} done in {time.perf_counter() - started:.1f}s: {json.dumps(results[name])}",
                  file=sys.stderr, flush=True)
    chosen = targets(results) if not only else verify_targets(results["verify"]) if "verify" in only else []
    results["targets"] = [{"target": t, "measured": m, "met": ok} for t, m, ok in chosen]
    print(table(results) if not only else "\n".join(f"{t}: {m} ({'met' if ok else 'MISSED'})" for t, m, ok in chosen))
    if output:
        output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The ledger's benchmark suite (see the README).")
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute (the CI smoke run)")
    parser.add_argument("--output", type=Path, help="write the results as JSON here")
    parser.add_argument("--only", action="append", default=[], metavar="STEP",
                        help="run only this step (import always runs first), e.g. --only verify")
    parser.add_argument("--as-of-child", nargs=3, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--markdown", type=Path, help="print the README table of a saved JSON result and stop")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8"))))
        return 0
    if args.as_of_child:
        size, query_reps, replay_reps = args.as_of_child
        print(json.dumps(as_of_at(size, postgres.server_url(), query_reps, replay_reps)))
        return 0
    started = time.perf_counter()
    run(QUICK if args.quick else FULL, args.output, frozenset(args.only))
    print(f"bench {'quick' if args.quick else 'full'} run took {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
