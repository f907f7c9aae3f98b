"""`aip conformance vectors` in process: exit codes, the summary and the JSON report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aip._spec import spec_dir
from aip.cli import main


def test_vectors_pass_and_report_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "vectors", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["failed"] == 0
    assert report["cases"] >= 150
    assert report["invalid"] > report["cases"] // 3
    assert report["requirements"]["COD-JSON-003"]["passed"] >= 1
    assert report["requirements"]["COD-JSON-003"]["level"] == "must"


def test_vectors_text_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "vectors"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("PASS INT-SIG-007") for line in lines)
    assert lines[-1].split(",")[1].strip().startswith("0 failed")


def _copy_spec(tmp_path: Path) -> Path:
    target = tmp_path / "spec"
    shutil.copytree(spec_dir(), target)
    return target


def test_a_failing_case_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _copy_spec(tmp_path)
    path = spec / "vectors" / "codec" / "numbers.json"
    doc = json.loads(path.read_text())
    doc["cases"][0]["expected"]["text"] = "not what the library says"
    path.write_text(json.dumps(doc))
    assert main(["conformance", "vectors", "--spec", str(spec)]) == 1
    assert "FAIL COD-JCS-003" in capsys.readouterr().out


def test_a_malformed_vector_file_exits_2(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    spec = _copy_spec(tmp_path)
    (spec / "vectors" / "codec" / "broken.json").write_text('{"format": "aip-vectors/1"}')
    assert main(["conformance", "vectors", "--spec", str(spec)]) == 2
    assert "broken.json" in capsys.readouterr().err
