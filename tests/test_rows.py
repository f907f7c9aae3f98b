"""The index rows of a document (aip.discovery.rows): an entity's rows taken from its
ontology's template are exactly the rows computed from scratch."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from aip.discovery.rows import MAX_INDEXED, RowTemplate, fact_keys, rows_of, skill_rows
from tests.helpers import acs_submission
from tests.strategies import ijson_objects, ijson_values

_MEMBERS = st.sampled_from(["name", "description", "skills", "provider", "endPoints", "x", ""])
_skills = st.lists(
    st.fixed_dictionaries(
        {"id": st.text(max_size=6) | st.integers()},
        optional={
            "name": st.text(max_size=12),
            "tags": st.lists(st.text(max_size=6) | st.integers(), max_size=3) | st.integers(),
            "examples": st.lists(st.text(max_size=12), max_size=2),
            "description": st.text(max_size=20) | st.integers(),
        },
    ),
    max_size=3,
)
_member_values = ijson_values | _skills


@given(
    base=ijson_objects,
    skills=_skills,
    overrides=st.dictionaries(_MEMBERS, _member_values, max_size=3),
    dropped=st.lists(_MEMBERS, max_size=2),
)
def test_template_rows_equal_rows_of_the_derived_document(
    base: dict[str, Any], skills: Any, overrides: dict[str, Any], dropped: list[str]
) -> None:
    base = {**base, "skills": skills}
    template = RowTemplate(base)
    derived = {k: v for k, v in {**base, **overrides}.items() if k not in dropped}
    assert template.rows(derived) == rows_of(derived)


@given(base=ijson_objects)
def test_equal_but_distinct_values_are_recomputed(base: dict[str, Any]) -> None:
    template = RowTemplate({**base, "name": "alpha travel"})
    derived = {**base, "name": "beta hotel"}
    assert template.rows(derived) == rows_of(derived)


def test_rows_of_an_acs_document() -> None:
    doc = acs_submission("Travel helper", tags=("travel", "hotel"), country="DE")
    facts, skills = rows_of(doc)
    assert ("provider.countryCode", "f:de") in facts
    assert ("skills.tags", "f:travel") in facts
    assert ("skills.tags", "f:hotel") in facts
    assert facts == sorted(set(facts))
    assert [row[0] for row in skills] == [s["id"] for s in doc["skills"]]
    assert all(row[5] == skills[0][5] for row in skills)  # one agent column for all skills
    assert "travel" in skills[0][3].split()


def test_long_strings_are_cut_and_non_strings_keep_their_json() -> None:
    long = "A" * (MAX_INDEXED + 10)
    facts = fact_keys({"name": long, "n": 5, "b": True, "f": 1.5, "z": None})
    assert ("name", "f:" + "a" * MAX_INDEXED) in facts
    assert {("n", "e:5"), ("b", "e:true"), ("f", "e:1.5")} <= set(facts)
    assert not any(path == "z" for path, _ in facts)  # nulls are not facts


def test_skills_without_a_text_id_are_not_indexed() -> None:
    doc = {"name": "n", "skills": [{"id": 3}, "x", {"id": "ok", "tags": ["t", 4]}]}
    assert [row[0] for row in skill_rows(doc)] == ["ok"]
    assert [row[3] for row in skill_rows(doc)] == [""]  # "t" is one letter: not a term
