"""The AIP conformance suite: vectors from ``spec/`` run against an implementation.

:mod:`conformance.vectors` loads and checks vector files, :mod:`conformance.runner` runs them,
:mod:`conformance.cli` is ``aip conformance``.
"""

__all__: list[str] = []
