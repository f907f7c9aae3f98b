"""Vector operations for the discovery filter language (``spec/08-discovery.md``, DSC-FLT).

``filter.parse`` checks the ``filter`` of the input and reports its size; ``filter.match``
checks it and evaluates it on each of ``documents``.  Both go through the public API of
:mod:`aip.discovery.filters`; a refused filter raises :class:`aip.errors.DiscoveryError`
FilterInvalid (40004).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aip.discovery.filters import Filter, matches, parse_filter

__all__ = ["OPERATIONS"]


def _depth(flt: Filter) -> int:
    return 1 + max((_depth(g) for g in flt.groups), default=0)


def _count(flt: Filter) -> int:
    return len(flt.conditions) + sum(_count(g) for g in flt.groups)


def parse(data: dict[str, Any]) -> dict[str, Any]:
    """Check ``filter``; return ``valid``, its nesting ``depth`` and number of ``conditions``."""
    flt = parse_filter(data["filter"])
    return {"valid": True, "depth": _depth(flt), "conditions": _count(flt)}


def match(data: dict[str, Any]) -> dict[str, Any]:
    """Check ``filter`` and evaluate it on each of ``documents``: ``matches`` is the list of
    results, in order."""
    flt = parse_filter(data["filter"])
    return {"matches": [matches(flt, doc) for doc in data["documents"]]}


OPERATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "filter.parse": parse,
    "filter.match": match,
}
