"""The README's server examples, run as written: token create, serve, and the curl query."""

from __future__ import annotations

import io
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from api.cli import main

ROOT = Path(__file__).parent.parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHELL = [line for block in re.findall(r"```shell\n(.*?)```", README, flags=re.S) for line in block.splitlines()]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _line(prefix: str) -> str:
    found = [line for line in SHELL if line.startswith(prefix)]
    assert len(found) == 1, f"the README shows one {prefix!r} line"
    return found[0]


def _curl_command() -> str:
    start = next(i for i, line in enumerate(SHELL) if line.startswith("curl "))
    return "\n".join(SHELL[start:start + 2])


def test_token_serve_and_curl_as_the_readme_shows(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'readme.db'}"
    assert main(["import", "helseplattformen", "--database", database], out=io.StringIO(), err=io.StringIO()) == 0
    out, err = io.StringIO(), io.StringIO()
    recorder_line = [*shlex.split(_line("ledger token create"))[1:], "--database", database]
    assert main(recorder_line, out=out, err=err) == 0
    assert "planning-office" in err.getvalue()
    reader = io.StringIO()
    assert main(["token", "create", "--role", "reader", "--database", database], out=reader, err=io.StringIO()) == 0

    port = _free_port()
    serve = shlex.split(_line("ledger serve"))[1:]
    serve[serve.index("--port") + 1] = str(port)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "api.cli", *serve, "--database", database], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.communicate()[1].decode()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        curl = _curl_command().replace("localhost:8000", f"127.0.0.1:{port}")
        result = subprocess.run(["bash", "-c", curl], env={**env, "TOKEN": reader.getvalue().strip()},
                                capture_output=True, text=True, timeout=30, check=True)
        assert '"id":"trondheim"' in result.stdout.replace(" ", "")
        assert '"goLiveDate":"2022-05-07"' in result.stdout.replace(" ", "")
    finally:
        server.terminate()
        server.communicate(timeout=20)
