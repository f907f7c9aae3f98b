"""Hypothesis strategies shared by the tests: arbitrary I-JSON values."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

SAFE = 2**53 - 1

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-SAFE, max_value=SAFE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)


def _children(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)


ijson_values: st.SearchStrategy[Any] = st.recursive(scalars, _children, max_leaves=25)
ijson_objects: st.SearchStrategy[dict[str, Any]] = st.dictionaries(
    st.text(max_size=8), ijson_values, max_size=6
)
