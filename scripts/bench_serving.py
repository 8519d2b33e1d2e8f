"""Servers for the benchmark: start one under uvicorn, load it with concurrent clients, read its memory.

The ledger's server and the bare Starlette peer are started and loaded the same way, so their
requests/s compare HTTP handling with everything else held equal.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(arguments: list[str], env: dict[str, str] | None = None) -> Iterator[tuple[int, int]]:
    """Run `python <arguments> --port N` until /healthz answers; yields (port, pid)."""
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    server = subprocess.Popen([sys.executable, *arguments, "--port", str(port)], cwd=ROOT, env=environment,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                raise RuntimeError(f"{' '.join(arguments)} did not start: {server.stderr.read()[-2000:]!r}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(arguments)} did not answer /healthz within 120 s")
            time.sleep(0.2)
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def ledger_server(database: str) -> list[str]:
    """The arguments that serve the ledger as `ledger serve` does."""
    return ["-m", "ledger_server.cli", "serve", "--database", database]


def resident_mib(pid: int) -> dict[str, int]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {"rss_mib": int(fields["VmRSS"].split()[0]) // 1024, "peak_mib": int(fields["VmHWM"].split()[0]) // 1024}


async def clients(port: int, seconds: float, make_body: Any, *, concurrency: int,
                  headers: dict[str, str] | None = None, accept: Any = None) -> list[float]:
    """`concurrency` clients posting `make_body(n)` to /graphql for `seconds`; the latencies in ms.

    Every answer must be a 200 without errors, and pass `accept(data)` when given.
    """
    samples: list[float] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency)
    sent = 0
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60,
                                 headers=headers) as client:

        async def worker() -> None:
            nonlocal sent
            while time.monotonic() < deadline:
                sent += 1
                started = time.perf_counter()
                response = await client.post("/graphql", json=make_body(sent))
                assert response.status_code == 200, response.text[:300]
                # A substring test, not a parse: on 2 cores the client's work is part of every figure.
                assert b'"errors":' not in response.content, response.text[:300]
                assert accept is None or accept(response.json()["data"]), response.text[:300]
                samples.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples
