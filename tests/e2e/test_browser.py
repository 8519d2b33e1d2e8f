"""The web page and GraphiQL in a real headless chromium, with the network cut off.

A real `ledger serve` process serves the bundled Helseplattformen history. Each test writes
screenshots under its tmp dir (and to $LEDGER_SCREENSHOTS when set; the README's pictures are
made that way).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from ledger_server.cli import main
from tests.conftest import store_position
from tests.e2e.browser import (
    PUBLISHED,
    console_errors,
    element_screenshot,
    offline_chromium,
    requested_urls,
    screenshot,
)
from tests.e2e.servers import RunningServer, ledger_process

WAIT = 30


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'ledger.db'}"
    assert main(["import", "helseplattformen", "--database", url], out=io.StringIO(), err=io.StringIO()) == 0
    return url


@pytest.fixture(scope="module")
def public_server(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with ledger_process(tmp_path_factory.mktemp("public"), "serve", "--database", database,
                        env={"LEDGER_PUBLIC_READS": "1"}) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with offline_chromium() as driver:
        yield driver


def _wait(driver: webdriver.Chrome, condition: str) -> None:
    """Wait until a JavaScript condition holds in the page."""
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script(f"return Boolean({condition})"),
                                      message=condition)


def _only_this_server(driver: webdriver.Chrome, server: RunningServer) -> None:
    urls = requested_urls(driver)
    assert urls, "the performance log recorded no request"
    foreign = [u for u in urls if not u.startswith((server.base_url, "data:", "about:", "blob:"))]
    assert foreign == [], "the page asked another host for something"
    assert console_errors(driver) == []


def _open(driver: webdriver.Chrome, server: RunningServer, as_of: str) -> None:
    driver.get(f"{server.base_url}/programmes/helseplattformen?asOf={as_of}&baseline=original+plan")
    _wait(driver, f"document.body.dataset.loaded === '{as_of}'")


def _actor_row(driver: webdriver.Chrome, actor: str) -> list[str]:
    row: list[str] = driver.execute_script(
        "return [...document.querySelector(`#actors td[data-actor='${arguments[0]}']`).parentElement.cells]"
        ".map(c => c.textContent)", actor)
    return row


def _table(driver: webdriver.Chrome, table: str) -> list[list[str]]:
    """The cells of a table's body, read in one go (the page may redraw it between calls)."""
    rows: list[list[str]] = driver.execute_script(
        "return [...document.querySelectorAll(`#${arguments[0]} tbody tr`)]"
        ".map(r => [...r.cells].map(c => c.textContent))", table)
    return rows


def _set_date(driver: webdriver.Chrome, as_of: str) -> None:
    field = driver.find_element(By.ID, "as-of")
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))",
                          field, as_of)
    _wait(driver, f"document.body.dataset.loaded === '{as_of}'")


def test_the_page_loads_offline_and_changing_the_date_changes_the_plan(
    browser: webdriver.Chrome, public_server: RunningServer, tmp_path: Path,
) -> None:
    requested_urls(browser)  # start the logs afresh
    console_errors(browser)
    _open(browser, public_server, "2022-03-01")
    assert browser.find_element(By.ID, "plan-date").text == "2022-03-01"
    assert _actor_row(browser, "st-olavs-hospital") == ["St. Olavs hospital HF", "PD1", "30. april 2022",
                                                        "planned", "-"]
    screenshot(browser, tmp_path, "page-2022-03-01")
    _set_date(browser, "2023-06-01")
    assert browser.find_element(By.ID, "plan-date").text == "2023-06-01"
    assert "asOf=2023-06-01" in browser.current_url
    olavs = _actor_row(browser, "st-olavs-hospital")
    assert (olavs[3], olavs[4]) == ("live", "2022-11-12")
    screenshot(browser, tmp_path, "page", full=False)
    screenshot(browser, tmp_path, "page-2023-06-01")
    _only_this_server(browser, public_server)
    assert list(tmp_path.glob("*.png"))


