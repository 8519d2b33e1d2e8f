"""A catalogue of hostile import lines: each is a line-numbered error, exit 2, no traceback, nothing written.

The store already holds the sample programme; the hostile line comes second in a file whose
first line is good, so the test also shows that a good line is not written when another is bad.
"""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ledger.application import open_ledger
from ledger.exporter import export_lines
from ledger.settings import StoreLocation
from ledger_server.cli import main
from tests.conftest import SAMPLE

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"type": "StatusAssessed", "programme": "demo", "effective": "2024-01-01", "key": "good-1",
        "source": {"title": "Status page"}, "status": "On track", "risk": "Low"}
WAVE = {"type": "WavePlanned", "programme": "demo", "effective": "2024-01-01", "key": "hostile-wave",
        "source": {"title": "Plan"}, "wave": "w9", "code": "W9", "window": "2025"}
COST = {"type": "ReserveChanged", "programme": "demo", "effective": "2024-01-01", "key": "hostile-cost",
        "source": {"title": "Budget"}, "reserve": "risk", "total": "1"}


def line(base: dict[str, Any], **changes: Any) -> bytes:
    return json.dumps({**base, **changes}, ensure_ascii=False).encode()


def deep(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


# (case id, the hostile line's bytes, words the error must contain)
CASES: list[tuple[str, bytes, str]] = [
    ("year-0-window", line(WAVE, window="0000"), "'0000' names year 0"),
    ("year-0-month-window", line(WAVE, window="0000-05"), "names year 0"),
    ("year-0-quarter-window", line(WAVE, window="0000-Q1"), "names year 0"),
    ("year-0-half-window", line(WAVE, window="0000-H2"), "names year 0"),
    ("year-0-effective", line(GOOD, effective="0000-01-01"), "is not a real calendar date"),
    ("impossible-date", line(GOOD, effective="2023-02-30"), "is not a real calendar date"),
    ("five-digit-year", line(WAVE, window="10000"), "is not a window"),
    ("arabic-indic-digits-date", line(GOOD, effective="\u0662\u0660\u0662\u0663-\u0660\u0661-\u0660\u0661"),
     "is not a date in the form YYYY-MM-DD"),
    ("arabic-indic-digits-money", line(COST, total="\u0661\u0660\u0660"), "is not an amount"),
    ("byte-0xff", b'{"type": "StatusAssessed", "status": "\xff"}', "is not UTF-8: byte 0xff at column 39"),
    ("truncated-utf8", b'{"type": "StatusAssessed", "status": "\xe2\x82"}', "is not UTF-8: byte 0xe2"),
    ("overlong-utf8", b'{"status": "\xc0\xaf"}', "is not UTF-8: byte 0xc0"),
    ("utf8-encoded-surrogate", b'{"status": "\xed\xa0\x80"}', "is not UTF-8: byte 0xed"),
    ("latin-1-text", line(GOOD).replace(b"On track", "Trøndelag".encode("latin-1")), "is not UTF-8: byte 0xf8"),
    ("deep-array-100000", deep(100_000), "is nested more than 64 levels deep"),
    ("deep-object-100000", b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "is nested more than 64 levels deep"),
    ("deep-array-65", deep(65), "is nested more than 64 levels deep"),
    ("deep-inside-an-entry", line(GOOD, status=json.loads(deep(70))), "is nested more than 64 levels deep"),
    ("lone-high-surrogate", line(GOOD).replace(b"On track", b"On \\ud800 track"), "lone surrogate \\ud800"),
    ("lone-low-surrogate", line(GOOD).replace(b"good-1", b"\\udc00"), "lone surrogate \\udc00"),
    ("lone-surrogate-in-a-key", line(GOOD).replace(b'"risk"', b'"r\\udbff"'), "lone surrogate \\udbff"),
    ("reversed-surrogate-pair", line(GOOD).replace(b"On track", b"\\ude00\\ud83d"), "lone surrogate"),
    ("integer-of-5000-digits", line(GOOD).replace(b'"Low"', b"1" * 5000), "is not JSON the ledger can read"),
    ("nan-money", line(COST).replace(b'"1"', b"NaN"), "is a JSON number"),
    ("infinite-money", line(COST).replace(b'"1"', b"Infinity"), "is a JSON number"),
    ("overflowing-float-money", line(COST).replace(b'"1"', b"1e999"), "is a JSON number"),
    ("negative-money", line(COST, total="-5"), "is not an amount"),
    ("three-decimals", line(COST, total="1.005"), "is not an amount"),
    ("nul-in-text", line(GOOD, status="On\x00track"), "NUL character"),
    ("byte-order-mark", b"\xef\xbb\xbf" + line(GOOD), "not valid JSON"),
    ("trailing-garbage", line(GOOD) + b" x", "not valid JSON"),
    ("truncated-line", line(GOOD)[:40], "not valid JSON"),
    ("top-level-array", b"[1, 2]", "INVALID_INPUT"),
    ("top-level-string", b'"StatusAssessed"', "INVALID_INPUT"),
    ("empty-object", b"{}", "INVALID_INPUT"),
    ("unknown-type", line(GOOD, type="Nonsense"), "Nonsense"),
    ("type-not-a-string", line(GOOD, type=7), "INVALID_INPUT"),
    ("upper-case-programme", line(GOOD, programme="Demo"), "is not a valid id"),
    ("programme-of-81-chars", line(GOOD, programme="p" * 81), "is not a valid id"),
    ("text-over-4000-chars", line(GOOD, status="x" * 4001), "longer than 4000 characters"),
]


def _run(database: str, *argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = main([*argv, "--database", database], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def seeded(sqlite_url: str) -> str:
    code, _, err = _run(sqlite_url, "import", str(SAMPLE))
    assert code == 0, err
    return sqlite_url


def _log(url: str) -> list[str]:
    app = open_ledger(StoreLocation(url))
    try:
        return list(export_lines(app, None))
    finally:
        app.close()


def test_the_catalogue_has_at_least_forty_cases() -> None:
    assert len({case for case, _, _ in CASES}) == len(CASES) >= 40


@pytest.mark.parametrize(("case", "hostile", "words"), CASES, ids=[case for case, _, _ in CASES])
def test_a_hostile_line_is_a_line_numbered_error_and_nothing_is_written(
    seeded: str, tmp_path: Path, case: str, hostile: bytes, words: str
) -> None:
    path = tmp_path / f"{case}.jsonl"
    path.write_bytes(line(GOOD) + b"\n" + hostile + b"\n")
    before = _log(seeded)
    code, out, err = _run(seeded, "import", str(path))
    assert code == 2, (out, err)
    assert err.startswith("error [IMPORT_REJECTED]: 1 bad line(s); nothing was written\n"), err
    assert "  line 2: " in err, err
    assert words in err, err
    assert "Traceback" not in err
    assert _log(seeded) == before


@pytest.mark.parametrize("case", ["year-0-window", "byte-0xff", "deep-array-100000", "lone-high-surrogate"])
def test_the_command_itself_prints_one_error_and_no_traceback(seeded: str, tmp_path: Path, case: str) -> None:
    hostile = next(data for name, data, _ in CASES if name == case)
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(hostile + b"\n")
    done = subprocess.run(
        [sys.executable, "-m", "ledger_server.cli", "import", str(path), "--database", seeded],
        cwd=ROOT, capture_output=True, timeout=60, check=False,
    )
    assert done.returncode == 2, done.stderr
    assert b"Traceback" not in done.stderr
    assert done.stderr.startswith(b"error [IMPORT_REJECTED]: 1 bad line(s); nothing was written\n  line 1: ")


def test_a_line_separator_inside_a_string_does_not_split_the_line(seeded: str, tmp_path: Path) -> None:
    path = tmp_path / "separators.jsonl"
    path.write_bytes(line(GOOD, status="On\u2028track\u0085still\x1cone line") + b"\r\n")
    code, out, err = _run(seeded, "import", str(path))
    assert code == 0, err
    assert "1 added" in out
    assert any("On\\u2028track" in entry or "On\u2028track" in entry for entry in _log(seeded))
