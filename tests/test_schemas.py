"""spec/schema: exported model schemas stay current; data files validate against theirs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aip import codec
from aip._spec import spec_dir
from aip.identity.keys import SigningKey
from aip.integrity import sign_object
from aip.models import Integrity, export_schemas

SCHEMA = spec_dir() / "schema"


def _load(name: str) -> dict[str, Any]:
    data = json.loads((SCHEMA / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", sorted(export_schemas()))
def test_exported_schema_files_are_current(name: str) -> None:
    # regenerate with: python -c "from aip.models import export_schemas; ..." (CONTRIBUTING.md)
    assert _load(name) == export_schemas()[name]


def test_every_schema_is_a_valid_2020_12_schema() -> None:
    files = sorted(SCHEMA.glob("*.schema.json"))
    assert len(files) >= 4
    for path in files:
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))


OUR_VECTOR_FILES = sorted(
    p for p in (spec_dir() / "vectors").rglob("*.json")
    if "external" not in p.relative_to(spec_dir() / "vectors").parts  # public formats vary
)


@pytest.mark.parametrize("path", OUR_VECTOR_FILES, ids=lambda p: p.name)
def test_vector_files_match_schema(path: Path) -> None:
    jsonschema.validate(json.loads(path.read_text()), _load("vector-file.schema.json"))


def test_error_registry_matches_schema() -> None:
    jsonschema.validate(json.loads((spec_dir() / "errors.json").read_text()),
                        _load("errors.schema.json"))


def test_signed_object_integrity_matches_schema_and_model() -> None:
    signed = sign_object({"a": 1}, SigningKey(bytes(32)))
    jsonschema.validate(signed["integrity"], _load("integrity.schema.json"))
    assert Integrity.model_validate(signed["integrity"]).alg == "EdDSA"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**signed["integrity"], "alg": "ES256"}, _load("integrity.schema.json"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**signed["integrity"], "x": 1}, _load("integrity.schema.json"))
    assert codec.parse(codec.dumps(signed)) == signed
