"""Tokens that can be listed, revoked and made to expire; a running server refuses a revoked token
within a second and an expired one at once."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ledger.settings import StoreLocation
from ledger_server.auth import TokenStore
from ledger_server.cli import main
from tests.conftest import SAMPLE
from tests.e2e.servers import ledger_process
from tests.integration.test_cli import Run, ledger

QUERY = {"query": '{ programme(id: "demo", asOf: "2022-12-01") { id } }'}


@pytest.fixture
def db(sqlite_url: str) -> str:
    assert ledger(sqlite_url, "import", str(SAMPLE)).code == 0
    return sqlite_url


def _token(database: str, *argv: str) -> str:
    result = ledger(database, "token", "create", *argv)
    assert result.code == 0, result.err
    return result.out.strip()


def _listed(database: str) -> list[dict[str, object]]:
    tokens = ledger(database, "token", "list", "--json").json()
    assert isinstance(tokens, list)
    return tokens


def _refused(result: Run, code: str, message: str) -> None:
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"error [{code}]: "), result.err
    assert message in result.err


def test_token_list_shows_name_role_and_status_but_never_the_secret(db: str) -> None:
    secret = _token(db, "--role", "reader", "--name", "dashboard", "--expires", "30d")
    _token(db, "--role", "admin", "--name", "ops")
    tokens = _listed(db)
    assert [(t["name"], t["role"], t["status"], t["revoked_at"]) for t in tokens] == [
        ("dashboard", "reader", "active", None), ("ops", "admin", "active", None)]
    expires = datetime.fromisoformat(str(tokens[0]["expires_at"]))
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert tokens[1]["expires_at"] is None
    table = ledger(db, "token", "list")
    assert "dashboard" in table.out
    assert secret not in table.out + json.dumps(tokens)


def test_revoking_marks_the_token_revoked(db: str) -> None:
    _token(db, "--role", "reader", "--name", "dashboard")
    result = ledger(db, "token", "revoke", "dashboard")
    assert result.code == 0, result.err
    assert "revoked 1 token(s) named 'dashboard'" in result.out
    assert [(t["name"], t["status"]) for t in _listed(db)] == [("dashboard", "revoked")]


def test_revoking_an_unknown_name_is_refused_and_changes_nothing(db: str) -> None:
    _token(db, "--role", "reader", "--name", "dashboard")
    before = _listed(db)
    _refused(ledger(db, "token", "revoke", "dashbord"), "NOT_FOUND",
             "name: no unrevoked token named 'dashbord'; did you mean 'dashboard'?")
    assert _listed(db) == before
    assert ledger(db, "token", "revoke", "dashboard").code == 0
    _refused(ledger(db, "token", "revoke", "dashboard"), "NOT_FOUND", "no unrevoked token named 'dashboard'")


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["create", "--role", "reader", "--expires", "soon"], "INVALID_INPUT",
     "expires: 'soon' is not a span such as 90d, 12h or 30m"),
    (["create", "--role", "reader", "--expires", "2001-01-01"], "INVALID_INPUT", "has already passed"),
    (["create"], "INVALID_INPUT", "role: `ledger token create` needs --role"),
    (["revoke"], "INVALID_INPUT", "name: `ledger token revoke` needs the token's NAME"),
    (["list", "someone"], "INVALID_INPUT", "`ledger token list` takes no name"),
])
def test_bad_token_commands_are_refused_and_create_nothing(db: str, argv: list[str], code: str, message: str) -> None:
    _refused(ledger(db, "token", *argv), code, message)
    assert _listed(db) == []


def test_token_list_of_a_missing_ledger_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "ledgr.db"
    _refused(ledger(f"sqlite:///{missing}", "token", "list"), "NOT_FOUND", f"no ledger at {missing}")
    assert not missing.exists()


def test_a_token_table_of_an_older_version_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE ledger_api_tokens (hash TEXT PRIMARY KEY, name TEXT NOT NULL, "
                    "role TEXT NOT NULL, created_at TEXT NOT NULL)")
    old.close()
    store = TokenStore(StoreLocation(f"sqlite:///{path}"))
    token, _ = store.create("reader", "after-upgrade")
    assert store.principal(token) is not None
    assert [t.status(datetime.now(UTC)) for t in store.tokens()] == ["active"]


def _answer(http: httpx.Client, base: str, token: str) -> dict[str, object]:
    answer: dict[str, object] = http.post(f"{base}/graphql", json=QUERY,
                                          headers={"Authorization": f"Bearer {token}"}).json()
    return answer


def test_a_revoked_token_is_refused_by_a_running_server_within_a_second(tmp_path: Path, db: str) -> None:
    token = _token(db, "--role", "reader", "--name", "dashboard")
    with ledger_process(tmp_path, "serve", "--database", db) as server, httpx.Client(timeout=10) as http:
        assert _answer(http, server.base_url, token) == {"data": {"programme": {"id": "demo"}}}
        assert main(["token", "revoke", "dashboard", "--database", db], out=io.StringIO(), err=io.StringIO()) == 0
        revoked = time.monotonic()
        while "errors" not in (answer := _answer(http, server.base_url, token)):
            assert time.monotonic() - revoked < 1.0, "the server still accepts the token a second after revoking it"
            time.sleep(0.05)
    errors = answer["errors"]
    assert isinstance(errors, list)
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "the bearer token 'dashboard' was revoked at " in errors[0]["message"]


def test_an_expired_token_is_refused_by_a_running_server(tmp_path: Path, db: str) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
    token = _token(db, "--role", "reader", "--name", "short-lived", "--expires", soon)
    with ledger_process(tmp_path, "serve", "--database", db) as server, httpx.Client(timeout=10) as http:
        assert _answer(http, server.base_url, token) == {"data": {"programme": {"id": "demo"}}}
        while datetime.now(UTC) <= datetime.fromisoformat(soon):
            time.sleep(0.1)
        answer = _answer(http, server.base_url, token)
    errors = answer["errors"]
    assert isinstance(errors, list)
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "the bearer token 'short-lived' expired at " in errors[0]["message"]
    assert [t["status"] for t in _listed(db)] == ["expired"]
