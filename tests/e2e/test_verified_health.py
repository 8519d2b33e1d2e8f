"""/healthz shows the last `ledger verify`: when, over how much of the log, and whether it held."""

from __future__ import annotations

from io import StringIO

from ledger_server.cli import main
from tests.e2e.conftest import Served
from tests.integration.test_verifiable_log import Tamperer


def _verify(url: str) -> int:
    return main(["verify", "--database", url], out=StringIO(), err=StringIO())


def test_healthz_shows_the_last_verification_and_keeps_a_failed_one_in_view(api: Served) -> None:
    assert api.http.get("/healthz").json()["verified"] is None
    assert _verify(api.url) == 0
    verified = api.http.get("/healthz").json()["verified"]
    assert (verified["ok"], verified["tree_size"], verified["position"], verified["first_bad_position"]) == (
        True, 22, 22, None)
    assert len(verified["root_hash"]) == 64
    tamper = Tamperer(api.url)
    tamper.set_state(9, tamper.state(9).replace(b'"effective":"2', b'"effective":"3', 1))
    assert _verify(api.url) == 1
    response = api.http.get("/healthz")
    assert response.status_code == 200  # the store answers; the verdict is in the body
    assert (response.json()["verified"]["ok"], response.json()["verified"]["first_bad_position"]) == (False, 9)
