"""Ranking skills for a natural-language query: the :class:`Ranker` interface the registry
reads answers from, and :class:`FullTextRanker`, the embedded default (spec Part 8 §8.5).

A ranker only orders; the registry decides what may be listed (documents that exist, active
entities, live ones, the request's filter) and stops reading once it has ``limit`` skills, so a
ranker yields lazily and does the work of the next page only when it is asked for it.  An
embedding ranker plugs in here: anything with the :class:`Ranker` method will do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from aip.discovery.query import MAX_TERMS, match_expression, search_terms
from aip.discovery.store import RegistryStore

__all__ = ["FullTextRanker", "Ranker"]

_COUNTS = 4096  # term counts kept between writes
_FIRST = 64  # skills ranked in the first pass of a tier; each further pass ranks four times more


class Ranker(Protocol):
    """Orders the skills of a node for a query."""

    def ranked(self, query: str) -> Iterator[tuple[str, str, str]]:
        """(aic, skill id, memo), best first; each pair at most once.  Read lazily."""
        ...  # pragma: no cover - a protocol


class FullTextRanker:
    """BM25 over the full-text index of a :class:`~aip.discovery.store.RegistryStore`,
    deterministic [DSC-ADP-006].

    The query's terms (at most :data:`~aip.discovery.query.MAX_TERMS`, the rarest) are sorted
    by how many skills hold them, rarest first, then by text; terms held by more than a fifth of
    all skills are left out unless no rarer term is asked (then the rarest of them stays).
    Tier ``j`` lists the skills holding the ``j`` rarest terms and not listed in an earlier
    tier, ranked by BM25 over those terms, ties by AIC and skill id; tiers run from all the
    terms down to the rarest alone.  Each tier matches an FTS5 conjunction, so no pass scores a
    skill that lacks one of the tier's terms."""

    def __init__(self, store: RegistryStore) -> None:
        self._store = store
        self._generation = -1  # the store's write generation the counts below are of
        self._skills = 0
        self._held: dict[tuple[str, int], int] = {}  # (term, cap) -> capped count

    def _holders(self, term: str, cap: int) -> int:
        """How many skills hold ``term`` (counted up to ``cap``), kept until the next write."""
        found = self._held.get((term, cap))
        if found is None:
            if len(self._held) >= _COUNTS:
                self._held.clear()
            found = self._held[(term, cap)] = self._store.holders(term, cap)
        return found

    def terms(self, query: str) -> list[str]:
        """The terms the tiers use, rarest first (empty: nothing can match)."""
        if self._generation != self._store.generation:  # written since: count afresh
            self._generation = self._store.generation
            self._skills = self._store.skill_count()
            self._held.clear()
        skills = self._skills
        cap = skills // 5 + 1  # counts stop there: the rule only asks "more than a fifth?"
        held = {t: self._holders(t, cap) for t in search_terms(query)}
        kept = sorted((t for t, n in held.items() if n), key=lambda t: (held[t], t))
        rare = [t for t in kept if held[t] < cap]
        if rare:
            return rare[:MAX_TERMS]
        if not kept:
            return []
        exact = {t: self._holders(t, skills + 1) for t in kept}  # all common: the rarest
        return [min(kept, key=lambda t: (exact[t], t))]

    def ranked(self, query: str) -> Iterator[tuple[str, str, str]]:
        terms = self.terms(query)
        seen: set[tuple[str, str]] = set()
        for size in range(len(terms), 0, -1):
            match = match_expression(terms[:size], every=True)
            memo = "full-text relevance" if size == len(terms) else "full-text relevance, partial"
            count, done = _FIRST, 0
            while True:
                rows = self._store.ranked(match, count)
                for _score, aic, skill in rows[done:]:
                    if (aic, skill) not in seen:
                        seen.add((aic, skill))
                        yield aic, skill, memo
                if len(rows) < count:
                    break  # the tier is exhausted
                done, count = count, count * 4
