"""The `ledger` command: import, export, and the questions users ask, as tables or JSON.

Every command takes `--database URL` (else LEDGER_DATABASE_URL, else ./ledger.db).
Errors print `error [CODE]: message` on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from ledger.errors import ImportRejected, InvalidInput, LedgerError, UnknownReference
from ledger.settings import store_location
from ledger_server import cost_commands, verify_commands
from ledger_server.auth import ROLES

# Everything else is imported by the command that needs it: `ledger --help` must not load the
# server stack (strawberry, starlette, uvicorn, asyncpg), which took most of a second.
if TYPE_CHECKING:
    from ledger.application import LedgerApplication
    from ledger_server.reader import Reader
    from ledger_server.status import Status
    from projections.memory import InMemoryReadModel
    from projections.plan import ProgrammePlan

T = TypeVar("T")
DEFAULT_DATASET = "helseplattformen"
SIGPIPE_STATUS = 141  # what a shell reports for a process ended by SIGPIPE (128 + 13)


def _principal() -> str:
    return f"cli:{getpass.getuser()}"


def _datetime(text: str, field: str = "recorded-as-of") -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a timestamp such as 2026-11-22T10:00:00+00:00", field=field
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{text!r} has no UTC offset; add +00:00 or Z", field=field)
    return moment


def _date(text: str, field: str) -> date:
    from ledger.values import parse_date

    return parse_date(text, field)


def _moment(text: str, field: str, *, end_of_day: bool) -> datetime:
    """A timestamp with an offset, or a date meaning the start (or end) of that UTC day."""
    if "T" not in text and " " not in text:
        day = _date(text, field)
        return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
    return _datetime(text, field)


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end (asyncio is imported here: `ledger --help` does not need it)."""
    import asyncio

    return asyncio.run(work)


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
            from ledger.application import open_ledger

            self._refuse_a_missing_sqlite_file()
            self._app = open_ledger(self.location)
            if self._app.leaf_upgrade is not None:
                self.err.write(f"upgraded {self.location.describe()}: computed leaf hashes for the "
                               f"{self._app.leaf_upgrade.rows} entries stored before them\n")
        return self._app

    def _refuse_a_missing_sqlite_file(self) -> None:
        """Reading commands never create a ledger: a mistyped path would answer from an empty one."""
        if self.location.is_postgres or self.location.sqlite_path.exists():
            return
        path = self.location.sqlite_path
        if getattr(self.args, "reads_only", False):
            raise UnknownReference(f"no ledger at {path}; `ledger import` creates one", field="database")
        if getattr(self.args, "needs_folder", False) and not path.parent.is_dir():
            raise UnknownReference(
                f"no folder {path.parent} for the ledger {path.name}; create it, or `ledger import` into it",
                field="database",
            )

    def read_model(self) -> InMemoryReadModel:
        """The log replayed into memory, with a progress bar for a long one (the model's own
        catch_up has no progress hook, so the reading loop is spelled out here)."""
        from ledger_server.progress import Bars
        from projections.memory import InMemoryReadModel

        model, bars, app = InMemoryReadModel(), Bars(self.err), self.app
        total = app.last_position()
        try:
            while chunk := app.read(model.position, 5000):
                for recorded in chunk:
                    model.apply(recorded)
                model.publish()
                bars.update("reading", model.position, total)
        finally:
            bars.close()
        return model

    def ask(self, question: Callable[[Reader], Coroutine[Any, Any, T]]) -> T:
        """Answer `question` from the read model: PostgreSQL's for a PostgreSQL store, else memory."""
        from ledger_server.settings import ApiSettings

        if ApiSettings.from_environment(self.args.database).chosen_read_model == "postgres":
            return _run(self._ask_postgres(question))
        from projections.service import ReadService

        return _run(question(ReadService(self.read_model())))

    async def _ask_postgres(self, question: Callable[[Reader], Coroutine[Any, Any, T]]) -> T:
        """Bring the read model up to the store (only the entries it lacks), then ask it.

        Whether it lacks any is asked in SQL, so a question on a current read model never
        loads the write side (eventsourcing and its drivers were most of such a command's time).
        """
        import asyncpg

        from ledger.outage import probe
        from projections.pg_reader import PostgresReader
        from projections.pg_schema import migrate, read_model_behind
        from projections.service import ReadService

        probe(self.location)
        pool = await asyncpg.create_pool(self.location.url, min_size=1, max_size=2,
                                         timeout=self.location.connect_timeout_seconds)
        try:
            async with pool.acquire() as connection:
                await migrate(connection)
                behind = await read_model_behind(connection)
            if behind:
                from projections.pg_projector import PostgresProjector

                await PostgresProjector(self.app, pool).catch_up()
            reader = PostgresReader(pool)
            await reader.refresh_position()
            return await question(ReadService(reader))
        finally:
            await pool.close()

    def as_of(self) -> date:
        raw = getattr(self.args, "as_of", None)
        return date.today() if raw is None else _date(raw, "as-of")

    def recorded_as_of(self) -> datetime:
        raw = getattr(self.args, "recorded_as_of", None)
        return datetime.now(UTC) if raw is None else _datetime(raw)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 60,
              flexible: Sequence[str] = ()) -> str:
        """A table that fits 100 columns, or shows every character with `--wide`."""
        from ledger_server import render

        if getattr(self.args, "wide", False):
            return render.table(headers, rows, max_width=None, total_width=None)
        return render.table(headers, rows, max_width=max_width, flexible=flexible)

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

    def write_data(self, value: Any, csv_of: Callable[[Any], str], json_value: Any = None) -> bool:
        """Write a question's answer as CSV or JSON (`json_value`, default `value`) when `--format` asks
        for it; False when a table is wanted, which the command prints itself."""
        chosen = self.output_format()
        if chosen == "csv":
            self.out.write(csv_of(value))
            return True
        if chosen == "json":
            from ledger_server import render

            self.print(render.to_json(value if json_value is None else json_value))
            return True
        return False

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


