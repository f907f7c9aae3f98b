"""Run vector cases against the library and summarise them per requirement.

Call :func:`run_cases` with the cases from :mod:`conformance.vectors`; it never raises for a
failing case — every outcome is recorded in a :class:`CaseResult`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aip.codec import canonicalize
from aip.errors import AipError
from conformance import ops
from conformance.requirements import Requirement
from conformance.vectors import Case

__all__ = ["CaseResult", "Operation", "RequirementSummary", "load_operations", "run_case",
           "run_cases", "summarise"]

Operation = Callable[[dict[str, Any]], dict[str, Any]]


def load_operations() -> dict[str, Operation]:
    """Merge ``OPERATIONS`` of every module in :mod:`conformance.ops`.

    Raises ``ValueError`` if two modules define the same operation name.
    """
    merged: dict[str, Operation] = {}
    for info in sorted(pkgutil.iter_modules(ops.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{ops.__name__}.{info.name}")
        for name, fn in getattr(module, "OPERATIONS", {}).items():
            if name in merged:
                raise ValueError(f"operation {name} is defined twice (in {info.name})")
            merged[name] = fn
    return merged


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case: passed, and if not, why."""

    case: Case
    passed: bool
    detail: str = ""


def run_case(case: Case, operations: Mapping[str, Operation]) -> CaseResult:
    """Run one case; a valid case must produce ``expected``, an invalid one raise ``error``."""
    fn = operations.get(case.operation)
    if fn is None:
        return CaseResult(case, False, f"no operation {case.operation!r}")
    try:
        output = fn(dict(case.input))
    except AipError as exc:
        if case.verdict == "invalid" and int(exc.code) == case.error:
            return CaseResult(case, True)
        want = "success" if case.verdict == "valid" else f"error {case.error}"
        return CaseResult(case, False, f"raised {int(exc.code)} {exc.code.name}, wanted {want}")
    except Exception as exc:  # a bug in the library or the adapter: recorded, never raised
        return CaseResult(case, False, f"unexpected {type(exc).__name__}: {exc}")
    if case.verdict == "invalid":
        return CaseResult(case, False, f"succeeded, wanted error {case.error}")
    assert case.expected is not None
    for key, want in case.expected.items():
        if key not in output:
            return CaseResult(case, False, f"output lacks {key!r}")
        if not _json_equal(output[key], want):
            return CaseResult(case, False, f"{key}: got {output[key]!r}, wanted {want!r}")
    return CaseResult(case, True)


def _json_equal(got: Any, want: Any) -> bool:
    """JSON equality: equal canonical forms (so true is not 1, and member order is ignored)."""
    try:
        return canonicalize(got) == canonicalize(want)
    except AipError:
        return False


def run_cases(cases: Iterable[Case], operations: Mapping[str, Operation]) -> list[CaseResult]:
    """Run every case in order."""
    return [run_case(case, operations) for case in cases]


@dataclass(slots=True)
class RequirementSummary:
    """Pass/fail counts for one requirement across the cases that cite it."""

    requirement: Requirement
    passed: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)


def summarise(
    results: Iterable[CaseResult], requirements: Mapping[str, Requirement]
) -> dict[str, RequirementSummary]:
    """Group results by the requirement ids they cite, in id order."""
    out: dict[str, RequirementSummary] = {}
    for result in results:
        for rid in result.case.requirements:
            row = out.setdefault(rid, RequirementSummary(requirements[rid]))
            if result.passed:
                row.passed += 1
            else:
                row.failed += 1
                row.failures.append(f"{result.case.id}: {result.detail}")
    return dict(sorted(out.items()))
