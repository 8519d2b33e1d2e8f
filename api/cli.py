"""The `ledger` command: import, export, and the questions users ask, as tables or JSON.

Every command takes `--database URL` (else LEDGER_DATABASE_URL, else ./ledger.db).
Errors print `error [CODE]: message` on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from api import csv_tables, render, verify_commands
from api.app import create_app
from api.auth import ROLES, TokenStore
from api.charts.gantt import gantt_svg
from api.charts.mta import mta_svg
from api.log_redaction import uvicorn_log_config
from api.schema import build_schema
from api.settings import ApiSettings
from ledger.application import LedgerApplication, open_ledger
from ledger.errors import ImportRejected, InvalidInput, LedgerError
from ledger.exporter import export_lines
from ledger.importer import import_text, resolve_source
from ledger.outage import is_store_failure, probe, unavailable
from ledger.roles import grant_app_role
from ledger.settings import store_location
from ledger.values import parse_date
from projections.audit import LogQuery
from projections.memory import InMemoryReadModel
from projections.pg_projector import PostgresProjector
from projections.pg_rebuild import rebuild
from projections.pg_schema import migrate
from projections.plan import END_OF_TIME
from projections.trend import EFFECTIVE, REPORT_DATES, split_subjects

DEFAULT_DATASET = "helseplattformen"


def _principal() -> str:
    return f"cli:{getpass.getuser()}"


def _datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a timestamp such as 2026-11-22T10:00:00+00:00", field="recorded-as-of"
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{text!r} has no UTC offset; add +00:00 or Z", field="recorded-as-of")
    return moment


class Session:
    """What one command needs: the store, and a read model caught up with it."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args = args
        self.out = out
        self.err = err
        self.location = store_location(args.database)
        self._app: LedgerApplication | None = None

    @property
    def app(self) -> LedgerApplication:
        if self._app is None:
            self._app = open_ledger(self.location)
            if self._app.leaf_upgrade is not None:
                self.err.write(f"upgraded {self.location.describe()}: computed leaf hashes for the "
                               f"{self._app.leaf_upgrade.rows} entries stored before them\n")
        return self._app

    def read_model(self) -> InMemoryReadModel:
        model = InMemoryReadModel()
        model.catch_up(self.app)
        return model

    def as_of(self) -> date:
        raw = getattr(self.args, "as_of", None)
        return date.today() if raw is None else parse_date(raw, "as-of")

    def recorded_as_of(self) -> datetime:
        raw = getattr(self.args, "recorded_as_of", None)
        return datetime.now(UTC) if raw is None else _datetime(raw)

    def print(self, text: str) -> None:
        print(text, file=self.out)

    def output_format(self) -> str:
        """table, json or csv (`--json` is short for `--format json`)."""
        chosen = str(getattr(self.args, "format", None) or "table")
        if getattr(self.args, "json", False):
            if chosen not in ("table", "json"):
                raise InvalidInput(f"--json and --format {chosen} ask for two formats; give one", field="format")
            return "json"
        return chosen

    def write_chart(self, target: str, svg: str, what: str) -> None:
        """Write an SVG chart, saying where on stderr (stdout keeps the table or JSON)."""
        try:
            Path(target).write_text(svg, encoding="utf-8")
        except OSError as error:
            raise InvalidInput(f"cannot write the {what} to {target!r}: {error.strerror}", field="svg") from None
        self.err.write(f"wrote the {what} to {target}\n")

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


