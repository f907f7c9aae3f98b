"""``adp.discover`` requests and answers (spec Part 8 §8.4): validation, full-text terms, and
the grouped, ranked result shape of ADP.

Pure core.  :func:`read_request` checks a request (ADP codes 40001 and 40004, -32602 for
shape) and :func:`search_terms` turns a natural-language query into the full-text terms the
store runs; :func:`result` builds the answer: ``acsMap`` covering every AIC listed, and
``agents`` as groups of ranked ``agentSkills``, at least one group even when nothing matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aip.codec import canonicalize
from aip.discovery.filters import Filter, parse_filter
from aip.errors import AipError, Code, DiscoveryError

__all__ = [
    "MAX_CONTEXT_BYTES",
    "MAX_LIMIT",
    "TYPES",
    "Discover",
    "index_text",
    "read_request",
    "result",
    "search_terms",
    "terms_of",
]

TYPES = ("explicit", "exploratory", "trending", "filtered")
DEFAULT_LIMIT = 10
MAX_LIMIT = 100  # [DSC-ADP-003]
MAX_QUERY = 1024  # characters
MAX_CONTEXT_BYTES = 4096  # canonical bytes of `context` [DSC-ADP-004]
MAX_TERMS = 12  # full-text terms kept from one query
_FORWARD = frozenset(
    {
        "forwardDepthLimit", "forwardFanoutLimit", "forwardFanoutRemaining", "forwardChain",
        "forwardTrustedServers", "forwardSignatures", "forwardEachTimeoutMs",
        "forwardTotalTimeoutMs",
    }
)  # fmt: skip
_MEMBERS = frozenset({"type", "query", "requestId", "context", "limit", "filter"}) | _FORWARD
_CONTEXT = frozenset({"conversationId", "recentTurns", "userProfile", "metadata"})
# latin word runs (group 1), or runs of other letters (group 2)
_RUN = re.compile(r"([0-9a-z]+)|([^\W\d_a-z]+)")


@dataclass(frozen=True, slots=True)
class Discover:
    """A checked discover request (forwarding members are read by :mod:`.forwarding`)."""

    type: str
    query: str
    limit: int
    filter: Filter | None
    request_id: str | None
    context: dict[str, Any] | None


def _bad(why: str) -> AipError:
    return AipError(Code.INVALID_PARAMS, why)


def read_request(params: Any) -> Discover:
    """Check the params of ``adp.discover`` [DSC-ADP-001]; raise the first failure.

    Order: shape and member types (-32602), ``limit`` 1..100, ``context`` an object of at
    most 4096 canonical bytes, the filter (40004), a query for ``explicit`` requests (40001).
    """
    if not isinstance(params, dict):
        raise _bad("params must be an object")
    unknown = params.keys() - _MEMBERS
    if unknown:
        raise _bad(f"unknown member {sorted(unknown)[0]!r}")
    kind = params.get("type", "explicit")
    if kind not in TYPES:
        raise _bad(f"type is one of {', '.join(TYPES)}")
    query = params.get("query", "")
    if not isinstance(query, str) or len(query) > MAX_QUERY:
        raise _bad(f"query is text of at most {MAX_QUERY} characters")
    limit = params.get("limit", DEFAULT_LIMIT)
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:  # [DSC-ADP-003]
        raise _bad(f"limit is an integer from 1 to {MAX_LIMIT}")
    request_id = params.get("requestId")
    if request_id is not None and (
        not isinstance(request_id, str) or not 0 < len(request_id) <= 128
    ):
        raise _bad("requestId is text of 1 to 128 characters")
    context = params.get("context")
    if context is not None:
        if not isinstance(context, dict) or context.keys() - _CONTEXT:
            raise _bad("context has conversationId, recentTurns, userProfile, metadata")
        if len(canonicalize(context)) > MAX_CONTEXT_BYTES:  # [DSC-ADP-004]
            raise _bad(f"context is at most {MAX_CONTEXT_BYTES} bytes")
    flt = parse_filter(params["filter"]) if params.get("filter") is not None else None
    if kind == "explicit" and not query.strip():  # [DSC-ADP-002]
        raise DiscoveryError(Code.MISSING_QUERY, "an explicit request needs a query")
    return Discover(kind, query.strip(), limit, flt, request_id, context)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def terms_of(text: str) -> list[str]:
    """The full-text terms of a text, in order [DSC-ADP-006]: NFKC + case-folded; runs of
    latin letters and digits are words (two characters or more); every other run of letters
    (CJK has no spaces) gives its two-character windows, or itself when one character long."""
    out: list[str] = []
    for word, run in _RUN.findall(_fold(text)):
        if word:
            if len(word) >= 2:
                out.append(word)
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def search_terms(query: str) -> list[str]:
    """The distinct terms of a query, first occurrence first."""
    return list(dict.fromkeys(terms_of(query)))


def index_text(text: str) -> str:
    """``text`` as the full-text index stores it: its terms, space-separated."""
    return " ".join(terms_of(text))


def match_expression(terms: Sequence[str], *, every: bool = False) -> str:
    """An FTS5 expression matching any of ``terms`` (each quoted), or all with ``every``."""
    return (" AND " if every else " OR ").join('"' + t.replace('"', '""') + '"' for t in terms)


def result(
    group: str,
    hits: Sequence[tuple[str, str, str]],
    docs: Mapping[str, dict[str, Any]],
) -> dict[str, Any]:
    """The ADP answer for ranked ``hits`` (aic, skill id, memo), best first [DSC-ADP-005]:
    one group named ``group``, rankings 1..n, and the ``acsMap`` of every AIC listed."""
    skills = [
        {"aic": aic, "skillId": skill, "ranking": rank, "memo": memo}
        for rank, (aic, skill, memo) in enumerate(hits, start=1)
    ]
    listed = {aic for aic, _, _ in hits}
    return {
        "acsMap": {aic: docs[aic] for aic in sorted(listed)},
        "agents": [{"group": group, "agentSkills": skills}],
    }
