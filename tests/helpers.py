"""Small helpers shared by the tests."""

from __future__ import annotations

from typing import Any

import pytest

from aip.errors import AipError, Code


def code_of(fn: Any, *args: Any, **kw: Any) -> Code:
    """Call ``fn`` and return the registry code of the :class:`AipError` it must raise."""
    with pytest.raises(AipError) as info:
        fn(*args, **kw)
    return info.value.code
