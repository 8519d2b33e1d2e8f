"""The benchmark suite: every figure next to a peer measured in the same run, on the same history.

    scripts/bench --quick            # the CI smoke run, about a minute
    scripts/bench                    # the full run (1M entries), about half an hour on 2 cores
    scripts/bench --output bench.json
    scripts/bench --markdown docs/bench-full.json   # the README's table of a saved run

Ratios matter more than absolute times, which drift from run to run. Needs a PostgreSQL
server (found as the tests find one: LEDGER_TEST_DATABASE_URL or 127.0.0.1:5432); the MariaDB
peer runs when a MariaDB server answers (LEDGER_BENCH_MARIADB, default 127.0.0.1:3306) and is
reported "not measured", with the reason, when none does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from eventsourcing.persistence import StoredEvent  # noqa: E402

from ledger.application import WRITE_CHUNK, open_ledger  # noqa: E402
from ledger.codec import decode_entry  # noqa: E402
from ledger.importer import import_text  # noqa: E402
from ledger.settings import StoreLocation  # noqa: E402
from projections.memory import InMemoryReadModel  # noqa: E402
from projections.pg_rebuild import rebuild  # noqa: E402
from scripts.bench_as_of import as_of_at  # noqa: E402
from scripts.bench_graphql import bench_graphql, bench_writes, reschedule  # noqa: E402
from scripts.bench_setup import FULL, QUICK, Mode, lines, percentile, stores, timed  # noqa: E402
from scripts.bench_targets import markdown, table, targets  # noqa: E402
from scripts.bench_verify import bench_verify  # noqa: E402
from tests import postgres  # noqa: E402

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


# -- b. append latency, and writes through GraphQL ------------------------------------------


def bench_append(mode: Mode, admin: str, tmp: Path) -> dict[str, Any]:
    """One append at a time on a 10k-entry programme; on PostgreSQL then 8 GraphQL writers on it."""
    history = "\n".join(lines(mode.small))
    results: dict[str, Any] = {}
    with stores(admin, tmp, "append") as urls:
        for store, url in urls.items():
            app = open_ledger(StoreLocation(url))
            import_text(app, history, recorded_by="bench")
            entries = [decode_entry(reschedule(n, "in-process"), recorded_by="bench", require_source=True)
                       for n in range(mode.appends)]
            samples = [timed(lambda e=entry, a=app: a.record(e)) * 1000 for entry in entries]
            app.close()
            results[store] = {"on_stream_of": mode.small, "p50_ms": round(percentile(samples, 50), 2),
                              "p99_ms": round(percentile(samples, 99), 2)}
            if store == "postgres":
                results["writes"] = bench_writes(mode, url, mode.appends / (sum(samples) / 1000))
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
    log_seconds = timed(lambda: _read_notification_log(app))
    app.close()
    n = mode.import_entries
    return {
        "entries": n,
        "in_memory_entries_per_s": round(n / memory_seconds),
        "postgres_entries_per_s": round(n / pg_seconds),
        "raw_fetch_and_copy_entries_per_s": round(n / raw_seconds),
        "postgres_ratio": round(raw_seconds / pg_seconds, 3),
        "eventsourcing_notification_log_read_per_s": round(n / log_seconds),
    }


def _read_notification_log(app: Any) -> None:
    """eventsourcing's own read of the whole log, in the batches the catch-up reads."""
    position = 0
    while notifications := app.recorder.select_notifications(start=position + 1, limit=5000):
        position = notifications[-1].id


async def _timed_coroutine(coroutine: Any) -> float:
    started = time.perf_counter()
    await coroutine
    return time.perf_counter() - started


# -- d. as-of queries, memory and the CLI on a PostgreSQL store ----------------------------


def bench_as_of(mode: Mode, admin: str) -> dict[str, Any]:
    """The small history in this process; the large one in a child that also reports its memory."""
    results: dict[str, Any] = {"small": as_of_at(mode.small, admin, mode.query_reps, mode.replay_reps,
                                                 mode.cli_reps)}
    child = subprocess.run([sys.executable, __file__, "--as-of-child", str(mode.large), str(mode.query_reps),
                            str(mode.replay_reps), str(mode.cli_reps)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                           check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    results["large"] = json.loads(child.stdout.strip().splitlines()[-1])
    for name, key in (("in_memory", "in_memory_p50_ms"), ("postgres", "postgres_p50_ms")):
        results[f"large_over_small_{name}"] = round(results["large"][key] / results["small"][key], 2)
    for peer in ("gist", "mariadb"):
        if "p50_ms" in results["large"][peer] and "p50_ms" in results["small"][peer]:
            results[f"large_over_small_{peer}"] = round(
                results["large"][peer]["p50_ms"] / results["small"][peer]["p50_ms"], 2)
    return results


def bench_memory(as_of: dict[str, Any]) -> dict[str, Any]:
    """Resident memory: a process holding the large history in memory (the as-of child), and an
    API process on the PostgreSQL read model at each size."""
    large = as_of["large"]
    return {"entries": large["entries"], "peak_rss_mib": large["holding_peak_rss_mib"],
            "api_postgres_rss_mib": {str(as_of[size]["entries"]): as_of[size]["api_postgres"]["peak_mib"]
                                     for size in ("small", "large")}}


def bench_cli(as_of: dict[str, Any]) -> dict[str, Any]:
    """`ledger plan` on a PostgreSQL store at each size, against `ledger --version` (process start)."""
    return {size: {"entries": as_of[size]["entries"], **as_of[size]["cli"]} for size in ("small", "large")}


# -- report --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def run(mode: Mode, output: Path | None, only: frozenset[str] = frozenset()) -> dict[str, Any]:
    started = time.perf_counter()
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
            ("verify", lambda: bench_verify(mode, admin, tmp, imported)),
        ]
        for name, step in steps:
            if only and name not in only and name != "import":  # the others build on the imported stores
                continue
            began = time.perf_counter()
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            results[name] = step()
            print(f"[bench] {name} done in {time.perf_counter() - began:.1f}s: {json.dumps(results[name])}",
                  file=sys.stderr, flush=True)
    if "append" in results:
        results["writes"] = results["append"].pop("writes")
    if "as_of" in results:
        results["memory"], results["cli"] = bench_memory(results["as_of"]), bench_cli(results["as_of"])
    results["targets"] = targets(results)
    results["seconds"] = round(time.perf_counter() - started)
    print(table(results["targets"]))
    if output:
        output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The ledger's benchmark suite (see the README).")
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute (the CI smoke run)")
    parser.add_argument("--output", type=Path, help="write the results as JSON here")
    parser.add_argument("--only", action="append", default=[], metavar="STEP",
                        help="run only this step (import always runs first), e.g. --only verify")
    parser.add_argument("--as-of-child", nargs=4, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--markdown", type=Path, help="print the README table of a saved JSON result and stop")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8"))))
        return 0
    if args.as_of_child:
        print(json.dumps(as_of_at(args.as_of_child[0], postgres.server_url(), *args.as_of_child[1:])))
        return 0
    results = run(QUICK if args.quick else FULL, args.output, frozenset(args.only))
    print(f"bench {results['mode']} run took {results['seconds']}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
