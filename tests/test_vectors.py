"""Every vector case under spec/vectors runs against the library, as `aip conformance vectors`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aip._spec import spec_dir
from conformance.requirements import SpecError, load_requirements
from conformance.runner import load_operations, run_case, summarise
from conformance.vectors import Case, VectorFileError, load_file, load_vector_files

REQUIREMENTS = load_requirements(spec_dir())
CASES = load_vector_files(spec_dir() / "vectors", REQUIREMENTS)
OPERATIONS = load_operations()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_vector_case(case: Case) -> None:
    result = run_case(case, OPERATIONS)
    assert result.passed, result.detail


def test_vector_totals() -> None:
    # Done-when of issue 2: at least 150 cases over codec, integrity and identity, many invalid
    areas = {case.area.split(".")[0] for case in CASES}
    assert {"codec", "integrity", "identity"} <= areas
    assert len(CASES) >= 150
    assert sum(case.verdict == "invalid" for case in CASES) >= len(CASES) // 3


def test_every_operation_is_used() -> None:
    assert {case.operation for case in CASES} == set(OPERATIONS)


def _write(tmp: Path, doc: object) -> Path:
    path = tmp / "v.json"
    path.write_text(json.dumps(doc))
    return path


GOOD = {"id": "t-1", "requirements": ["COD-JSON-001"], "verdict": "valid", "input": {"text": "1"},
        "expected": {"canonical": "1"}, "comment": "c"}


@pytest.mark.parametrize(
    "mutation",
    [
        {"verdict": "maybe"},
        {"requirements": []},
        {"requirements": ["XXX-YYY-999"]},
        {"expected": {}},
        {"comment": ""},
        {"input": "1"},
        {"surprise": 1},
        {"verdict": "invalid"},
        {"verdict": "invalid", "expected": None, "error": 12345},
    ],
)
def test_loader_rejects_malformed_cases(tmp_path: Path, mutation: dict[str, object]) -> None:
    case = {**GOOD, **mutation}
    case = {k: v for k, v in case.items() if v is not None}
    doc = {"format": "aip-vectors/1", "area": "codec", "operation": "codec.canonicalize",
           "description": "d", "cases": [case]}
    with pytest.raises(VectorFileError):
        load_file(_write(tmp_path, doc), set(REQUIREMENTS))


def test_loader_rejects_bad_files(tmp_path: Path) -> None:
    with pytest.raises(VectorFileError):
        load_file(_write(tmp_path, {"format": "other", "area": "a", "cases": [GOOD]}), set())
    (tmp_path / "v.json").write_text('{"format":"aip-vectors/1","format":"x"}')
    with pytest.raises(VectorFileError):
        load_file(tmp_path / "v.json", set())


def test_runner_reports_wrong_outcomes() -> None:
    case = CASES[0]
    wrong = Case(case.id, case.file, case.area, case.operation, case.requirements, "invalid",
                 case.input, None, -32700, "flipped")
    assert not run_case(wrong, OPERATIONS).passed
    missing = Case(case.id, case.file, case.area, "no.such", case.requirements, "valid",
                   case.input, {"x": 1}, None, "c")
    assert not run_case(missing, OPERATIONS).passed
    boolean = Case(
        "t", "f", "codec", "t.op", case.requirements, "valid", {}, {"v": True}, None, "c"
    )
    assert not run_case(boolean, {"t.op": lambda _: {"v": 1}}).passed  # true is not 1
    coded = Case("t", "f", "codec", "codec.canonicalize", case.requirements, "invalid",
                 {"text": "[1,]"}, None, -33102, "c")
    assert "raised -32700" in run_case(coded, OPERATIONS).detail  # wrong code is a failure

    def crash(_: dict[str, object]) -> dict[str, object]:
        raise RuntimeError("adapter bug")

    assert "unexpected RuntimeError" in run_case(boolean, {"t.op": crash}).detail
    assert run_case(boolean, {"t.op": lambda _: {"v": True}}).passed
    summary = summarise([run_case(wrong, OPERATIONS)], REQUIREMENTS)
    assert all(row.failed == 1 for row in summary.values())


def test_spec_loader_rejects_duplicates(tmp_path: Path) -> None:
    (tmp_path / "01-a.md").write_text("- [COD-JSON-001] A MUST b.\n- [COD-JSON-001] C MUST d.\n")
    with pytest.raises(SpecError):
        load_requirements(tmp_path)
    (tmp_path / "01-a.md").write_text("- [COD-JSON-001] no keyword here\n")
    with pytest.raises(SpecError):
        load_requirements(tmp_path)


def test_only_numbered_parts_define_requirements(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("- [COD-JSON-001] A MUST b.\n")
    (tmp_path / "02-codec.md").write_text("- [COD-JSON-002] A SHOULD b.\n  - [COD-JSON-003] MAY\n")
    found = load_requirements(tmp_path)
    assert set(found) == {"COD-JSON-002", "COD-JSON-003"}
    assert found["COD-JSON-002"].level == "should"
    assert found["COD-JSON-003"].level == "may"
