#!/usr/bin/env python3
"""Developer entry point; needs only Python 3.11+ and the package index.

    python3 dev.py node [aip node options]   start the local discovery node
    python3 dev.py test                      lint, type-check, run every test and vector

Each command first makes sure ``.venv`` exists and holds this project (installed editable with
its dev extras); it reinstalls only when ``pyproject.toml`` changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".aip-installed"


def _run(*argv: str | Path) -> None:
    result = subprocess.run([str(a) for a in argv], cwd=ROOT, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv() -> None:
    """Create .venv and install the project into it unless it is already up to date."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit("dev.py: Python 3.11 or newer is required")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("dev.py: creating .venv", file=sys.stderr)
        try:
            venv.create(VENV, with_pip=True)
        except Exception as exc:  # e.g. Debian without python3-venv
            sys.exit(f"dev.py: cannot create a virtualenv ({exc}); install python3-venv")
    print("dev.py: installing aip and its dependencies into .venv", file=sys.stderr)
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def test(extra: list[str]) -> None:
    """ruff, mypy --strict, the vector conformance run, then the pytest suite (vectors too)."""
    _run(PYTHON, "-m", "ruff", "check", ".")
    _run(PYTHON, "-m", "mypy")
    _run(BIN / "aip", "conformance", "vectors")
    _run(PYTHON, "-m", "pytest", *extra)  # last, so its summary closes the output


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"node", "test"}:
        sys.exit(__doc__)
    ensure_venv()
    if argv[0] == "test":
        test(argv[1:])
    else:
        os.execv(BIN / "aip", [str(BIN / "aip"), "node", *argv[1:]])


if __name__ == "__main__":
    main(sys.argv[1:])
