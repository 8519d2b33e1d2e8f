"""The README's server examples, run as written: token create, serve, and the curl query."""

from __future__ import annotations

import io
import re
import shlex
import subprocess
from pathlib import Path

from ledger_server.cli import main
from tests.e2e.servers import environment, ledger_process

ROOT = Path(__file__).parent.parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHELL = [line for block in re.findall(r"```shell\n(.*?)```", README, flags=re.S) for line in block.splitlines()]


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

    serve = shlex.split(_line("ledger serve"))[1:]
    assert "--port" in serve  # ledger_process puts a free port after it, which wins
    with ledger_process(tmp_path, *serve, "--database", database) as server:
        curl = _curl_command().replace("localhost:8000", f"127.0.0.1:{server.port}")
        result = subprocess.run(["bash", "-c", curl], env={**environment(), "TOKEN": reader.getvalue().strip()},
                                capture_output=True, text=True, timeout=30, check=True)
    assert '"id":"trondheim"' in result.stdout.replace(" ", "")
    assert '"goLiveDate":"2022-05-07"' in result.stdout.replace(" ", "")
