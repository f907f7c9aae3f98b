"""``aip conformance ...``: the conformance suite's command line.

``aip conformance vectors [--spec DIR] [--json]`` runs every vector case against this library
and prints a per-requirement summary; the exit status is 1 if any case fails, 2 if the vector
files themselves are malformed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from aip import spec_dir
from conformance.requirements import SpecError, load_requirements
from conformance.runner import load_operations, run_cases, summarise
from conformance.vectors import VectorFileError, load_vector_files

__all__ = ["register", "run_vectors"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``conformance`` command and its subcommands to the ``aip`` parser."""
    parser = subparsers.add_parser("conformance", help="run the conformance suite")
    sub = parser.add_subparsers(dest="conformance_command", required=True)
    vectors = sub.add_parser("vectors", help="run the spec's vectors against this library")
    vectors.add_argument(
        "--spec", type=Path, default=None, help="spec directory (default: the bundled one)"
    )
    vectors.add_argument("--json", action="store_true", help="print one JSON report")
    vectors.set_defaults(handler=run_vectors)


def run_vectors(args: argparse.Namespace) -> int:
    """Run the vectors; print the summary; return the exit status."""
    spec = args.spec if args.spec is not None else spec_dir()
    try:
        requirements = load_requirements(spec)
        cases = load_vector_files(spec / "vectors", requirements)
    except (SpecError, VectorFileError, OSError) as exc:
        print(f"aip conformance vectors: {exc}", file=sys.stderr)
        return 2
    results = run_cases(cases, load_operations())
    summary = summarise(results, requirements)
    failed = [r for r in results if not r.passed]
    verdicts = Counter(r.case.verdict for r in results)
    if args.json:
        report = {
            "cases": len(results), "passed": len(results) - len(failed), "failed": len(failed),
            "valid": verdicts["valid"], "invalid": verdicts["invalid"],
            "requirements": {
                rid: {"level": row.requirement.level, "passed": row.passed, "failed": row.failed,
                      "failures": row.failures}
                for rid, row in summary.items()
            },
            "uncovered": sorted(set(requirements) - set(summary)),
        }
        print(json.dumps(report, indent=2))
    else:
        for rid, row in summary.items():
            mark = "PASS" if row.failed == 0 else "FAIL"
            print(f"{mark} {rid:<14} {row.requirement.level:<6} {row.passed:>3} passed"
                  f" {row.failed:>3} failed")
            for line in row.failures:
                print(f"     {line}")
        print(f"{len(results) - len(failed)} passed, {len(failed)} failed"
              f" ({verdicts['valid']} valid and {verdicts['invalid']} invalid cases,"
              f" {len(summary)} of {len(requirements)} requirements covered)")
    return 1 if failed else 0