def test_the_front_page_lists_the_programmes_and_links_to_each(
    browser: webdriver.Chrome, public_server: RunningServer,
) -> None:
    browser.get(f"{public_server.base_url}/")
    _wait(browser, "document.body.dataset.loaded === 'programmes'")
    link = browser.find_element(By.CSS_SELECTOR, "#programme-list a")
    assert link.text == "Helseplattformen"
    link.click()
    _wait(browser, "document.body.dataset.loaded && document.body.dataset.loaded !== 'programmes'")
    assert browser.current_url.startswith(f"{public_server.base_url}/programmes/helseplattformen?asOf=")
    assert browser.find_element(By.ID, "programme-name").text == "· Helseplattformen"


def test_the_mta_chart_has_one_line_per_chosen_actor(
    browser: webdriver.Chrome, public_server: RunningServer, tmp_path: Path,
) -> None:
    _open(browser, public_server, "2023-06-01")
    chosen = ["st-olavs-hospital", "helse-nord-trondelag", "helse-more-og-romsdal"]
    for box in browser.find_elements(By.CSS_SELECTOR, "#subjects input"):
        if box.is_selected() != (box.get_attribute("value") in {f"actor:{a}" for a in chosen}):
            box.click()
    selector = "#trend-chart svg g.series"
    _wait(browser, f"document.querySelectorAll('{selector}').length === 3")
    groups = browser.find_elements(By.CSS_SELECTOR, selector)
    assert sorted(g.get_attribute("data-subject") for g in groups) == sorted(chosen)
    for group in groups:
        assert len(group.find_elements(By.CSS_SELECTOR, "path.trend-line")) == 1
    assert browser.find_elements(By.CSS_SELECTOR, "#trend-chart svg line.diagonal")
    chart = browser.find_element(By.CSS_SELECTOR, "#trend-chart svg")
    element_screenshot(chart, tmp_path, "mta", browser)
    _only_this_server(browser, public_server)


def test_the_timeline_shows_st_olavs_196_days_late_against_the_original_plan(
    browser: webdriver.Chrome, public_server: RunningServer, tmp_path: Path,
) -> None:
    _open(browser, public_server, "2024-06-01")
    row = browser.find_element(By.CSS_SELECTOR, "#timeline-chart svg g[data-subject='st-olavs-hospital']")
    assert row.get_attribute("data-status") == "late"
    assert row.find_element(By.CSS_SELECTOR, "text.slip").text.startswith("+196 d | +196 d")
    element_screenshot(browser.find_element(By.CSS_SELECTOR, "#timeline-chart"), tmp_path, "timeline", browser)


# Scrolls the page so the timeline's top is `arguments[0]` px above the window's, then says, for each
# date label of the timeline that is shown, whether it is below the sticky controls and is what a
# click on its centre would hit (that is, nothing covers it).
LABELS_IN_VIEW = """
const chart = document.querySelector('#timeline-chart');
window.scrollTo(0, chart.getBoundingClientRect().top + window.scrollY + arguments[0]);
const bar = document.querySelector('#controls').getBoundingClientRect();
const shown = (label) => {  // inside the window and inside the drawing it belongs to (not cropped away)
  const box = label.getBoundingClientRect(), frame = label.ownerSVGElement.getBoundingClientRect();
  return box.bottom > 0 && box.top < window.innerHeight && box.top >= frame.top && box.bottom <= frame.bottom;
};
return [...chart.querySelectorAll('text.tick')].filter(shown).map((label) => label.getBoundingClientRect())
  .map((box) => [box.top >= bar.bottom,
                 document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2)?.classList
                   .contains('tick')]);
"""


@pytest.mark.parametrize("scrolled", [0, 300])
def test_the_timeline_s_date_labels_stay_in_view_below_the_sticky_controls(
    browser: webdriver.Chrome, public_server: RunningServer, tmp_path: Path, scrolled: int,
) -> None:
    _open(browser, public_server, "2024-06-01")
    labels = browser.execute_script(LABELS_IN_VIEW, scrolled)
    assert len(labels) >= 5  # 2022-07 ... 2025-01
    assert all(below and uncovered for below, uncovered in labels), labels
    browser.save_screenshot(str(tmp_path / f"timeline-scrolled-{scrolled}.png"))
    assert browser.find_element(By.CSS_SELECTOR, "#timeline-chart svg g[data-subject='st-olavs-hospital']")


