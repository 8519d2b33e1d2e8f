"""Two PostgreSQL roles: the tables' owner runs `ledger migrate --app-role`, the application only appends.

In PostgreSQL only a table's owner can disable its triggers, so the application's role, granted
SELECT and INSERT and nothing else, can record entries but can neither change stored rows nor
switch off the triggers that refuse it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from ledger_server.cli import main
from tests import postgres
from tests.conftest import SAMPLE


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str
    owner_url: str
    app_url: str


def _as(url: str, role: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port or 5432}"))


@pytest.fixture
def roles(postgres_server: str, postgres_url: str) -> Iterator[Roles]:
    """An owner role and an app role (neither a superuser) on a fresh database; all dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"ledger_owner_{suffix}", f"ledger_app_{suffix}"
    database = urlsplit(postgres_url).path.lstrip("/")
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {owner} LOGIN")
        admin.execute(f"CREATE ROLE {app} LOGIN")
        admin.execute(f'GRANT CREATE ON DATABASE "{database}" TO {owner}')
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"ALTER SCHEMA public OWNER TO {owner}")
    try:
        yield Roles(owner, app, _as(postgres_url, owner), _as(postgres_url, app))
    finally:
        postgres.drop_database(postgres_server, postgres_url)  # first, so the roles own nothing
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f"DROP ROLE IF EXISTS {app}")
            admin.execute(f"DROP ROLE IF EXISTS {owner}")


def ledger(database: str, *argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = main([*argv, "--database", database], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _count(url: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT count(*) FROM ledger_events").fetchone()
    assert row is not None
    return int(row[0])


def test_the_app_role_appends_but_cannot_disable_a_trigger_or_change_a_row(roles: Roles, tmp_path: Path) -> None:
    assert ledger(roles.owner_url, "import", str(SAMPLE))[0] == 0
    code, out, err = ledger(roles.owner_url, "migrate", "--app-role", roles.app)
    assert code == 0, err
    assert f"role {roles.app} may SELECT and INSERT on public.ledger_events, public.ledger_snapshots, " \
           "public.ledger_leaves, public.ledger_leaves_meta, public.ledger_verifications, nothing more" in out
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"type": "StatusAssessed", "programme": "demo", "effective": "2024-05-01",
                                "key": "by-app", "source": {"title": "Status"}, "status": "Fine", "risk": "Low",
                                "summary": "ok"}) + "\n")
    code, out, err = ledger(roles.app_url, "import", str(more))
    assert (code, out.split(":")[-1].strip()) == (0, "1 added, 0 already present"), err
    attempts = {
        "ALTER TABLE ledger_events DISABLE TRIGGER USER": "must be owner of table ledger_events",
        "ALTER TABLE ledger_leaves DISABLE TRIGGER ledger_leaves_append_only": "must be owner of table ledger_leaves",
        "DROP TRIGGER ledger_events_append_only ON ledger_events": "must be owner of relation ledger_events",
        "UPDATE ledger_events SET state = state WHERE notification_id = 1": "permission denied for table ledger_events",
        "DELETE FROM ledger_events WHERE notification_id = 1": "permission denied for table ledger_events",
        "TRUNCATE ledger_leaves": "permission denied for table ledger_leaves",
        "UPDATE ledger_leaves SET leaf = leaf": "permission denied for table ledger_leaves",
    }
    refusal = psycopg.errors.InsufficientPrivilege
    for statement, message in attempts.items():
        with psycopg.connect(roles.app_url) as connection, pytest.raises(refusal) as refused:
            connection.execute(statement)
        assert str(refused.value).startswith(message), statement
    assert _count(roles.owner_url) == 23
    code, out, _ = ledger(roles.app_url, "verify")
    assert code == 0
    assert "verified 23 entries up to position 23" in out


def test_granting_an_unknown_or_malformed_role_is_refused_and_grants_nothing(roles: Roles) -> None:
    assert ledger(roles.owner_url, "import", str(SAMPLE))[0] == 0
    code, _, err = ledger(roles.owner_url, "migrate", "--app-role", "no_such_role")
    assert (code, err) == (2, "error [INVALID_INPUT]: app-role: there is no role 'no_such_role'; "
                              "create it first (CREATE ROLE no_such_role LOGIN)\n")
    code, _, err = ledger(roles.owner_url, "migrate", "--app-role", "Robert'); DROP TABLE x; --")
    assert code == 2
    assert err.startswith("error [INVALID_INPUT]: app-role: \"Robert'); DROP TABLE x; --\" is not a role name")
    with psycopg.connect(roles.owner_url) as connection:
        row = connection.execute("SELECT has_table_privilege(%s, 'ledger_events', 'SELECT')", (roles.app,)).fetchone()
    assert row == (False,)
    assert _count(roles.owner_url) == 22


def test_the_app_role_will_not_record_into_a_store_without_leaf_tables(roles: Roles, tmp_path: Path) -> None:
    assert ledger(roles.owner_url, "import", str(SAMPLE))[0] == 0
    with psycopg.connect(roles.owner_url, autocommit=True) as connection:
        connection.execute("DROP TABLE ledger_leaves, ledger_leaves_meta")  # as a store made before leaf hashes
        connection.execute(f"GRANT SELECT, INSERT ON ledger_events, ledger_snapshots TO {roles.app}")
    code, _, err = ledger(roles.app_url, "import", str(SAMPLE))
    assert (code, err) == (2, "error [INVALID_INPUT]: database: this store has no leaf hashes yet and this role "
                              "does not own its tables: run `ledger migrate` once as their owner\n")
    assert _count(roles.owner_url) == 22