async def _programme_ids(reader: Reader) -> list[str]:
    return await reader.model.source().programme_ids()


async def _require_programme(reader: Reader, programme: str) -> None:
    """NOT_FOUND, with the closest ids, for a programme the log has never seen."""
    from ledger import suggest

    known = await _programme_ids(reader)
    if programme not in known:
        raise suggest.unknown(f"no programme {programme!r} in the ledger", programme, known, "programme")


async def _latest_plans(reader: Reader, programme: str | None) -> list[ProgrammePlan]:
    from projections.plan import END_OF_TIME

    now = datetime.now(UTC)
    if programme is None:
        return await reader.programmes(END_OF_TIME, now)
    plan = await reader.plan(programme, END_OF_TIME, now)
    return [] if plan is None else [plan]


def cmd_import(session: Session) -> int:
    from ledger.importer import import_text, resolve_source
    from ledger_server.progress import Bars

    text, name = resolve_source(session.args.source)
    bars = Bars(session.err)
    try:
        result = import_text(session.app, text, recorded_by=_principal(),
                             progress=bars.stage("checking"), writing=bars.stage("writing"))
    finally:
        bars.close()
    session.print(f"imported {name}: {result.added} added, {result.already_present} already present")
    return 0


def cmd_export(session: Session) -> int:
    from ledger.exporter import export_lines
    from ledger_server.progress import Bars

    target = Path(session.args.output) if session.args.output else None
    # A file is written beside its place and moved in at the end, so a failed export
    # (an unknown programme, a lost connection) leaves any earlier file as it was.
    partial = None if target is None else target.with_name(target.name + ".partial")
    bars = Bars(session.err)
    lines = export_lines(session.app, session.args.programme, progress=bars.stage("export"))
    handle = session.out if partial is None else partial.open("w", encoding="utf-8")
    count = 0
    try:
        for line in lines:
            handle.write(line + "\n")
            count += 1
    except BaseException:
        if partial is not None:
            handle.close()
            partial.unlink(missing_ok=True)
        raise
    finally:
        bars.close()
    if target is not None and partial is not None:
        handle.close()
        os.replace(partial, target)
        session.print(f"exported {count} entries to {target}")
    return 0


def _choose_programme(session: Session, known: list[str]) -> str:
    if session.args.programme:
        return str(session.args.programme)
    if len(known) == 1:
        return known[0]
    raise InvalidInput(
        f"name the programme; the ledger holds {len(known)}: {', '.join(known) or 'none yet'}",
        field="programme",
    )


def cmd_plan(session: Session) -> int:
    as_of, recorded_as_of = session.as_of(), session.recorded_as_of()

    async def question(reader: Reader) -> ProgrammePlan:
        from projections.plan import known

        programme = _choose_programme(session, await _programme_ids(reader))
        await _require_programme(reader, programme)
        return known(await reader.plan(programme, as_of, recorded_as_of), programme, as_of)

    _show_plan(session, session.ask(question))
    return 0


def _show_plan(session: Session, plan: ProgrammePlan) -> None:
    from ledger_server import csv_tables, render

    if session.write_data(plan, csv_tables.plan_csv):
        return
    session.print(f"{plan.name} ({plan.id}), owner {plan.owner}: plan as of {plan.as_of}, "
                  f"as recorded by {plan.recorded_as_of:%Y-%m-%d %H:%M:%S %Z}")
    if plan.assessment:
        a = plan.assessment
        session.print(f"status: {a.status}; risk: {a.risk} (assessed {a.assessed_on})")
    session.print("")
    session.print(session.table(
        ["wave", "code", "planned", "status", "actors"],
        [(w.id, w.code, w.planned, _overdue(w.status, w.days_overdue), w.actors) for w in plan.waves],
        flexible=["actors"],
    ))
    session.print("")
    in_rollout = [a for a in plan.actors if a.status != "registered"]
    session.print(session.table(
        ["actor", "kind", "wave", "planned", "status", "go-live"],
        [(a.id, a.kind, a.wave, a.planned, _overdue(a.status, a.days_overdue),
          f"{a.go_live} {a.go_live_at}" if a.go_live and a.go_live_at else a.go_live) for a in in_rollout],
        flexible=["kind"],
    ))
    if plan.current_baseline:
        current = plan.current_baseline
        session.print(f"current baseline: {current.name!r} (plan as of {current.as_of}, adopted {current.adopted_on})")
    session.print("")
    session.print(f"deliverables: {plan.deliverables_completed} of {len(plan.deliverables)} complete")
    for reserve in plan.reserves:
        session.print(f"reserve {reserve.name}: total {render.cell(reserve.total)}, allocated "
                      f"{render.cell(reserve.allocated)}, remaining {render.cell(reserve.remaining)} NOK")


