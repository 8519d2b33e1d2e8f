"""Real `ledger` processes for end-to-end tests: start on a free port, wait for /healthz, stop."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).parent.parent.parent
STARTUP_TIMEOUT = 60.0


@dataclass
class RunningServer:
    """A `ledger` process serving on localhost, and where its output goes."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment(**settings: str) -> dict[str, str]:
    """This environment without LEDGER_* settings, with the repository importable, plus `settings`."""
    found = {name: value for name, value in os.environ.items() if not name.startswith("LEDGER_")}
    found["PYTHONPATH"] = str(ROOT)
    return {**found, **settings}


def _wait_for_health(server: RunningServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited with {server.process.returncode}:\n{server.output()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"no healthy /healthz within {STARTUP_TIMEOUT}s:\n{server.output()}")


@contextlib.contextmanager
def ledger_process(tmp_path: Path, *arguments: str, env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    """Run `python -m ledger_server.cli ARGUMENTS --port P` until the block ends; yields once /healthz is 200.

    `env` adds LEDGER_* settings (the process otherwise runs without any).
    """
    port = free_port()
    log = tmp_path / f"ledger-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger_server.cli", *arguments, "--port", str(port)],
            cwd=ROOT, env=environment(**(env or {})), stdout=output, stderr=subprocess.STDOUT,
        )
        server = RunningServer(port, process, log)
        try:
            _wait_for_health(server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def seeded_with_recorder(url: str, token_name: str) -> str:
    """Import tests/data/sample.jsonl (programme "demo") into the store at `url`; a new recorder token's secret."""
    from ledger.application import open_ledger
    from ledger.importer import import_text
    from ledger.settings import StoreLocation
    from ledger_server.auth import TokenStore
    from tests.conftest import SAMPLE

    app = open_ledger(StoreLocation(url))
    try:
        import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="seed")
    finally:
        app.close()
    token, _ = TokenStore(StoreLocation(url)).create("recorder", token_name)
    return token


@contextlib.contextmanager
def two_servers_on(tmp_path: Path, url: str, env: dict[str, str] | None = None) -> Iterator[
        tuple[RunningServer, RunningServer]]:
    """Two `ledger serve` processes on one store for the block, both healthy when it starts."""
    with ledger_process(tmp_path, "serve", "--database", url, env=env) as first, \
            ledger_process(tmp_path, "serve", "--database", url, env=env) as second:
        yield first, second
