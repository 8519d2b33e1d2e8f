"""A real headless browser for end-to-end tests: Debian's chromium driven through chromedriver.

The browser runs with the network cut off except for loopback: every other host resolves to
nothing and every other request goes to a proxy that is not there. It also keeps a log of
every request it made, so a test can check that the page asked nothing of any other host.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = ("chromium", "chromedriver")
DEBIAN_PACKAGES = ("chromium", "chromium-driver")
PUBLISHED = ("page", "mta", "timeline")  # the pictures the README shows (docs/screenshots/NAME.png)


def _found() -> tuple[str, str] | None:
    browser, driver = (shutil.which(name) for name in CHROMIUM)
    return (browser, driver) if browser and driver else None


def require_chromium() -> tuple[str, str]:
    """Paths of chromium and chromedriver, installing Debian's packages first if they are missing.

    Skips (with the reason, which pytest prints) only where the packages cannot be had: no
    apt-get, not root, or the install failed.
    """
    found = _found()
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        pytest.skip("the browser tests need Debian's chromium and chromium-driver; "
                    "install them with: apt-get install -y chromium chromium-driver")
    install = [apt, "install", "-y", "--no-install-recommends", *DEBIAN_PACKAGES]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(install, capture_output=True, text=True, env=environment, check=False)
    if result.returncode != 0:  # an old package list: refresh it once and try again
        subprocess.run([apt, "update"], capture_output=True, env=environment, check=False)
        result = subprocess.run(install, capture_output=True, text=True, env=environment, check=False)
    found = _found()
    if found is None:
        pytest.skip(f"could not install {' and '.join(DEBIAN_PACKAGES)}: {result.stderr.strip()[-300:]}")
    return found


def _dead_port() -> int:
    """A loopback port nothing listens on (bound and released: connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def offline_chromium(width: int = 1400, height: int = 1000) -> Iterator[webdriver.Chrome]:
    """A headless chromium that can reach 127.0.0.1 and nothing else."""
    browser, driver_path = require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--window-size={width},{height}",
        f"--proxy-server=http://127.0.0.1:{_dead_port()}",  # loopback bypasses the proxy; nothing else does
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver: webdriver.Chrome) -> list[str]:
    """Every URL the browser requested since the last call (from its performance log)."""
    urls = []
    for record in driver.get_log("performance"):
        message = json.loads(record["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver: webdriver.Chrome) -> list[str]:
    """Errors the page logged since the last call (failed loads, refused by the security policy, exceptions)."""
    return [record["message"] for record in driver.get_log("browser") if record["level"] == "SEVERE"]


@contextmanager
def whole_page_in_view(driver: webdriver.Chrome) -> Iterator[None]:
    """The window made as tall as the page for the block, so nothing is scrolled and no sticky bar moves."""
    size = driver.get_window_size()
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size["width"], min(int(height) + 40, 6000))
    try:
        yield
    finally:
        driver.set_window_size(size["width"], size["height"])


def screenshot(driver: webdriver.Chrome, folder: Path, name: str, full: bool = True) -> Path:
    """A PNG of the whole page under `folder`; the README's pictures also go to $LEDGER_SCREENSHOTS if set."""
    target = folder / f"{name}.png"
    if not full:
        driver.save_screenshot(str(target))
        _publish(target)
        return target
    with whole_page_in_view(driver):
        driver.save_screenshot(str(target))
    _publish(target)
    return target


def element_screenshot(element: object, folder: Path, name: str, driver: webdriver.Chrome | None = None) -> Path:
    """A PNG of one element (a chart) under `folder`; the README's also go to $LEDGER_SCREENSHOTS if set.

    With `driver`, the picture is taken with the whole page in view: a chart taller than the window
    is otherwise scrolled to the top of it, under the page's sticky controls.
    """
    target = folder / f"{name}.png"
    if driver is None:
        element.screenshot(str(target))  # type: ignore[attr-defined]
    else:
        with whole_page_in_view(driver):
            element.screenshot(str(target))  # type: ignore[attr-defined]
    _publish(target)
    return target


def _publish(picture: Path) -> None:
    published = os.environ.get("LEDGER_SCREENSHOTS")
    if published and picture.stem in PUBLISHED:
        Path(published).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(picture, Path(published) / picture.name)
