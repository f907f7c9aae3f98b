"""Running the event loop (shell): uvloop when it is installed, asyncio's own loop otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run"]

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``, on uvloop when importable (it roughly halves the per-message cost
    of the event loop; see bench/sessions.py)."""
    try:
        import uvloop  # noqa: PLC0415  (optional: the ``fast`` extra)
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
