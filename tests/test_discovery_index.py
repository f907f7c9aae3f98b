"""Filtered discovery over the real SQLite index (aip.discovery.store.Candidates and
Registry._filtered) against the plain reference evaluator [DSC-FLT-026] [DSC-ADP-007]: the
index plan only narrows, so a filtered answer is exactly the first ``limit`` matching entities
in AIC order, whatever hint drives the scan."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aip.discovery.query import read_request
from aip.discovery.rows import RowTemplate
from aip.discovery.service import Registry
from aip.discovery.store import Published, RegistryStore, Writer, prepare
from aip.identity.aic import make_aic
from aip.identity.keys import SigningKey
from tests.filter_reference import documents, fitted, hinted_filters, ref_matches, tiny_documents

_SALT = bytes(16)
_NODE = make_aic(version="1", registry="1", provider="1", ontology="1", entity="1", salt=_SALT)


async def _token(aic: str) -> str:
    return "t"


def _answer(
    docs: list[dict[str, Any]],
    flt: dict[str, Any],
    limit: int,
    templates: Sequence[RowTemplate | None] | None = None,
) -> list[str]:
    """The AICs a registry holding ``docs`` (as entities aic0000..) answers for ``flt``; doc
    ``n`` is indexed through ``templates[n]`` when one is given (as a derived entity)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = RegistryStore.open(Path(tmp) / "registry.sqlite3")

        def fill(w: Writer) -> None:
            for n, doc in enumerate(docs):
                template = templates[n] if templates is not None else None
                onto = f"onto{id(template)}"
                agent = Published(f"aic{n:04}", "entity", onto, True, 1, "t", doc)
                ready = prepare(agent, template, 1) if template is not None else None
                w.publish(agent, "2026-01-01T00:00:00Z", replaces=False, prepared=ready)

        store.write(fill)
        registry = Registry(
            store, node_aic=_NODE, key=SigningKey(bytes(32)), salt=_SALT, operator="op",
            emit=lambda **_: None, token_for=_token,
        )  # fmt: skip
        try:
            answer = registry.discover(
                read_request({"type": "filtered", "filter": flt, "limit": limit})
            )
        finally:
            store.close()
    return [s["aic"] for s in answer["agents"][0]["agentSkills"]]


def _expected(docs: list[dict[str, Any]], flt: dict[str, Any], limit: int) -> list[str]:
    return [f"aic{n:04}" for n, doc in enumerate(docs) if ref_matches(flt, doc)][:limit]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(tiny_documents, documents), min_size=1, max_size=12),
    hinted_filters,
    st.integers(1, 5),
)
def test_filtered_answers_equal_the_reference(
    docs: list[dict[str, Any]], flt: dict[str, Any], limit: int
) -> None:
    assert _answer(docs, flt, limit) == _expected(docs, flt, limit)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fitted(), st.lists(tiny_documents, max_size=10), st.integers(1, 5))
