"""The README's auditor section, run line by line as shown, with entries recorded between the two digests."""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from ledger_server.cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _auditor_lines() -> list[str]:
    section = README.split("## Auditing the log", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```console\n(.*?)```", section, flags=re.S)[0]
    return [line.removeprefix("$ ") for line in block.splitlines() if line.startswith("$ ")]


def test_the_auditor_section_saves_a_digest_verifies_and_checks_both_proofs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'audited.db'}")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "verify_proof.py").write_text((ROOT / "scripts" / "verify_proof.py").read_text())
    assert main(["import", str(ROOT / "tests" / "data" / "sample.jsonl")], out=io.StringIO(), err=io.StringIO()) == 0
    lines = _auditor_lines()
    assert [line.split()[:2] for line in lines] == [
        ["ledger", "digest"], ["ledger", "verify"], ["ledger", "proof"], ["python3", "scripts/verify_proof.py"],
        ["ledger", "digest"], ["ledger", "proof"], ["python3", "scripts/verify_proof.py"],
    ]
    outputs = []
    for number, line in enumerate(lines):
        if number == 4:  # time passes: the programme records more before the second digest
            more = tmp_path / "more.jsonl"
            more.write_text(json.dumps({
                "type": "StatusAssessed", "programme": "demo", "effective": "2024-05-01", "key": "later",
                "source": {"title": "Status page"}, "status": "On track", "risk": "Low", "summary": "Fine",
            }) + "\n")
            assert main(["import", str(more)], out=io.StringIO(), err=io.StringIO()) == 0
        argv = shlex.split(line)
        if argv[0] == "python3":
            done = subprocess.run([sys.executable, "-I", *argv[1:]], capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stdout + done.stderr
            outputs.append(done.stdout)
            continue
        out, err = io.StringIO(), io.StringIO()
        assert main(argv[1:], out=out, err=err) == 0, err.getvalue()
        outputs.append(out.getvalue())
    assert outputs[1].startswith("digest digest-2026-12.json (tree size 22): holds")
    assert outputs[3] == "ok: entry at position 3 is leaf 2 of the digest's tree\n"
    assert outputs[6] == "ok: the log of 23 entries extends the digest of 22\n"
