"""Load and validate vector files (format ``aip-vectors/1``, ``spec/README.md``).

Call :func:`load_vector_files` to get every case under ``spec/vectors`` (except ``external/``,
which holds public vectors in their own formats).  The loader checks the files themselves:
a malformed file or case raises :class:`VectorFileError` naming the file and case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aip.codec import parse
from aip.errors import AipError, registry

__all__ = ["FORMAT", "Case", "VectorFileError", "load_vector_files"]

FORMAT = "aip-vectors/1"
_FILE_KEYS = {"format", "area", "operation", "description", "cases"}
_CASE_KEYS = {"id", "requirements", "verdict", "input", "expected", "error", "comment", "operation"}


class VectorFileError(Exception):
    """A vector file does not follow the vector format."""


@dataclass(frozen=True, slots=True)
class Case:
    """One vector case, ready to run."""

    id: str
    file: str
    area: str
    operation: str
    requirements: tuple[str, ...]
    verdict: str
    input: Mapping[str, Any]
    expected: Mapping[str, Any] | None
    error: int | None
    comment: str


def _fail(where: str, why: str) -> VectorFileError:
    return VectorFileError(f"{where}: {why}")


def _read_case(raw: Any, where: str, area: str, default_op: str | None, known: set[str]) -> Case:
    if not isinstance(raw, dict):
        raise _fail(where, "a case must be an object")
    extra = raw.keys() - _CASE_KEYS
    if extra:
        raise _fail(where, f"unknown members {sorted(extra)}")
    cid, reqs, verdict = raw.get("id"), raw.get("requirements"), raw.get("verdict")
    if not isinstance(cid, str) or not cid:
        raise _fail(where, "id must be a non-empty string")
    where = f"{where} ({cid})"
    if not isinstance(reqs, list) or not reqs or not all(isinstance(r, str) for r in reqs):
        raise _fail(where, "requirements must be a non-empty list of ids")
    unknown = [r for r in reqs if r not in known]
    if unknown:
        raise _fail(where, f"requirements not defined in the spec: {unknown}")
    operation = raw.get("operation", default_op)
    if not isinstance(operation, str) or not operation:
        raise _fail(where, "no operation (neither on the case nor on the file)")
    if not isinstance(raw.get("input"), dict):
        raise _fail(where, "input must be an object")
    if not isinstance(raw.get("comment"), str) or not raw["comment"]:
        raise _fail(where, "comment must be a non-empty string")
    expected, error = raw.get("expected"), raw.get("error")
    if verdict == "valid":
        if not isinstance(expected, dict) or not expected or "error" in raw:
            raise _fail(where, "a valid case needs a non-empty expected object and no error")
    elif verdict == "invalid":
        if "expected" in raw or not isinstance(error, int) or isinstance(error, bool):
            raise _fail(where, "an invalid case needs an integer error code and no expected")
        if error not in registry():
            raise _fail(where, f"error {error} is not in spec/errors.json")
    else:
        raise _fail(where, "verdict must be 'valid' or 'invalid'")
    return Case(cid, where.split("#")[0], area, operation, tuple(reqs), verdict,
                raw["input"], expected, error, raw["comment"])


def load_file(path: Path, known: set[str]) -> list[Case]:
    """Read and validate one vector file; raises :class:`VectorFileError`."""
    try:
        doc = parse(path.read_bytes())
    except AipError as exc:
        raise _fail(path.name, f"not strict I-JSON ({exc.code.name})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _fail(path.name, f"format must be {FORMAT!r}")
    extra = doc.keys() - _FILE_KEYS
    if extra:
        raise _fail(path.name, f"unknown members {sorted(extra)}")
    area, cases = doc.get("area"), doc.get("cases")
    if not isinstance(area, str) or not isinstance(cases, list) or not cases:
        raise _fail(path.name, "area must be a string and cases a non-empty list")
    default_op = doc.get("operation")
    return [
        _read_case(raw, f"{path.name}#{index}", area, default_op, known)
        for index, raw in enumerate(cases)
    ]


def load_vector_files(vectors: Path, known: Iterable[str]) -> list[Case]:
    """Every case of every ``*.json`` below ``vectors`` outside ``external/``, in path order.

    Raises :class:`VectorFileError` for a malformed file or a case id used twice.
    """
    ids = set(known)
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in sorted(vectors.rglob("*.json")):
        if "external" in path.relative_to(vectors).parts:
            continue
        for case in load_file(path, ids):
            if case.id in seen:
                raise _fail(path.name, f"case id {case.id} already used in {seen[case.id]}")
            seen[case.id] = path.name
            cases.append(case)
    return cases
