"""Vendor GraphiQL's browser bundle into ledger_server/static/graphiql/ from the npm registry (run by a maintainer).

The server must show GraphiQL with no network (hospital and public-sector networks often have
none), so its scripts ship inside the Python package instead of loading from a CDN. This script
is the only way those files change: it runs `npm pack` for the pinned versions, copies the
UMD bundles and each package's licence, and writes MANIFEST.json with every file's SHA-256,
which a test checks against the files. A clean clone needs neither npm nor a network.

    python3 scripts/vendor_graphiql.py [--target DIR]

`--target` writes somewhere else (the tests use it to check that the committed files are
exactly what the registry serves for the pinned versions).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "ledger_server" / "static" / "graphiql"
# Package, version, and the files taken from its tarball (under package/).
PACKAGES = (
    ("react", "18.2.0", ("umd/react.production.min.js",)),
    ("react-dom", "18.2.0", ("umd/react-dom.production.min.js",)),
    ("graphiql", "3.8.3", ("graphiql.min.js", "graphiql.min.css")),
)


def _pack(name: str, version: str, folder: Path) -> Path:
    """Download the package's tarball with npm (it checks the registry's integrity hash)."""
    result = subprocess.run(["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(folder)],
                            check=True, capture_output=True, text=True)
    return folder / json.loads(result.stdout)[0]["filename"]


def _take(tarball: Path, member: str, target: Path) -> str:
    with tarfile.open(tarball) as archive:
        extracted = archive.extractfile(f"package/{member}")
        if extracted is None:
            raise SystemExit(f"{tarball.name} has no {member}")
        content = extracted.read()
    target.write_bytes(content)
    return hashlib.sha256(content).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="vendor GraphiQL's browser bundle from the npm registry")
    parser.add_argument("--target", type=Path, default=TARGET, help=f"where to write (default {TARGET})")
    target: Path = parser.parse_args(argv).target
    target.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, version, members in PACKAGES:
            tarball = _pack(name, version, Path(scratch))
            files = {Path(member).name: _take(tarball, member, target / Path(member).name) for member in members}
            files[f"LICENSE.{name}"] = _take(tarball, "LICENSE", target / f"LICENSE.{name}")
            manifest[name] = {"version": version, "files": files}
    (target / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"vendored {', '.join(f'{n}@{v}' for n, v, _ in PACKAGES)} into {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
