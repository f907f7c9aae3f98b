"""Small helpers shared by the tests."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from aip.errors import AipError, Code
from aip.node import Node


def code_of(fn: Any, *args: Any, **kw: Any) -> Code:
    """Call ``fn`` and return the registry code of the :class:`AipError` it must raise."""
    with pytest.raises(AipError) as info:
        fn(*args, **kw)
    return info.value.code


@contextlib.asynccontextmanager
async def started(node: Node, wait: float = 5.0) -> AsyncIterator[Node]:
    """Start ``node`` for the block and stop it afterwards (a no-op if the test stopped it),
    each step bounded by ``wait`` seconds."""
    async with asyncio.timeout(wait):
        await node.start()
    try:
        yield node
    finally:
        async with asyncio.timeout(wait):
            await node.stop()


async def aip(*args: str) -> tuple[int, str, str]:
    """Run ``aip <args>`` in a subprocess; return its exit status, stdout and stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aip.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
