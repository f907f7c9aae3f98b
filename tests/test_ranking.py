"""Full-text ranking (aip.discovery.ranking, RegistryStore.ranked) over a real SQLite index
[DSC-ADP-006]: exact BM25 order with ties by AIC and skill id, the common-term rule, and tiers
from every term down to the rarest alone."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aip.discovery.query import match_expression, terms_of
from aip.discovery.ranking import FullTextRanker
from aip.discovery.store import Published, RegistryStore, Writer

WORDS = ["alpha", "beta", "gamma", "delta", "omega"]


def _doc(n: int, skills: list[tuple[str, list[str]]]) -> dict[str, Any]:
    return {
        "name": f"agent {n}",
        "description": "plain",
        "skills": [{"id": sid, "name": " ".join(words), "tags": words} for sid, words in skills],
    }


def _fill(path: Path, docs: list[dict[str, Any]]) -> RegistryStore:
    store = RegistryStore.open(path)

    def fill(w: Writer) -> None:
        for n, doc in enumerate(docs):
            agent = Published(f"aic{n:04}", "entity", "onto", True, 1, "t", doc)
            w.publish(agent, "2026-01-01T00:00:00Z", replaces=False)

    store.write(fill)
    return store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RegistryStore]:
    rng = random.Random(7)
    docs = []
    for n in range(120):  # few distinct texts: many exact ties, as entities of one ontology
        words = rng.sample(WORDS, rng.choice((1, 2, 3)))
        docs.append(_doc(rng.randrange(3), [(f"s{n % 4}", words), ("z", ["omega"])]))
    opened = _fill(tmp_path / "registry.sqlite3", docs)
    yield opened
    opened.close()


def _everything(store: RegistryStore, match: str) -> list[tuple[float, str, str]]:
    """Every matching skill with its score, fully sorted: the order ``ranked`` must cut."""
    rows = store._rows(
        "SELECT bm25(skills_fts, 4.0, 2.0, 3.0, 1.0, 1.0), s.aic, s.skill FROM skills_fts"
        " JOIN skill_rows s ON s.row = skills_fts.rowid WHERE skills_fts MATCH ?",
        (match,),
    )
    return sorted((float(r), a, s) for r, a, s in rows)


_FIXTURE = [HealthCheck.function_scoped_fixture]


@settings(max_examples=80, deadline=None, suppress_health_check=_FIXTURE)
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3, unique=True),
       every=st.booleans(), count=st.integers(1, 150))  # fmt: skip
def test_ranked_is_the_exact_prefix_of_the_full_order(
    store: RegistryStore, words: list[str], every: bool, count: int
) -> None:
    match = match_expression(words, every=every)
    assert store.ranked(match, count) == _everything(store, match)[:count]


def test_tiers_run_from_every_term_to_the_rarest(store: RegistryStore) -> None:
    ranker = FullTextRanker(store)
    terms = ranker.terms("alpha beta gamma")
    held = {t: len(_everything(store, match_expression([t]))) for t in terms}
    assert terms == sorted(held, key=lambda t: (held[t], t))  # rarest first
    got = list(ranker.ranked("alpha beta gamma"))
    assert len(got) == len({(a, s) for a, s, _ in got})  # each skill once
    expected: list[tuple[str, str]] = []
    for size in range(len(terms), 0, -1):
        tier = _everything(store, match_expression(terms[:size], every=True))
        expected += [(a, s) for _, a, s in tier if (a, s) not in expected]
    assert [(a, s) for a, s, _ in got] == expected
    full = {(a, s) for _, a, s in _everything(store, match_expression(terms, every=True))}
    assert all(
        (memo == "full-text relevance") == ((a, s) in full) for a, s, memo in got
    )


def test_common_terms_are_left_out_unless_nothing_rarer_is_asked(tmp_path: Path) -> None:
    # "omega" is held by every doc's "z" skill (half of all skills): common; "alpha" is rare
    docs = [_doc(n, [("a", ["alpha"] if n == 0 else ["beta"]), ("z", ["omega"])])
            for n in range(12)]  # fmt: skip
    store = _fill(tmp_path / "r.sqlite3", docs)
    try:
        ranker = FullTextRanker(store)
        assert ranker.terms("omega alpha") == ["alpha"]
        assert ranker.terms("omega") == ["omega"]  # nothing rarer: the common term stays
        assert ranker.terms("omega beta") == ["beta"]  # both common: the rarer (11 < 12)
        assert ranker.terms("nothing here") == []
        assert [a for a, _, _ in ranker.ranked("omega alpha")] == ["aic0000"]
    finally:
        store.close()


def test_cjk_queries_rank_by_bigrams(tmp_path: Path) -> None:
    docs = [_doc(0, [("x", ["翻译服务"])]), _doc(1, [("y", ["法律咨询"])])]
    store = _fill(tmp_path / "r.sqlite3", docs)
    try:
        assert terms_of("翻译") == ["翻译"]
        assert [a for a, _, _ in FullTextRanker(store).ranked("翻译")] == ["aic0000"]
    finally:
        store.close()