def test_fitted_filters_over_many_documents(
    pair: tuple[dict[str, Any], dict[str, Any]], others: list[dict[str, Any]], limit: int
) -> None:
    doc, flt = pair
    if not flt["conditions"]:
        return
    docs = [*others, doc, *others]
    assert _answer(docs, flt, limit) == _expected(docs, flt, limit)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=120),
    st.integers(1, 12),
)
def test_trending_pages_past_entities_that_may_not_be_listed(
    entities: list[tuple[int, bool]], limit: int
) -> None:
    """[DSC-ADP-008] most recent first, then by AIC; [DSC-LIV-005] entities that are not
    alive are skipped, and the answer still fills up from further back."""
    alive = {f"aic{n:04}" for n, (_, up) in enumerate(entities) if up}
    with tempfile.TemporaryDirectory() as tmp:
        store = RegistryStore.open(Path(tmp) / "registry.sqlite3")

        def fill(w: Writer) -> None:
            for n, (minute, _) in enumerate(entities):
                at = f"2026-01-01T00:0{minute}:00Z"
                doc = {"skills": [{"id": f"s{n}"}]}
                w.publish(Published(f"aic{n:04}", "entity", "o", True, 1, at, doc), at,
                          replaces=False)  # fmt: skip

        store.write(fill)
        registry = Registry(
            store, node_aic=_NODE, key=SigningKey(bytes(32)), salt=_SALT, operator="op",
            emit=lambda **_: None, token_for=_token, alive=alive.__contains__,
        )  # fmt: skip
        try:
            answer = registry.discover(read_request({"type": "trending", "limit": limit}))
        finally:
            store.close()
    order = sorted(
        (f"aic{n:04}" for n in range(len(entities))),
        key=lambda a: (-entities[int(a[3:])][0], a),
    )
    expected = [a for a in order if a in alive][:limit]
    assert [s["aic"] for s in answer["agents"][0]["agentSkills"]] == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fitted(),
    st.lists(tiny_documents, max_size=2),
    st.lists(st.tuples(st.integers(0, 2), tiny_documents), min_size=1, max_size=14),
    st.one_of(hinted_filters, st.none()),
    st.integers(1, 5),
)
def test_derived_entities_match_through_their_template(
    pair: tuple[dict[str, Any], dict[str, Any]],
    more: list[dict[str, Any]],
    derived: list[tuple[int, dict[str, Any]]],
    other: dict[str, Any] | None,
    limit: int,
) -> None:
    """Entities derived from an ontology (its members taken as they are, some replaced) keep
    the inherited members' facts in a shared template; answers stay exactly the matches."""
    base, fitted_filter = pair
    bases = [base, *more]
    made = [RowTemplate(b) for b in bases]
    docs, templates = [], []
    for which, override in derived:
        n = which % len(bases)
        docs.append({**bases[n], **override})
        templates.append(made[n])
    for flt in (fitted_filter, other):
        if flt is None or (not flt["conditions"] and not flt.get("groups")):
            continue
        assert _answer(docs, flt, limit, templates) == _expected(docs, flt, limit)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fitted(),
    st.data(),
    st.lists(tiny_documents, max_size=8),
    st.integers(1, 5),
)
def test_matches_split_between_template_and_own_members(
    pair: tuple[dict[str, Any], dict[str, Any]],
    data: st.DataObject,
    others: list[dict[str, Any]],
    limit: int,
) -> None:
    """The filter is made from one document whose members are split at random between its
    ontology (inherited through the template) and itself (own facts): an `and` then needs both
    kinds of holder.  Siblings of two ontologies, many holding the entity's own values, make
    the own facts wide, so that a template often drives."""
    doc, made_filter = pair
    held = [c for c in made_filter["conditions"] if ref_matches({"conditions": [c]}, doc)]
    if not held:
        return
    flt = {"logic": "and", "conditions": held}  # the entity matches it
    names = sorted(doc)
    inherited = data.draw(st.sets(st.sampled_from(names)) if names else st.just(set()))
    sibling = data.draw(tiny_documents)  # the ontology's other members, for the siblings
    base = {k: v for k, v in sibling.items() if k not in doc}  # lacks the own members
    base.update({k: doc[k] for k in inherited})
    template = RowTemplate(base)
    entity = {**base, **{k: doc[k] for k in names if k not in inherited}}
    entity = {k: v for k, v in entity.items() if k in doc}  # exactly doc's members
    own = [k for k in names if k not in inherited]
    other = data.draw(tiny_documents)  # a second ontology, without the entity's members
    other_base = {k: v for k, v in other.items() if k not in doc}
    made = (template, RowTemplate(other_base))
    docs, templates = [entity], [template]
    for o in others:  # siblings: many also hold the entity's own values themselves
        which = data.draw(st.integers(0, 1))
        copied = data.draw(st.sets(st.sampled_from(own)) if own else st.just(set()))
        base_of = (base, other_base)[which]
        docs.append({**base_of, **o, **{k: doc[k] for k in copied}})
        templates.append(made[which])
    at = data.draw(st.integers(0, len(docs) - 1))  # the entity anywhere in AIC order
    docs.insert(at, docs.pop(0))
    templates.insert(at, templates.pop(0))
    assert _answer(docs, flt, limit, templates) == _expected(docs, flt, limit)
