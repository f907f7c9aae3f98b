"""Rewrite spec/schema/*.schema.json from the public models in aip.models.

Run after changing a model: ``.venv/bin/python tools/export_schemas.py``.
tests/test_schemas.py fails while a file is out of date.
"""

from __future__ import annotations

import json
from pathlib import Path

from aip.models import export_schemas

SCHEMA = Path(__file__).resolve().parent.parent / "spec" / "schema"

if __name__ == "__main__":
    for name, schema in export_schemas().items():
        (SCHEMA / name).write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
        print(name)
