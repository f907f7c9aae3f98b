"""What the registry index stores for one published document: its facts rows and its
full-text rows (pure core).

The facts index answers :func:`~aip.discovery.filters.prefilter` hints: one ``(path, key)``
per scalar :func:`~aip.discovery.filters.flatten` reaches, the key being the folded, cut text
of a string (``f:``) or the canonical JSON of any other scalar (``e:``).  The full-text index
holds one row per skill, its columns the terms of :func:`~aip.discovery.query.index_text`.

Entities are derived from an ontology with a few members overridden, so most of what an entity
indexes is what its ontology indexes.  :class:`RowTemplate` keeps the rows of an ontology's
members and gives an entity's rows from them, computing afresh only the members that are not
the ontology's own values (the same objects): the result is exactly :func:`rows_of` of the
entity's document, for a fraction of the work.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from aip.codec import canonicalize
from aip.discovery.filters import flatten, fold
from aip.discovery.query import index_text

__all__ = [
    "MAX_INDEXED",
    "RowTemplate",
    "Rows",
    "Split",
    "fact_key",
    "fact_keys",
    "rows_of",
    "skill_rows",
]

MAX_INDEXED = 256  # longer strings are indexed by their first MAX_INDEXED folded characters

Fact = tuple[str, str]
SkillRow = tuple[str, str, str, str, str, str]  # skill id, name, description, tags, examples, agent
Rows = tuple[list[Fact], list[SkillRow]]


def fact_key(value: Any) -> str:
    """The facts key of a scalar: ``f:`` + folded text for a string (so an exact match is
    found among its folded equals, then checked), ``e:`` + canonical JSON otherwise."""
    if isinstance(value, str):  # cut: a lookup cut the same way finds a superset [DSC-FLT-026]
        return "f:" + fold(value)[:MAX_INDEXED]
    if value is True or value is False or value is None:
        return "e:" + ("true" if value is True else "false" if value is False else "null")
    if type(value) is int:  # the parser admits only safe integers: their text is canonical
        return f"e:{value}"
    return "e:" + canonicalize(value).decode("utf-8")


def fact_keys(doc: Mapping[str, Any]) -> list[Fact]:
    """The (path, key) rows of ``doc`` in the facts index: every scalar, strings cut; sorted,
    without repeats."""
    return sorted({(path, fact_key(value)) for path, value in flatten(doc)})


def _agent_text(doc: Mapping[str, Any]) -> str:
    return index_text(" ".join(str(doc.get(k, "")) for k in ("name", "description")))


def _skill_columns(skill: Any) -> tuple[str, str, str, str, str] | None:
    """The full-text columns of one skill but the agent's (None: the skill has no id)."""
    if not isinstance(skill, dict) or not isinstance(skill.get("id"), str):
        return None
    tags, examples = _strings(skill.get("tags")), _strings(skill.get("examples"))
    return (
        skill["id"],
        index_text(str(skill.get("name", ""))),
        index_text(str(skill.get("description", ""))),
        index_text(" ".join(tags)),
        index_text(" ".join(examples)),
    )


def _strings(value: Any) -> list[str]:
    """The strings of a list (anything else holds none)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _skills_columns(skills: Any) -> list[tuple[str, str, str, str, str]]:
    found = (_skill_columns(s) for s in (skills if isinstance(skills, list) else ()))
    return [c for c in found if c is not None]


def skill_rows(doc: Mapping[str, Any]) -> Iterator[SkillRow]:
    """The full-text rows of ``doc``: one per skill with a text ``id``, in document order."""
    agent = _agent_text(doc)
    for columns in _skills_columns(doc.get("skills", [])):
        yield (*columns, agent)


def rows_of(doc: Mapping[str, Any]) -> Rows:
    """The facts rows and full-text rows of ``doc``."""
    return fact_keys(doc), list(skill_rows(doc))


@dataclass(frozen=True, slots=True)
class Split:
    """An entity's index rows as :meth:`RowTemplate.split` gives them: the members it
    ``inherited`` (its ontology's values, as they are), the facts of the other members
    (``own``), the facts of the inherited ones (``shared``: the same for every entity that
    inherits the same members), and its full-text rows."""

    inherited: tuple[str, ...]
    own: list[Fact]
    shared: list[Fact]
    skills: list[SkillRow]


class RowTemplate:
    """The index rows of an ontology's members, to derive its entities' rows from.

    Build one per published ontology version.  Members are reused by identity: only a member
    whose value is the very object the template was built from counts as inherited.  The facts
    of :meth:`split` (own and shared together) are exactly :func:`rows_of` of the document."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self._doc = dict(doc)  # holds the member values, so that identity stays meaningful
        self._facts = {name: _member_facts(name, value) for name, value in self._doc.items()}
        self._skills = _skills_columns(self._doc.get("skills", []))
        self._agent = _agent_text(self._doc)
        self._shared: dict[tuple[str, ...], list[Fact]] = {}

    def split(self, doc: Mapping[str, Any]) -> Split:
        """The index rows of ``doc``, a document sharing members with the template's (a
        shallow copy with some members replaced, added or removed)."""
        inherited: list[str] = []
        own: set[Fact] = set()
        for name, value in doc.items():
            if self._doc.get(name, _ABSENT) is value:
                inherited.append(name)
            else:
                own.update(_member_facts(name, value))
        names = tuple(sorted(inherited))
        shared = self._shared.get(names)
        if shared is None:
            if len(self._shared) >= _SHAPES:
                self._shared.clear()
            found = {fact for name in names for fact in self._facts[name]}
            shared = self._shared[names] = sorted(found)
        same = all(doc.get(k, _ABSENT) is self._doc.get(k, _ABSENT) for k in _AGENT_MEMBERS)
        agent = self._agent if same else _agent_text(doc)
        skills = doc.get("skills", [])
        columns = self._skills if skills is self._doc.get("skills") else _skills_columns(skills)
        return Split(names, sorted(own), shared, [(*c, agent) for c in columns])

    def rows(self, doc: Mapping[str, Any]) -> Rows:
        """The facts and full-text rows of ``doc`` (:func:`rows_of` of it, faster)."""
        split = self.split(doc)
        return sorted({*split.own, *split.shared}), split.skills


_ABSENT = object()
_SHAPES = 64  # sets of inherited members whose shared facts a template keeps
_AGENT_MEMBERS = ("name", "description")


def _member_facts(name: str, value: Any) -> list[Fact]:
    return [(path, fact_key(v)) for path, v in flatten({name: value})]