def _overdue(status: str, days: int | None) -> str:
    """A status cell: an overdue row says by how many days."""
    return f"{status} ({days} day{'s' if days != 1 else ''})" if days is not None else status


def _against(session: Session) -> date:
    """`--against D`, or `--as-of D` (the name every question takes), else today."""
    against, as_of = session.args.against, session.args.as_of
    if against is not None and as_of is not None and _date(against, "against") != _date(as_of, "as-of"):
        raise InvalidInput(f"--against {against} and --as-of {as_of} name two dates; give one", field="as-of")
    if against is not None:
        return _date(against, "against")
    return session.as_of()


def cmd_compare(session: Session) -> int:
    from ledger_server import csv_tables, render
    from projections.compare import Comparison

    against, recorded_as_of = _against(session), session.recorded_as_of()
    programme, baseline = session.args.programme, session.args.baseline

    async def question(reader: Reader) -> Comparison:
        await _require_programme(reader, programme)
        return await reader.comparison(programme, baseline, against, recorded_as_of)

    comparison = session.ask(question)
    if session.args.svg:
        from ledger_server.charts.gantt import gantt_svg

        session.write_chart(session.args.svg, gantt_svg(comparison), "plan-vs-actual timeline")
    if session.write_data(comparison, csv_tables.comparison_csv,
                          {**render.jsonable(comparison), "summary": comparison.summary}):
        return 0
    session.print(f"baseline {comparison.baseline!r} (plan as of {comparison.baseline_as_of}) "
                  f"against {comparison.against}")
    if comparison.current_baseline:
        session.print(f"current baseline {comparison.current_baseline!r} "
                      f"(plan as of {comparison.current_baseline_as_of}), shown beside it")
    session.print(session.table(*_comparison_table(comparison)))
    session.print("")
    session.print("actors: " + ", ".join(f"{count} {status}" for status, count in sorted(comparison.summary.items())))
    return 0


