"""The benchmark's targets (issue 10): each a ratio against a peer measured in the same run.

Every target is reported as {name, target, figure, met} where `met` is true, false, or
"not measured" with a `reason` (a peer that could not run, such as an absent MariaDB server);
a figure is never made up. `markdown` turns a saved run into the README's table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NOT_MEASURED = "not measured"
Target = dict[str, Any]


def _target(name: str, target: str, figure: str, met: bool) -> Target:
    return {"name": name, "target": target, "figure": figure, "met": met}


def _ratio_target(name: str, target: str, ours: float, peer: float, unit: str, *, at_least: float | None = None,
                  at_most: float | None = None, peer_over_ours: bool = False) -> Target:
    """A target on ours / peer (or peer / ours): the figure shows both and their ratio."""
    ratio = round(peer / ours if peer_over_ours else ours / peer, 3)
    met = ratio >= at_least if at_least is not None else ratio <= (at_most or 0)
    return _target(name, target, f"{ratio}x ({ours} {unit} ours, {peer} {unit} peer)", met)


def _not_measured(name: str, target: str, reason: str) -> Target:
    return {"name": name, "target": target, "figure": "-", "met": NOT_MEASURED, "reason": reason}


def as_of_targets(d: dict[str, Any]) -> list[Target]:
    """The as-of question against the SQL peers, naive replay, and its growth with history."""
    large = d["large"]
    found = [
        _ratio_target("as-of in memory vs PostgreSQL GiST table", ">= 20x faster", large["in_memory_p50_ms"],
                      large["gist"]["p50_ms"], "ms", at_least=20, peer_over_ours=True),
        _ratio_target("as-of in memory vs naive replay", ">= 1000x faster", large["in_memory_p50_ms"],
                      large["naive_replay_p50_ms"], "ms", at_least=1000, peer_over_ours=True),
        _target("as-of in memory, large / small p50", "<= 1.2", f"{d['large_over_small_in_memory']}",
                d["large_over_small_in_memory"] <= 1.2),
        _ratio_target("as-of via PostgreSQL read model vs GiST table", "<= 0.3x the peer's time",
                      large["postgres_p50_ms"], large["gist"]["p50_ms"], "ms", at_most=0.3),
        _target("as-of via PostgreSQL read model, large / small p50", "<= 1.2", f"{d['large_over_small_postgres']}",
                d["large_over_small_postgres"] <= 1.2),
    ]
    maria = large["mariadb"]
    memory_name = "as-of in memory vs MariaDB SQL:2011 table"
    pg_name = "as-of via PostgreSQL read model vs MariaDB table"
    if "p50_ms" not in maria:
        return [*found, _not_measured(memory_name, ">= 20x faster", maria["reason"]),
                _not_measured(pg_name, "<= 0.3x the peer's time", maria["reason"])]
    return [*found,
            _ratio_target(memory_name, ">= 20x faster", large["in_memory_p50_ms"], maria["p50_ms"], "ms",
                          at_least=20, peer_over_ours=True),
            _ratio_target(pg_name, "<= 0.3x the peer's time", large["postgres_p50_ms"], maria["p50_ms"], "ms",
                          at_most=0.3)]


def write_targets(a: dict[str, Any], c: dict[str, Any], w: dict[str, Any]) -> list[Target]:
    """Import, rebuild and writes through GraphQL against eventsourcing, raw SQL and in-process appends."""
    return [
        *(_ratio_target(f"import vs eventsourcing insert ({name})", ">= 0.5x", a[store]["entries_per_s"],
                        a[store]["eventsourcing_insert_per_s"], "entries/s", at_least=0.5)
          for store, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL"))),
        _target("rebuild in memory", ">= 200k entries/s", f"{c['in_memory_entries_per_s']}/s",
                c["in_memory_entries_per_s"] >= 200_000),
        _ratio_target("rebuild PostgreSQL vs raw fetch+COPY", ">= 0.5x", c["postgres_entries_per_s"],
                      c["raw_fetch_and_copy_entries_per_s"], "entries/s", at_least=0.5),
        _ratio_target(f"writes via GraphQL, {w['clients']} clients, vs in-process appends", ">= 0.5x",
                      w["graphql_per_s"], w["in_process_per_s"], "appends/s", at_least=0.5),
    ]


def serving_targets(e: dict[str, Any], m: dict[str, Any], cli: dict[str, Any]) -> list[Target]:
    """GraphQL execution and HTTP against graphql-core and bare Starlette; memory; the CLI."""
    api = max(m["api_postgres_rss_mib"].values())
    sizes = ", ".join(f"{size}: {mib}" for size, mib in m["api_postgres_rss_mib"].items())
    return [
        _ratio_target("PlanOnDate uncached execution vs graphql-core on dicts", "<= 1.1x",
                      e["strawberry_p50_ms"], e["graphql_core_p50_ms"], "ms", at_most=1.1),
        _ratio_target("PlanOnDate cached vs bare Starlette endpoint", ">= 0.5x", e["requests_per_s"],
                      e["starlette_requests_per_s"], "req/s", at_least=0.5),
        _target("memory holding the large history", "<= 512 MiB", f"{m['peak_rss_mib']} MiB at {m['entries']}",
                m["peak_rss_mib"] <= 512),
        _target("API process on PostgreSQL read model", "<= 200 MiB at any size", f"{api} MiB (by entries: {sizes})",
                api <= 200),
        _ratio_target("CLI `ledger plan` (PostgreSQL, large) vs `ledger --version`", "<= 2x",
                      cli["large"]["plan_s"], cli["large"]["version_s"], "s", at_most=2),
    ]


def verify_targets(v: dict[str, Any]) -> list[Target]:
    """The verifiable log's targets: verify at least 100k entries/s, leaf hashes cost import at most 10%."""
    found: list[Target] = []
    for store, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        rate, extra = v[store]["verify_entries_per_s"], v[store]["import_extra_cost"]
        found.append(_target(f"ledger verify ({name})", ">= 100k entries/s", f"{rate}/s at {v[store]['entries']}",
                             rate >= 100_000))
        found.append(_target(f"leaf hashes' cost to import ({name})", "<= 10%", f"{round(extra * 100, 1)}%",
                             extra <= 0.10))
    return found


