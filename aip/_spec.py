"""Locate the ``spec/`` tree (error registry, schemas, vectors) at run time.

In a source checkout or an editable install the tree sits next to the package; a built wheel
carries a copy as ``aip/_spec_data``.  Call :func:`spec_dir` whenever code needs a spec file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["spec_dir"]


@cache
def spec_dir() -> Path:
    """Return the directory holding ``errors.json`` and ``vectors/``.

    Raises ``FileNotFoundError`` if neither the checkout copy nor the packaged copy exists.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "spec", here / "_spec_data"):
        if (candidate / "errors.json").is_file():
            return candidate
    raise FileNotFoundError("the AIP spec tree (spec/errors.json) is not installed")