def _comparison_table(comparison: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Headers and rows of the comparison table; the current baseline's columns only when one is adopted."""
    rows_of = (*comparison.waves, *comparison.actors)
    headers = ["", "wave", "baseline", "current", "actual", "slip (earliest)", "slip (latest)", "slip (hours)",
               "status"]
    rows = [(r.subject, r.wave, r.baseline, r.current, r.actual, r.slip_days_earliest, r.slip_days_latest,
             r.slip_hours, _overdue(r.status, r.days_overdue if r.status == "overdue" else None)) for r in rows_of]
    if comparison.current_baseline is None:
        return headers, rows
    headers += ["current baseline", "slip (earliest, current)", "slip (latest, current)", "status (current)"]
    extra = [(c.baseline, c.slip_days_earliest, c.slip_days_latest, c.status) if (c := r.against_current) else ()
             for r in rows_of]
    return headers, [(*row, *more) for row, more in zip(rows, extra, strict=True)]


def cmd_trend(session: Session) -> int:
    from ledger_server import csv_tables
    from projections.plan import END_OF_TIME, known
    from projections.trend import MilestoneTrend, split_subjects

    programme, moment = session.args.programme, session.recorded_as_of()

    async def question(reader: Reader) -> MilestoneTrend:
        await _require_programme(reader, programme)
        latest = known(await reader.plan(programme, END_OF_TIME, moment), programme, END_OF_TIME)
        actors, waves = split_subjects(latest, session.args.subjects)
        return await reader.milestone_trend(programme, actors, waves, moment, session.args.report_date)

    trend = session.ask(question)
    if session.args.svg:
        from ledger_server.charts.mta import mta_svg

        session.write_chart(session.args.svg, mta_svg(trend), "milestone trend chart")
    if session.write_data(trend, csv_tables.trend_csv):
        return 0
    rows = [(s.subject, p.reported, p.planned, p.entry_id, p.type, p.source or "(operational)")
            for s in trend.series for p in s.points]
    session.print(session.table(["subject", f"reported ({trend.report_date})", "forecast", "entry", "type", "source"],
                                rows, max_width=48, flexible=["source"]))
    session.print("")
    for series in trend.series:
        session.print(f"{series.kind} {series.subject}: " + (f"live {series.actual}" if series.actual
                                                             else "not yet live"))
    return 0


def cmd_history(session: Session) -> int:
    from ledger.suggest import hint
    from ledger_server import csv_tables
    from projections.history import Revision

    programme, actor = session.args.programme, session.args.actor
    if session.args.baselines or actor is None:
        if actor is not None or not session.args.baselines:
            raise InvalidInput("name an actor, or give --baselines for the baselines' history (not both)",
                               field="actor")
        return _baseline_history(session)
    as_of = None if session.args.as_of is None else _date(session.args.as_of, "as-of")
    recorded_as_of = session.recorded_as_of()

    async def question(reader: Reader) -> list[Revision]:
        await _require_programme(reader, programme)
        try:
            return await reader.actor_history(programme, actor, recorded_as_of)
        except UnknownReference as error:
            if error.field != "actor":
                raise
            actors = [a.id for plan in await _latest_plans(reader, programme) for a in plan.actors]
            raise UnknownReference(error.message + hint(actor, actors), field="actor") from None

    # --as-of D keeps the revisions that had taken effect by D: the history as it stood then.
    revisions = [r for r in session.ask(question) if as_of is None or r.effective <= as_of]
    if session.write_data(revisions, csv_tables.history_csv):
        return 0
    rows = [(r.effective, r.entry.entry_id, r.entry.type, r.wave, r.planned, r.status,
             r.entry.recorded_at, r.entry.source.title if r.entry.source else "(operational)",
             r.note or r.entry.reason)
            for r in revisions]
    session.print(session.table(
        ["effective", "entry", "type", "wave", "planned", "status", "recorded", "source", "note / reason"], rows,
        max_width=48, flexible=["source", "note / reason"],
    ))
    return 0


def _baseline_history(session: Session) -> int:
    from ledger_server import render
    from projections.baseline_history import BaselineRevision

    programme, recorded_as_of = session.args.programme, session.recorded_as_of()
    as_of = None if session.args.as_of is None else _date(session.args.as_of, "as-of")

    async def question(reader: Reader) -> list[BaselineRevision]:
        await _require_programme(reader, programme)
        return await reader.baseline_history(programme, recorded_as_of)

    revisions = [r for r in session.ask(question) if as_of is None or r.effective <= as_of]
    if session.output_format() == "json":
        session.print(render.to_json(revisions))
        return 0
    headers = ["effective", "entry", "type", "baseline", "plan as of", "current baseline", "decided by", "source",
               "note / reason"]
    rows = [(r.effective, r.entry.entry_id, r.entry.type, r.name, r.as_of, r.current, r.entry.deciding_body,
             r.entry.source.title if r.entry.source else None, r.note or r.entry.reason) for r in revisions]
    if session.output_format() == "csv":
        from ledger_server.csv_tables import to_csv

        session.out.write(to_csv(headers, rows))
        return 0
    session.print(session.table(headers, [(*row[:7], row[7] or "(operational)", row[8]) for row in rows],
                                max_width=48, flexible=["source", "note / reason"]))
    return 0


def _positive(text: str, field: str, minimum: int) -> int:
    try:
        number = int(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a whole number", field=field) from None
    if number < minimum:
        raise InvalidInput(f"must be at least {minimum}, not {number}", field=field)
    return number


def _log_query(session: Session, known_types: Sequence[str]) -> Any:
    from ledger import suggest
    from projections.audit import LogQuery

    args = session.args
    types = frozenset(args.type or ())
    for name in sorted(types - set(known_types)):
        raise InvalidInput(f"{name!r} is not an entry type" + suggest.hint(name, known_types), field="type")
    recorded_to = None if args.until is None else _moment(args.until, "until", end_of_day=True)
    if args.recorded_as_of is not None:
        limit = _datetime(args.recorded_as_of)
        recorded_to = limit if recorded_to is None else min(recorded_to, limit)
    return LogQuery(
        programme=args.programme,
        types=types,
        subjects=frozenset(s for s in (args.actor, args.wave) if s is not None),
        effective_to=None if args.as_of is None else _date(args.as_of, "as-of"),
        recorded_from=None if args.since is None else _moment(args.since, "since", end_of_day=False),
        recorded_to=recorded_to,
        after=_positive(args.after, "after", 0),
        first=_positive(args.limit, "limit", 1),
    )


async def _require_subjects(reader: Reader, programme: str | None, actor: str | None, wave: str | None) -> None:
    """NOT_FOUND, with the closest ids, for an actor or wave no programme has registered."""
    from ledger import suggest

    if actor is None and wave is None:
        return
    plans = await _latest_plans(reader, programme)
    where = f"in {programme!r}" if programme else "in the ledger"
    for kind, wanted, known in (("actor", actor, [a.id for p in plans for a in p.actors]),
                                ("wave", wave, [w.id for p in plans for w in p.waves])):
        if wanted is not None and wanted not in known:
            raise suggest.unknown(f"no {kind} {wanted!r} {where}", wanted, known, kind)


def cmd_log(session: Session) -> int:
    from ledger.changes import change_types
    from ledger_server import csv_tables
    from projections.audit import LogPage

    query = _log_query(session, sorted(change_types()))

    async def question(reader: Reader) -> LogPage:
        if query.programme is not None:
            await _require_programme(reader, query.programme)
        await _require_subjects(reader, query.programme, session.args.actor, session.args.wave)
        return await reader.log_page(query)

    page = session.ask(question)
    if session.write_data(page.entries, csv_tables.log_csv):
        return 0
    rows = [(e.position, e.entry_id, e.type, e.effective, ", ".join(sorted(e.subjects)), e.recorded_at,
             e.recorded_by, e.source.title if e.source else "(operational)",
             "retracted" if e.retracted_by else ("corrected" if e.corrected_by else ""))
            for e in page.entries]
    session.print(session.table(
        ["pos", "entry", "type", "effective", "subject", "recorded_at", "recorded_by", "source", "later"], rows,
        max_width=50, flexible=["subject", "source"],
    ))
    if page.has_more:
        last = page.entries[-1].position
        session.print(f"(more: ledger log --after {last})")
    return 0


def cmd_token(session: Session) -> int:
    from ledger_server.auth import TokenStore

    args = session.args
    if args.action != "create":
        args.reads_only = True  # listing or revoking the tokens of a ledger that is not there is a typo
        session._refuse_a_missing_sqlite_file()
    if args.action != "revoke" and args.target is not None:
        raise InvalidInput(f"`ledger token {args.action}` takes no name; use --name", field="name")
    if args.action == "create":
        if args.role is None:
            raise InvalidInput(f"`ledger token create` needs --role ({', '.join(ROLES)})", field="role")
        expires = None if args.expires is None else _expiry(args.expires)
        token, principal = TokenStore(session.location).create(args.role, args.name, expires)
        until = "" if expires is None else f", expires {expires:%Y-%m-%d %H:%M:%S %Z}"
        session.err.write(f"token for {principal.name!r} with role {principal.role}{until} "
                          "(shown once; only its hash is kept):\n")
        session.print(token)
        return 0
    if args.action == "revoke":
        if args.target is None:
            raise InvalidInput("`ledger token revoke` needs the token's NAME", field="name")
        count = TokenStore(session.location).revoke(args.target)
        session.print(f"revoked {count} token(s) named {args.target!r}; running servers refuse them within a second")
        return 0
    return _list_tokens(session)


def _list_tokens(session: Session) -> int:
    from ledger_server import render
    from ledger_server.auth import TokenStore

    now = datetime.now(UTC)
    tokens = TokenStore(session.location).tokens()
    if session.args.json:
        session.print(render.to_json([{**render.jsonable(t), "status": t.status(now)} for t in tokens]))
        return 0
    session.print(session.table(
        ["name", "role", "status", "created_at", "expires_at", "revoked_at"],
        [(t.name, t.role, t.status(now), t.created_at, t.expires_at, t.revoked_at) for t in tokens],
    ))
    return 0


def _expiry(text: str) -> datetime:
    """`--expires`: a span from now (90d, 12h, 30m), a date (the end of that UTC day) or a timestamp."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text[:-1].isdigit() and text[-1:] in units:
        return datetime.now(UTC) + timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        return _moment(text, "expires", end_of_day=True)
    except InvalidInput:
        raise InvalidInput(f"{text!r} is not a span such as 90d, 12h or 30m, a date or a timestamp "
                           "with an offset", field="expires") from None


def _verification_lines(status: Status) -> list[tuple[str, str]]:
    """The status lines of the last verification that held, and of a failure since."""
    held = status.verified
    if held is None:
        lines = [("verified", "never (run `ledger verify`)")]
    else:
        bears_out = "matches the log now" if held.matches_log else "DOES NOT MATCH the log now"
        lines = [("verified", f"up to position {held.position} ({held.tree_size} entries) at "
                              f"{held.verified_at.isoformat(timespec='seconds')}"),
                 ("verified root", f"{held.root_hash} ({bears_out})")]
    if (failed := status.verify_failed) is not None:
        where = "" if failed.first_bad_position is None else f", first bad position {failed.first_bad_position}"
        lines.append(("verify FAILED", f"at {failed.failed_at.isoformat(timespec='seconds')}{where}"))
    return lines


def cmd_status(session: Session) -> int:
    """Store position, read-model position and lag, schema version, projector leader, tokens."""
    from ledger_server import render
    from ledger_server.auth import TokenStore
    from ledger_server.status import Status, lag, read_model_facts, verification

    app = session.app
    store_position = app.last_position()
    tokens = TokenStore(session.location).tokens()
    now = datetime.now(UTC)
    active = sum(1 for t in tokens if t.status(now) == "active")
    verified, failed = verification(app)
    if session.location.is_postgres:

        async def facts(pool: Any) -> tuple[int, int | None, str | None]:
            return await read_model_facts(pool)

        position, version, leader = _run(_with_pool_of(session, facts))
        behind = lag(app, store_position, position)
        status = Status(session.location.describe(), store_position, "postgres", position, behind.entries,
                        behind.seconds, version, leader, active, len(tokens), verified, failed)
    else:
        status = Status(session.location.describe(), store_position, "memory (built by each server)", None,
                        None, None, None, None, active, len(tokens), verified, failed)
    if session.args.json:
        session.print(render.to_json(status))
        return 0
    lines = [
        ("store", f"{status.store} at position {status.store_position}"),
        ("read model", status.read_model if status.read_model_position is None else
         f"{status.read_model} at position {status.read_model_position}, schema version {status.schema_version}"),
        ("lag", "-" if status.lag_entries is None else f"{status.lag_entries} entries, {status.lag_seconds:.1f} s"),
        ("projector leader", status.projector_leader or ("none" if status.read_model_position is not None else "-")),
        ("tokens", f"{status.tokens_active} active of {status.tokens_total}"),
        *_verification_lines(status),
    ]
    session.print("\n".join(f"{name + ':':18}{value}" for name, value in lines))
    return 0


async def _with_pool_of(session: Session, work: Callable[[Any], Awaitable[T]]) -> T:
    import asyncpg

    from ledger.outage import probe

    probe(session.location)  # names the cause the way every other command does
    pool = await asyncpg.create_pool(session.location.url, min_size=1, max_size=2,
                                     timeout=session.location.connect_timeout_seconds)
    try:
        async with pool.acquire() as connection:
            from projections.pg_schema import migrate

            await migrate(connection)
        return await work(pool)
    finally:
        await pool.close()


def cmd_schema(session: Session) -> int:
    from ledger_server.schema import build_schema
    from ledger_server.settings import ApiSettings

    sdl = build_schema(ApiSettings(store=session.location)).as_str() + "\n"
    if session.args.output:
        Path(session.args.output).write_text(sdl, encoding="utf-8")
    else:
        session.out.write(sdl)
    return 0


def cmd_serve(session: Session) -> int:
    import uvicorn

    from ledger.outage import probe
    from ledger_server.app import create_app
    from ledger_server.log_redaction import uvicorn_log_config
    from ledger_server.settings import ApiSettings

    settings = ApiSettings.from_environment(session.args.database)
    probe(settings.store)  # fail in one line now rather than inside uvicorn's start-up
    if session.args.no_graphiql:
        settings = replace(settings, graphiql=False)
    if session.args.no_projector:
        settings = replace(settings, projector=False)
    if not settings.store.is_postgres:
        session.args.needs_folder = True
        session._refuse_a_missing_sqlite_file()
        if not settings.store.sqlite_path.exists():
            session.err.write(f"no ledger at {settings.store.sqlite_path} yet: serving a new, empty one\n")
    workers = _positive(str(session.args.workers), "workers", 1)
    if workers > 1 and settings.chosen_read_model != "postgres":
        raise InvalidInput("several workers need a PostgreSQL store and its read model: each worker's in-memory "
                           "model would answer a query sent after a write to another worker without it",
                           field="workers")
    host, port = session.args.host, session.args.port
    session.err.write(f"serving {settings.store.describe()} on http://{host}:{port}/graphql"
                      f"{f' with {workers} workers' if workers > 1 else ''} (the web page is at http://{host}:{port}/)\n")
    log_options: dict[str, Any] = {"log_config": uvicorn_log_config()}
    if settings.log_format == "json":
        from ledger_server.logs import use_json_logs

        use_json_logs()
        log_options = {"log_config": None}  # uvicorn's records go to the JSON handler, not its own
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", **log_options)
        return 0
    # Each worker process builds its app from the environment, so the settings travel there.
    os.environ.update({
        "LEDGER_DATABASE_URL": settings.store.url, "LEDGER_GRAPHIQL": "1" if settings.graphiql else "0",
        "LEDGER_PROJECTOR": "1" if settings.projector else "0", "LEDGER_LOG_FORMAT": settings.log_format,
    })
    uvicorn.run("ledger_server.app:app_from_environment", factory=True, workers=workers, host=host, port=port,
                log_level="info", **log_options)
    return 0


def _require_postgres(session: Session, what: str) -> None:
    if not session.location.is_postgres:
        raise InvalidInput(
            f"{what} is for PostgreSQL stores; a SQLite store is read from memory and needs no read model tables",
            field="database",
        )


async def _with_pool(session: Session, work: Callable[[Any], Awaitable[int]]) -> int:
    import asyncpg

    from ledger.outage import probe

    probe(session.location)  # names the cause the way every other command does
    pool = await asyncpg.create_pool(session.location.url, min_size=1, max_size=2,
                                     timeout=session.location.connect_timeout_seconds)
    try:
        return await work(pool)
    finally:
        await pool.close()


def cmd_migrate(session: Session) -> int:
    from projections.pg_schema import migrate

    _require_postgres(session, "ledger migrate")

    async def work(pool: Any) -> int:
        async with pool.acquire() as connection:
            return await migrate(connection)

    version = _run(_with_pool(session, work))
    session.print(f"read model schema at version {version}")
    if session.args.app_role:
        from ledger.roles import grant_app_role

        tables = grant_app_role(session.app, session.args.app_role)
        session.print(f"role {session.args.app_role} may SELECT and INSERT on {', '.join(tables)}, nothing more")
    return 0


def cmd_rebuild(session: Session) -> int:
    from ledger_server.progress import Bars
    from projections.pg_rebuild import rebuild

    _require_postgres(session, "ledger rebuild")
    app = session.app

    bars = Bars(session.err)

    async def work(pool: Any) -> int:
        return await rebuild(app, pool, bars.update)

    try:
        position = _run(_with_pool(session, work))
    finally:
        bars.close()
    session.print(f"read model rebuilt up to position {position} and swapped in")
    return 0


def cmd_project(session: Session) -> int:
    """Run the projector: catch the read model up with the store (and with --follow, keep it up).

    With --follow this process competes for the projector leadership: it projects while it
    leads, and stands by (taking over within a poll interval) while another process leads.
    """
    from projections.pg_projector import PostgresProjector
    from projections.pg_schema import migrate

    _require_postgres(session, "ledger project")
    app = session.app

    async def work(pool: Any) -> int:
        async with pool.acquire() as connection:
            await migrate(connection)
        projector = PostgresProjector(app, pool, batch=session.args.batch)
        if not session.args.follow:
            return await projector.catch_up()  # one catch-up is safe beside any leader
        return await _follow(session, app, projector)

    position = _run(_with_pool(session, work))
    session.print(f"read model at position {position}")
    return 0


async def _follow(session: Session, app: LedgerApplication, projector: Any) -> int:
    """Lead the projector when the lock is free; catch up on every NOTIFY and every poll, until stopped."""
    import asyncio
    import contextlib

    import asyncpg

    from ledger_server.settings import ApiSettings
    from projections.pg_leader import Leadership

    poll = ApiSettings.from_environment(session.args.database).poll_seconds
    leadership = Leadership(session.location.url, "projector")
    woken = asyncio.Event()
    listener = await asyncpg.connect(session.location.url)
    await listener.add_listener(app.recorder.channel_name, lambda *_: woken.set())  # type: ignore[attr-defined]
    leading = None
    try:
        while True:
            now_leads = await leadership.try_lead()
            if now_leads != leading:
                leading = now_leads
                session.err.write("leading the projector\n" if leading else
                                  "standing by: another process leads the projector\n")
                session.err.flush()
            if leading:
                await projector.catch_up()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout=poll)
            woken.clear()
    finally:
        await listener.close()
        await leadership.close()


def cmd_run(session: Session) -> int:
    """The main job: make sure the ledger holds history, show a plan, then serve the API.

    With no programme named, the plan shown is the only programme's, else the bundled
    dataset's, else the first by id; the others are named so the user can ask for them.
    """
    if session.app.last_position() == 0:
        session.print(f"empty ledger at {session.location.describe()}: importing {DEFAULT_DATASET!r}")
        session.args.source = DEFAULT_DATASET
        cmd_import(session)
    named = session.args.programme
    session.args.json = False
    session.args.as_of = session.args.recorded_as_of = None

    async def question(reader: Reader) -> tuple[ProgrammePlan, list[str]]:
        from projections.plan import known

        programmes = await _programme_ids(reader)
        chosen = named or (programmes[0] if programmes and DEFAULT_DATASET not in programmes else DEFAULT_DATASET)
        await _require_programme(reader, chosen)
        today, now = session.as_of(), session.recorded_as_of()
        return known(await reader.plan(chosen, today, now), chosen, today), programmes

    plan, programmes = session.ask(question)
    _show_plan(session, plan)
    others = [p for p in programmes if p != plan.id]
    if others:
        session.print(f"\nthe ledger also holds {', '.join(others)}: `ledger run PROGRAMME` shows another")
    if session.args.no_serve:
        return 0
    session.close()
    return cmd_serve(session)


class _Version(argparse.Action):
    """`--version`, looked up from the installed distribution only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("programme-ledger")
        except PackageNotFoundError:
            found = "unknown (not installed)"
        print(f"ledger {found}")  # on stdout, like --help
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ledger", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Callable[[Session], int], help_text: str, *,
                reads_only: bool = False) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--database", help="sqlite:///file.db or postgresql://user@host/db")
        sub.set_defaults(handler=handler, reads_only=reads_only)
        return sub

    def as_of_options(sub: argparse.ArgumentParser, as_of: str = "the date, YYYY-MM-DD (default today)") -> None:
        sub.add_argument("--as-of", help=as_of)
        sub.add_argument("--recorded-as-of", help="as the ledger knew it at this time, with an offset (default now)")
        sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
        sub.add_argument("--format", choices=["table", "json", "csv"],
                         help="table (default), json, or csv for spreadsheets")
        sub.add_argument("--wide", action="store_true", help="show every column in full (default: fit 100 columns)")

    sub = command("import", cmd_import, "import a JSON Lines file or a bundled dataset, all or nothing")
    sub.add_argument("source", help="a .jsonl file, or a bundled dataset name such as helseplattformen")
    sub = command("export", cmd_export, "write the whole log as JSON Lines", reads_only=True)
    sub.add_argument("--output", help="write to this file instead of standard output")
    sub.add_argument("--programme", help="only this programme's entries")
    sub = command("plan", cmd_plan, "the plan of a programme on a date", reads_only=True)
    sub.add_argument("programme", nargs="?", help="programme id (optional when there is only one)")
    as_of_options(sub)
    sub = command("compare", cmd_compare, "a baseline against a later plan and the actual go-lives", reads_only=True)
    sub.add_argument("programme")
    sub.add_argument("--baseline", required=True, help="a baseline name or a date YYYY-MM-DD")
    sub.add_argument("--against", help="compare with the plan on this date (default today; same as --as-of)")
    as_of_options(sub, "the date of the plan compared with the baseline (default today)")
    sub.add_argument("--svg", metavar="FILE", help="also draw the plan-vs-actual timeline (Tracking Gantt) as SVG")
    sub = command("trend", cmd_trend, "milestone trend: how the forecast go-live of actors and waves moved",
                  reads_only=True)
    sub.add_argument("programme")
    sub.add_argument("subjects", nargs="+", metavar="ACTOR|WAVE", help="actor or wave ids (actor:ID, wave:ID)")
    sub.add_argument("--report-date", choices=["effective", "recorded"], default="effective",
                     help="place reports at the entry's effective date (default), or on the day it was "
                          "recorded with the forecast as known then")
    sub.add_argument("--svg", metavar="FILE", help="also draw the milestone trend (MTA) chart as SVG")
    sub.add_argument("--recorded-as-of", help="as the ledger knew it at this time, with an offset (default now)")
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub.add_argument("--format", choices=["table", "json", "csv"], help="table (default), json, or csv")
    sub.add_argument("--wide", action="store_true", help="show every column in full (default: fit 100 columns)")
    sub = command("history", cmd_history, "every revision of an actor's planned go-live, or of the baselines",
                  reads_only=True)
    sub.add_argument("programme")
    sub.add_argument("actor", nargs="?", help="the actor (or give --baselines)")
    sub.add_argument("--baselines", action="store_true",
                     help="every baseline named or adopted as the current one (re-baselining), instead of an actor")
    as_of_options(sub, "only the revisions in effect by this date (default all)")
    sub = command("log", cmd_log, "the audit trail: who recorded what, when, from which source", reads_only=True)
    sub.add_argument("--programme")
    sub.add_argument("--actor", help="only entries concerning this actor")
    sub.add_argument("--wave", help="only entries concerning this wave")
    sub.add_argument("--type", action="append", help="only entries of this type (repeat for several)")
    sub.add_argument("--since", help="only entries recorded at or after this date or time (UTC)")
    sub.add_argument("--until", help="only entries recorded at or before this date or time (UTC)")
    sub.add_argument("--limit", default="1000", help="at most this many entries (default 1000)")
    sub.add_argument("--after", default="0", help="start after this position")
    as_of_options(sub, "only entries effective on or before this date (default all)")
    sub = command("serve", cmd_serve, "serve the GraphQL API with uvicorn")
    _serve_options(sub)
    sub = command("run", cmd_run, "import the bundled history into an empty ledger, show the plan, serve the API")
    sub.add_argument("programme", nargs="?", help="the programme whose plan to show (default: the bundled one)")
    _serve_options(sub)
    sub.add_argument("--no-serve", action="store_true", help="stop after showing the plan")
    sub = command("token", cmd_token, "create (printed once), list or revoke API bearer tokens")
    sub.add_argument("action", choices=["create", "list", "revoke"])
    sub.add_argument("target", nargs="?", metavar="NAME", help="revoke: the name of the token(s) to revoke")
    sub.add_argument("--role", choices=list(ROLES), help="create: the token's role")
    sub.add_argument("--name", help="create: who the token is for; shown as recorded_by (token:NAME)")
    sub.add_argument("--expires", help="create: 90d, 12h, 30m, a date or a timestamp (default never)")
    sub.add_argument("--json", action="store_true", help="list: print JSON instead of a table")
    sub.add_argument("--wide", action="store_true", help="list: show every column in full")
    sub = command("migrate", cmd_migrate, "create or upgrade the PostgreSQL read model's tables")
    sub.add_argument("--app-role", help="grant this role only SELECT and INSERT on the event store (ledger.roles)")
    command("rebuild", cmd_rebuild, "rebuild the PostgreSQL read model from the store (COPY, then swap)")
    sub = command("project", cmd_project, "bring the PostgreSQL read model up to date with the store")
    sub.add_argument("--batch", type=int, default=1000, help="entries per transaction")
    sub.add_argument("--follow", action="store_true", help="keep following new entries until stopped")
    sub = command("status", cmd_status, "store and read-model positions, lag, projector leader, tokens, last verify",
                  reads_only=True)
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")
    sub = command("schema", cmd_schema, "print the GraphQL schema (SDL)")
    sub.add_argument("--output", help="write to this file instead of standard output")
    verify_commands.add_commands(command)
    cost_commands.add_commands(command)
    return parser


def _serve_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=8000)
    sub.add_argument("--no-graphiql", action="store_true", help="switch the GraphiQL page off")
    sub.add_argument("--workers", default="1", help="API worker processes (more than 1 needs PostgreSQL)")
    sub.add_argument("--no-projector", action="store_true",
                     help="only read and follow: never lead the PostgreSQL projector (LEDGER_PROJECTOR=0)")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Entry point of the `ledger` command."""
    args = _parser().parse_args(argv)
    session: Session | None = None
    try:
        session = Session(args, out, err)
        status = int(args.handler(session))
        out.flush()  # here, so that a closed pipe is noticed while it can still be handled
        return status
    except BrokenPipeError:
        # The reader went away (`ledger log | head -2`): stop quietly, as Unix tools do.
        _discard_stdout(out)
        return SIGPIPE_STATUS
    except ImportRejected as rejected:
        print(f"error [{rejected.code}]: {len(rejected.errors)} bad line(s); nothing was written", file=err)
        for line in rejected.errors:
            print(f"  {line}", file=err)
        return 2
    except LedgerError as error:
        print(f"error [{error.code}]: {error}", file=err)
        return 2
    except Exception as error:
        from ledger.outage import is_store_failure, unavailable

        if not is_store_failure(error):
            raise
        # Whatever driver said it, a store that stopped answering is one line, not a traceback.
        failure = unavailable(session.location if session else store_location(args.database), error)
        print(f"error [{failure.code}]: {failure}", file=err)
        return 2
    finally:
        if session is not None:
            session.close()


def _discard_stdout(out: TextIO) -> None:
    """Point the process's stdout at /dev/null, so the interpreter's final flush cannot fail again."""
    if out is not sys.__stdout__ or sys.__stdout__ is None:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.__stdout__.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
