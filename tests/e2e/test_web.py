"""The web page's routes through the Starlette app on both stores: assets, chart SVGs, token rules, errors."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ledger.application import LedgerApplication
from ledger_server.web import STATIC
from tests.e2e.conftest import Served, serve

NS = {"svg": "http://www.w3.org/2000/svg"}
ROOT = Path(__file__).parent.parent.parent
TREND = "/programmes/demo/trend.svg"
TIMELINE = "/programmes/demo/timeline.svg"


def _get(api: Served, path: str, token: str | None = None, **params: str | list[str]):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return api.http.get(path, params=params, headers=headers)


def _local_references(html: str) -> list[str]:
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert references
    return references


@pytest.mark.parametrize("path", ["/", "/programmes/demo"])
def test_the_page_and_every_asset_it_names_come_from_the_app(api: Served, path: str) -> None:
    page = api.http.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for reference in _local_references(page.text):
        assert reference.startswith(("/", "data:")), reference  # never another host
        if reference.startswith("/static/"):
            assert api.http.get(reference).status_code == 200, reference
    script = api.http.get("/static/page/page.js").text
    assert "http://" not in script
    assert "https://" not in script


def test_graphiql_is_the_vendored_copy_with_no_cdn(api: Served) -> None:
    page = api.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    references = [r for r in _local_references(page.text) if r != "data:,"]  # data:, is the empty icon
    assert all(r.startswith("/static/graphiql/") for r in references), references
    for reference in references:
        assert api.http.get(reference).status_code == 200


def test_without_graphiql_none_of_its_files_are_served_but_the_page_s_are(api: Served) -> None:
    assets = sorted(path.name for path in (STATIC / "graphiql").iterdir() if path.is_file())
    assert assets  # the files are there to serve, so a 404 below means "not served"
    assert all(api.http.get(f"/static/graphiql/{name}").status_code == 200 for name in assets)
    with serve(api.url, api.tokens, public_reads=False, graphiql=False) as closed:
        answers = {name: closed.http.get(f"/static/graphiql/{name}").status_code for name in assets}
        page = closed.http.get("/graphql", headers={"Accept": "text/html"})
        own = closed.http.get("/static/page/page.js")
        html = closed.http.get("/static/graphiql.html")
    assert set(answers.values()) == {404}, answers
    assert (page.status_code, html.status_code) == (404, 404)
    assert "graphiql" not in page.text.lower()
    assert own.status_code == 200
    assert "fetch" in own.text


def test_the_vendored_graphiql_files_are_those_the_manifest_names() -> None:
    folder = STATIC / "graphiql"
    manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    assert {name: entry["version"] for name, entry in manifest.items()} == {
        "react": "18.2.0", "react-dom": "18.2.0", "graphiql": "3.8.3"}
    listed = {file: digest for entry in manifest.values() for file, digest in entry["files"].items()}
    assert set(listed) | {"MANIFEST.json"} == {p.name for p in folder.iterdir()}
    for file, digest in listed.items():
        assert hashlib.sha256((folder / file).read_bytes()).hexdigest() == digest, file
    assert all((folder / f"LICENSE.{name}").read_text(encoding="utf-8").startswith("MIT") for name in manifest)


def test_the_trend_svg_draws_the_chosen_actors_and_waves(api: Served) -> None:
    answer = _get(api, TREND, api.tokens.reader, subject=["south-trust", "wave:w2"], asOf="2024-01-01")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(answer.text)
    series = root.findall(".//svg:g[@class='series']", NS)
    assert [(g.get("data-kind"), g.get("data-subject")) for g in series] == [("actor", "south-trust"), ("wave", "w2")]
    assert all(len(g.findall("svg:path[@class='trend-line']", NS)) == 1 for g in series)


def test_the_timeline_svg_compares_the_baseline_with_the_plan_on_a_date(api: Served) -> None:
    answer = _get(api, TIMELINE, api.tokens.reader, baseline="2021-01-01", against="2024-06-01")
    assert answer.status_code == 200, answer.text
    root = ET.fromstring(answer.text)
    north = root.find("svg:g[@data-subject='north-trust']", NS)
    assert north is not None
    assert north.get("data-status") == "late"
    assert root.find("svg:line[@class='against']", NS) is not None


@pytest.mark.parametrize(("path", "params", "status", "code", "words"), [
    (TREND, {"subject": ["nobody"]}, 404, "NOT_FOUND", "has no actor or wave 'nobody'"),
    (TREND, {}, 400, "INVALID_INPUT", "choose at least one actor or wave"),
    (TREND, {"subject": ["w2"], "asOf": "2024-13-01"}, 400, "INVALID_INPUT", "asOf"),
    (TREND, {"subject": ["w2"], "recordedAsOf": "2024-01-01T00:00:00"}, 400, "INVALID_INPUT", "no UTC offset"),
    ("/programmes/nowhere/trend.svg", {"subject": ["w2"]}, 404, "NOT_FOUND", "'nowhere'"),
    (TIMELINE, {}, 400, "INVALID_INPUT", "give a baseline"),
    (TIMELINE, {"baseline": "never named"}, 404, "NOT_FOUND", "is neither a baseline name"),
    (TIMELINE, {"baseline": "2021-01-01", "against": "someday"}, 400, "INVALID_INPUT", "against"),
])
def test_bad_chart_requests_name_what_was_wrong_and_write_nothing(
    api: Served, ledger: LedgerApplication, path: str, params: dict[str, list[str] | str], status: int, code: str,
    words: str,
) -> None:
    before = ledger.last_position()
    answer = _get(api, path, api.tokens.reader, **params)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert words in error["message"]
    assert ledger.last_position() == before


def test_charts_follow_the_read_token_rules(api: Served, seeded_url: str, ledger: LedgerApplication) -> None:
    before = ledger.last_position()
    anonymous = _get(api, TREND, None, subject=["w2"])
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
    forged = _get(api, TIMELINE, api.tokens.reader + "x", baseline="2021-01-01")
    assert forged.status_code == 401
    assert "not known" in forged.json()["error"]["message"]
    assert _get(api, TREND, api.tokens.recorder, subject=["w2"]).status_code == 200  # a recorder may read
    with serve(seeded_url, api.tokens, public_reads=True) as public:
        assert _get(public, TREND, None, subject=["w2"]).status_code == 200
    assert ledger.last_position() == before


def test_the_page_itself_needs_no_token(api: Served) -> None:
    # It holds no ledger data; it asks for a token when the API answers UNAUTHENTICATED.
    assert api.http.get("/programmes/demo").status_code == 200
    assert "Reader token" in api.http.get("/").text



def test_the_vendoring_script_fetches_exactly_the_committed_files(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`python3 scripts/vendor_graphiql.py`" in readme
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed (Debian package npm); the vendoring script needs it to fetch packages")
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "vendor_graphiql.py"), "--target", str(tmp_path)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    committed = STATIC / "graphiql"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in committed.iterdir())
    for fetched in tmp_path.iterdir():
        assert fetched.read_bytes() == (committed / fetched.name).read_bytes(), fetched.name
