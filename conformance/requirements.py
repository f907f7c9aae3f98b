"""Read requirement definitions out of the spec's Markdown parts.

A requirement is defined by a list item that starts with its id in brackets; its level is the
first RFC 2119 keyword on that line (``spec/README.md``).  Call :func:`load_requirements` once
per run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Requirement", "SpecError", "load_requirements"]

_DEFINITION = re.compile(r"^\s*[-*] \[(?P<id>[A-Z]{3}-[A-Z0-9]{2,4}-\d{3})\]\s+(?P<text>.*)$")
_KEYWORD = re.compile(
    r"\b(MUST NOT|MUST|SHALL NOT|SHALL|REQUIRED|SHOULD NOT|SHOULD|RECOMMENDED|MAY|OPTIONAL)\b"
)
_LEVELS = {
    "MUST": "must", "MUST NOT": "must", "SHALL": "must", "SHALL NOT": "must", "REQUIRED": "must",
    "SHOULD": "should", "SHOULD NOT": "should", "RECOMMENDED": "should",
    "MAY": "may", "OPTIONAL": "may",
}


class SpecError(Exception):
    """The spec text breaks its own rules (duplicate id, requirement without a level)."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """One normative requirement: its id, level (must/should/may), file and line."""

    id: str
    level: str
    text: str
    source: str
    line: int


def load_requirements(spec: Path) -> dict[str, Requirement]:
    """Every requirement defined in the numbered parts ``spec/NN-*.md``, keyed by id.

    Raises :class:`SpecError` on a duplicate id or a definition with no RFC 2119 keyword.
    """
    found: dict[str, Requirement] = {}
    for path in sorted(spec.glob("[0-9][0-9]-*.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _DEFINITION.match(line)
            if match is None:
                continue
            rid, text = match["id"], match["text"]
            keyword = _KEYWORD.search(text)
            if keyword is None:
                raise SpecError(f"{path.name}:{number}: {rid} has no RFC 2119 keyword")
            if rid in found:
                raise SpecError(f"{path.name}:{number}: {rid} is defined twice")
            found[rid] = Requirement(rid, _LEVELS[keyword[1]], text, path.name, number)
    return found