def test_an_actors_history_and_audit_trail_with_sources_and_recorders(
    browser: webdriver.Chrome, public_server: RunningServer, tmp_path: Path,
) -> None:
    _open(browser, public_server, "2023-06-01")
    Select(browser.find_element(By.ID, "actor-choice")).select_by_value("st-olavs-hospital")
    _wait(browser, "document.getElementById('actor').dataset.actor === 'st-olavs-hospital'")
    history = _table(browser, "history")
    assert any("DecisionRecorded" in row and "etter sommeren 2022" in row for row in history)
    assert history[-1][2] == "GoLiveRecorded"
    cells = _table(browser, "audit")
    assert cells
    assert all(c[5].startswith("cli:") for c in cells)
    assert any("Helseplattformen" in c[6] for c in cells)  # the source document's title
    screenshot(browser, tmp_path, "actor")


def test_graphiql_renders_offline_and_runs_a_query(
    browser: webdriver.Chrome, public_server: RunningServer, tmp_path: Path,
) -> None:
    requested_urls(browser)
    console_errors(browser)
    browser.get(f"{public_server.base_url}/graphql")
    _wait(browser, "document.querySelector('.graphiql-execute-button')")
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    _wait(browser, "document.querySelector('.result-window') && "
                   "document.querySelector('.result-window').textContent.includes('helseplattformen')")
    assert "Helseplattformen" in browser.find_element(By.CSS_SELECTOR, ".result-window").text
    screenshot(browser, tmp_path, "graphiql")
    _only_this_server(browser, public_server)


def test_without_public_reads_the_page_asks_for_a_reader_token(
    browser: webdriver.Chrome, database: str, tmp_path: Path,
) -> None:
    token = io.StringIO()
    assert main(["token", "create", "--role", "reader", "--name", "browser", "--database", database],
                out=token, err=io.StringIO()) == 0
    with ledger_process(tmp_path, "serve", "--database", database) as server:
        browser.get(f"{server.base_url}/programmes/helseplattformen?asOf=2023-06-01")
        browser.execute_script("sessionStorage.clear()")
        browser.refresh()
        _wait(browser, "!document.getElementById('message').hidden")
        assert browser.find_element(By.ID, "message").text.startswith("UNAUTHENTICATED: reading the ledger needs")
        assert not browser.find_elements(By.CSS_SELECTOR, "#actors tbody tr")
        browser.find_element(By.ID, "token").send_keys(token.getvalue().strip())
        browser.find_element(By.CSS_SELECTOR, "#token-form button").click()
        _wait(browser, "document.body.dataset.loaded === '2023-06-01'")
        assert _actor_row(browser, "st-olavs-hospital")[3] == "live"
        assert browser.find_element(By.ID, "message").get_attribute("hidden") is not None
        browser.execute_script("sessionStorage.clear()")


def test_the_readme_shows_the_pictures_this_file_makes_and_the_command_that_makes_them() -> None:
    root = Path(__file__).parent.parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if "LEDGER_SCREENSHOTS=" in line)
    this_file = Path(__file__).relative_to(root)
    assert command == f"LEDGER_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest {this_file}"
    for name in PUBLISHED:
        picture = root / "docs" / "screenshots" / f"{name}.png"
        assert f"(docs/screenshots/{name}.png)" in readme
        assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), picture


def test_a_bad_recorded_as_of_is_named_on_the_page_and_the_plan_is_left_as_it_was(
    browser: webdriver.Chrome, public_server: RunningServer, database: str,
) -> None:
    position = store_position(database)
    _open(browser, public_server, "2023-06-01")
    before = _table(browser, "actors")
    browser.find_element(By.ID, "recorded-as-of").send_keys("yesterday")
    browser.find_element(By.CSS_SELECTOR, "#controls button").click()
    _wait(browser, "!document.getElementById('message').hidden")
    message = browser.find_element(By.ID, "message").text
    assert "'yesterday'" in message
    assert "DateTime" in message
    assert _table(browser, "actors") == before
    assert console_errors(browser) == []
    assert store_position(database) == position