def _progress(err: TextIO) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        if total < 2000:
            return  # small files finish before a bar would be read
        width = 30
        filled = width * done // total
        err.write(f"\rchecking  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            err.write("\n")
        err.flush()

    return show


def cmd_import(session: Session) -> int:
    text, name = resolve_source(session.args.source)
    result = import_text(session.app, text, recorded_by=_principal(), progress=_progress(session.err))
    session.print(f"imported {name}: {result.added} added, {result.already_present} already present")
    return 0


def cmd_export(session: Session) -> int:
    target = session.args.output
    handle = open(target, "w", encoding="utf-8") if target else session.out  # noqa: SIM115
    try:
        count = 0
        for line in export_lines(session.app, session.args.programme):
            handle.write(line + "\n")
            count += 1
    finally:
        if target:
            handle.close()
    if target:
        session.print(f"exported {count} entries to {target}")
    return 0


def _choose_programme(session: Session, model: InMemoryReadModel) -> str:
    if session.args.programme:
        return str(session.args.programme)
    known = model.programme_ids()
    if len(known) == 1:
        return known[0]
    raise InvalidInput(
        f"name the programme; the ledger holds {len(known)}: {', '.join(known) or 'none yet'}",
        field="programme",
    )


def cmd_plan(session: Session) -> int:
    model = session.read_model()
    programme = _choose_programme(session, model)
    plan = model.require_plan(programme, session.as_of(), session.recorded_as_of())
    if session.output_format() == "csv":
        session.out.write(csv_tables.plan_csv(plan))
        return 0
    if session.output_format() == "json":
        session.print(render.to_json(plan))
        return 0
    session.print(f"{plan.name} ({plan.id}), owner {plan.owner}: plan as of {plan.as_of}, "
                  f"as recorded by {plan.recorded_as_of:%Y-%m-%d %H:%M:%S %Z}")
    if plan.assessment:
        a = plan.assessment
        session.print(f"status: {a.status}; risk: {a.risk} (assessed {a.assessed_on})")
    session.print("")
    session.print(render.table(
        ["wave", "code", "planned", "status", "actors"],
        [(w.id, w.code, w.planned, w.status, w.actors) for w in plan.waves],
    ))
    session.print("")
    in_rollout = [a for a in plan.actors if a.status != "registered"]
    session.print(render.table(
        ["actor", "kind", "wave", "planned", "status", "go-live"],
        [(a.id, a.kind, a.wave, a.planned, a.status, a.go_live) for a in in_rollout],
    ))
    session.print("")
    session.print(f"deliverables: {plan.deliverables_completed} of {len(plan.deliverables)} complete")
    for reserve in plan.reserves:
        session.print(f"reserve {reserve.name}: total {render.cell(reserve.total)}, allocated "
                      f"{render.cell(reserve.allocated)}, remaining {render.cell(reserve.remaining)} NOK")
    return 0


def cmd_compare(session: Session) -> int:
    model = session.read_model()
    against = session.as_of() if session.args.against is None else parse_date(session.args.against, "against")
    comparison = model.comparison(session.args.programme, session.args.baseline, against, session.recorded_as_of())
    if session.args.svg:
        session.write_chart(session.args.svg, gantt_svg(comparison), "plan-vs-actual timeline")
    if session.output_format() == "csv":
        session.out.write(csv_tables.comparison_csv(comparison))
        return 0
    if session.output_format() == "json":
        session.print(render.to_json({**render.jsonable(comparison), "summary": comparison.summary}))
        return 0
    session.print(f"baseline {comparison.baseline!r} (plan as of {comparison.baseline_as_of}) "
                  f"against {comparison.against}")
    headers = ["", "wave", "baseline", "current", "actual", "slip (earliest)", "slip (latest)", "status"]
    rows = [(r.subject, r.wave, r.baseline, r.current, r.actual, r.slip_days_earliest, r.slip_days_latest, r.status)
            for r in (*comparison.waves, *comparison.actors)]
    session.print(render.table(headers, rows))
    session.print("")
    session.print("actors: " + ", ".join(f"{count} {status}" for status, count in sorted(comparison.summary.items())))
    return 0


def cmd_trend(session: Session) -> int:
    model = session.read_model()
    moment = session.recorded_as_of()
    latest = model.require_plan(session.args.programme, END_OF_TIME, moment)
    actors, waves = split_subjects(latest, session.args.subjects)
    trend = model.milestone_trend(latest.id, actors, waves, moment, session.args.report_date)
    if session.args.svg:
        session.write_chart(session.args.svg, mta_svg(trend), "milestone trend chart")
    if session.output_format() == "csv":
        session.out.write(csv_tables.trend_csv(trend))
        return 0
    if session.output_format() == "json":
        session.print(render.to_json(trend))
        return 0
    rows = [(s.subject, p.reported, p.planned, p.entry_id, p.type, p.source or "(operational)")
            for s in trend.series for p in s.points]
    session.print(render.table(["subject", f"reported ({trend.report_date})", "forecast", "entry", "type", "source"],
                               rows, max_width=48))
    session.print("")
    for series in trend.series:
        session.print(f"{series.kind} {series.subject}: " + (f"live {series.actual}" if series.actual
                                                             else "not yet live"))
    return 0


def cmd_history(session: Session) -> int:
    model = session.read_model()
    revisions = model.actor_history(session.args.programme, session.args.actor, session.recorded_as_of())
    if session.output_format() == "csv":
        session.out.write(csv_tables.history_csv(revisions))
        return 0
    if session.output_format() == "json":
        session.print(render.to_json(revisions))
        return 0
    rows = [(r.effective, r.entry.entry_id, r.entry.type, r.wave, r.planned, r.status,
             r.entry.recorded_at, r.entry.source.title if r.entry.source else "(operational)",
             r.note or r.entry.reason)
            for r in revisions]
    session.print(render.table(
        ["effective", "entry", "type", "wave", "planned", "status", "recorded", "source", "note / reason"], rows,
        max_width=48,
    ))
    return 0


def cmd_log(session: Session) -> int:
    model = session.read_model()
    query = LogQuery(programme=session.args.programme, first=session.args.limit, after=session.args.after)
    page = model.log_page(query)
    if session.output_format() == "csv":
        session.out.write(csv_tables.log_csv(page.entries))
        return 0
    if session.output_format() == "json":
        session.print(render.to_json(page.entries))
        return 0
    rows = [(e.position, e.entry_id, e.type, e.effective, e.recorded_at, e.recorded_by,
             e.source.title if e.source else "(operational)",
             "retracted" if e.retracted_by else ("corrected" if e.corrected_by else ""))
            for e in page.entries]
    session.print(render.table(
        ["pos", "entry", "type", "effective", "recorded_at", "recorded_by", "source", "later"], rows, max_width=50,
    ))
    if page.has_more:
        last = page.entries[-1].position
        session.print(f"(more: ledger log --after {last})")
    return 0


def cmd_token(session: Session) -> int:
    tokens = TokenStore(session.location)
    token, principal = tokens.create(session.args.role, session.args.name)
    session.err.write(f"token for {principal.name!r} with role {principal.role} (shown once; only its hash is kept):\n")
    session.print(token)
    return 0


def cmd_schema(session: Session) -> int:
    sdl = build_schema(ApiSettings(store=session.location)).as_str() + "\n"
    if session.args.output:
        Path(session.args.output).write_text(sdl, encoding="utf-8")
    else:
        session.out.write(sdl)
    return 0


def cmd_serve(session: Session) -> int:
    import uvicorn

    settings = ApiSettings.from_environment(session.args.database)
    probe(settings.store)  # fail in one line now rather than inside uvicorn's start-up
    if session.args.no_graphiql:
        settings = replace(settings, graphiql=False)
    base = f"http://{session.args.host}:{session.args.port}"
    session.err.write(f"serving {settings.store.describe()} on {base}/graphql (the web page is at {base}/)\n")
    uvicorn.run(create_app(settings), host=session.args.host, port=session.args.port, log_level="info",
                log_config=uvicorn_log_config())
    return 0


def _require_postgres(session: Session, what: str) -> None:
    if not session.location.is_postgres:
        raise InvalidInput(
            f"{what} is for PostgreSQL stores; a SQLite store is read from memory and needs no read model tables",
            field="database",
        )


def _copy_progress(err: TextIO) -> Callable[[str, int, int], None]:
    def show(stage: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        err.write(f"\r{stage:8}  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            err.write("\n")
        err.flush()

    return show


async def _with_pool(session: Session, work: Callable[[Any], Awaitable[int]]) -> int:
    import asyncpg

    probe(session.location)  # names the cause the way every other command does
    pool = await asyncpg.create_pool(
        session.location.url, min_size=1, max_size=2, timeout=session.location.connect_timeout_seconds)
    try:
        return await work(pool)
    finally:
        await pool.close()


def cmd_migrate(session: Session) -> int:
    _require_postgres(session, "ledger migrate")

    async def work(pool: Any) -> int:
        async with pool.acquire() as connection:
            return await migrate(connection)

    version = asyncio.run(_with_pool(session, work))
    session.print(f"read model schema at version {version}")
    if session.args.app_role:
        tables = grant_app_role(session.app, session.args.app_role)
        session.print(f"role {session.args.app_role} may SELECT and INSERT on {', '.join(tables)}, nothing more")
    return 0


def cmd_rebuild(session: Session) -> int:
    _require_postgres(session, "ledger rebuild")
    app = session.app

    async def work(pool: Any) -> int:
        return await rebuild(app, pool, _copy_progress(session.err))

    position = asyncio.run(_with_pool(session, work))
    session.print(f"read model rebuilt up to position {position} and swapped in")
    return 0


def cmd_project(session: Session) -> int:
    """Run the projector: catch the read model up with the store (and with --follow, keep it up)."""
    _require_postgres(session, "ledger project")
    app = session.app

    async def work(pool: Any) -> int:
        async with pool.acquire() as connection:
            await migrate(connection)
        projector = PostgresProjector(app, pool, batch=session.args.batch)
        position = await projector.catch_up()
        while session.args.follow:
            await asyncio.sleep(0.5)
            position = await projector.catch_up()
        return position

    position = asyncio.run(_with_pool(session, work))
    session.print(f"read model at position {position}")
    return 0


def cmd_run(session: Session) -> int:
    """The main job: make sure the ledger holds history, show today's plan, then serve the API."""
    if session.app.last_position() == 0:
        session.print(f"empty ledger at {session.location.describe()}: importing {DEFAULT_DATASET!r}")
        session.args.source = DEFAULT_DATASET
        cmd_import(session)
    session.args.programme = None
    session.args.json = False
    cmd_plan(session)
    if session.args.no_serve:
        return 0
    session.close()
    return cmd_serve(session)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ledger", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Callable[[Session], int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--database", help="sqlite:///file.db or postgresql://user@host/db")
        sub.set_defaults(handler=handler)
        return sub

    def as_of_options(sub: argparse.ArgumentParser, csv: bool = True) -> None:
        sub.add_argument("--recorded-as-of", help="as the ledger knew it at this time (default now)")
        output_options(sub, csv)

    sub = command("import", cmd_import, "import a JSON Lines file or a bundled dataset, all or nothing")
    sub.add_argument("source", help="a .jsonl file, or a bundled dataset name such as helseplattformen")
    sub = command("export", cmd_export, "write the whole log as JSON Lines")
    sub.add_argument("--output", help="write to this file instead of standard output")
    sub.add_argument("--programme", help="only this programme's entries")
    sub = command("plan", cmd_plan, "the plan of a programme on a date")
    sub.add_argument("programme", nargs="?", help="programme id (optional when there is only one)")
    sub.add_argument("--as-of", help="the date, YYYY-MM-DD (default today)")
    as_of_options(sub)
    sub = command("compare", cmd_compare, "a baseline against a later plan and the actual go-lives")
    sub.add_argument("programme")
    sub.add_argument("--baseline", required=True, help="a baseline name or a date YYYY-MM-DD")
    sub.add_argument("--against", help="compare with the plan on this date (default today)")
    as_of_options(sub)
    sub.add_argument("--svg", metavar="FILE", help="also draw the plan-vs-actual timeline (Tracking Gantt) as SVG")
    sub = command("trend", cmd_trend, "milestone trend: how the forecast go-live of actors and waves moved")
    sub.add_argument("programme")
    sub.add_argument("subjects", nargs="+", metavar="ACTOR|WAVE", help="actor or wave ids (actor:ID, wave:ID)")
    sub.add_argument("--report-date", choices=REPORT_DATES, default=EFFECTIVE,
                     help="place reports at the entry's effective date (default), or on the day it was "
                          "recorded with the forecast as known then")
    sub.add_argument("--svg", metavar="FILE", help="also draw the milestone trend (MTA) chart as SVG")
    as_of_options(sub)
    sub = command("history", cmd_history, "every revision of an actor's planned go-live")
    sub.add_argument("programme")
    sub.add_argument("actor")
    as_of_options(sub)
    sub = command("log", cmd_log, "the audit trail: who recorded what, when, from which source")
    sub.add_argument("--programme")
    sub.add_argument("--limit", type=int, default=1000)
    sub.add_argument("--after", type=int, default=0, help="start after this position")
    output_options(sub, csv=True)
    sub = command("serve", cmd_serve, "serve the GraphQL API with uvicorn")
    _serve_options(sub)
    sub = command("run", cmd_run, "import the bundled history into an empty ledger, show the plan, serve the API")
    _serve_options(sub)
    sub.add_argument("--no-serve", action="store_true", help="stop after showing the plan")
    sub = command("token", cmd_token, "create an API bearer token (printed once)")
    sub.add_argument("action", choices=["create"])
    sub.add_argument("--role", required=True, choices=list(ROLES))
    sub.add_argument("--name", help="who the token is for; shown as recorded_by (token:NAME)")
    sub = command("migrate", cmd_migrate, "create or upgrade the PostgreSQL read model's tables")
    sub.add_argument("--app-role", help="grant this role only SELECT and INSERT on the event store (ledger.roles)")
    command("rebuild", cmd_rebuild, "rebuild the PostgreSQL read model from the store (COPY, then swap)")
    sub = command("project", cmd_project, "bring the PostgreSQL read model up to date with the store")
    sub.add_argument("--batch", type=int, default=1000, help="entries per transaction")
    sub.add_argument("--follow", action="store_true", help="keep following new entries until stopped")
    sub = command("schema", cmd_schema, "print the GraphQL schema (SDL)")
    sub.add_argument("--output", help="write to this file instead of standard output")
    verify_commands.add_commands(command)
    return parser


def output_options(sub: argparse.ArgumentParser, csv: bool) -> None:
    """--json, and --format (table, json, and csv where the answer is one table)."""
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub.add_argument("--format", choices=["table", "json", "csv"] if csv else ["table", "json"],
                     help="table (default), json" + (", or csv for spreadsheets" if csv else ""))


def _serve_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=8000)
    sub.add_argument("--no-graphiql", action="store_true", help="switch the GraphiQL page off")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Entry point of the `ledger` command."""
    args = _parser().parse_args(argv)
    session: Session | None = None
    try:
        session = Session(args, out, err)
        return int(args.handler(session))
    except ImportRejected as rejected:
        print(f"error [{rejected.code}]: {len(rejected.errors)} bad line(s); nothing was written", file=err)
        for line in rejected.errors:
            print(f"  {line}", file=err)
        return 2
    except LedgerError as error:
        print(f"error [{error.code}]: {error}", file=err)
        return 2
    except Exception as error:
        if not is_store_failure(error):
            raise
        # Whatever driver said it, a store that stopped answering is one line, not a traceback.
        failure = unavailable(session.location if session else store_location(args.database), error)
        print(f"error [{failure.code}]: {failure}", file=err)
        return 2
    finally:
        if session is not None:
            session.close()


if __name__ == "__main__":
    sys.exit(main())