SECTIONS: dict[str, Callable[[dict[str, Any]], list[Target]]] = {
    "as_of": lambda r: as_of_targets(r["as_of"]),
    "rebuild": lambda r: write_targets(r["import"], r["rebuild"], r["writes"]),
    "graphql": lambda r: serving_targets(r["graphql"], r["memory"], r["cli"]),
    "verify": lambda r: verify_targets(r["verify"]),
}


def targets(results: dict[str, Any]) -> list[Target]:
    """Every target whose sections this run measured (a run with --only measures some)."""
    needs = {"as_of": ("as_of",), "rebuild": ("import", "rebuild", "writes"),
             "graphql": ("graphql", "memory", "cli"), "verify": ("verify",)}
    return [t for section, make in SECTIONS.items() if all(k in results for k in needs[section]) for t in make(results)]


def _met(target: Target) -> str:
    if target["met"] == NOT_MEASURED:
        return f"not measured: {target['reason']}"
    return "met" if target["met"] else "**missed**"


def table(found: list[Target]) -> str:
    """The targets as a Markdown table."""
    rows = ["| name | target | figure | |", "|---|---|---|---|"]
    rows += [f"| {t['name']} | {t['target']} | {t['figure']} | {_met(t)} |" for t in found]
    return "\n".join(rows)


def markdown(results: dict[str, Any]) -> str:
    """The README's performance table for a saved run."""
    m = results["machine"]
    head = (f"{results['mode'].title()} run of {m['date'][:10]} on {m['cpus']} cores, {m['platform']}, "
            f"Python {m['python']} (`docs/bench-full.json`, {results.get('seconds', '?')} s):\n\n")
    return head + table(results["targets"]) + "\n"
