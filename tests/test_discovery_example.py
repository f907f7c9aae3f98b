"""The discovery example runs end to end against a real node (spec Part 8)."""

from __future__ import annotations

import asyncio

import pytest

from examples import discovery

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1


async def test_the_example_finds_agents_by_text_and_by_filter() -> None:
    async with asyncio.timeout(60):
        found = await discovery.main()
    assert found["plain"][0] == "travel.book.hotel"  # the best text match ranks first
    assert set(found["plain"]) <= {skill for _, _, skill, _, _ in discovery.PRODUCTS}
    assert found["filtered"] == ["travel.plan.trip"]  # travel, and not the French one
