"""The token bucket behind per-identity request rates (ARC-LIM-002)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aip.ratelimit import TokenBucket

T0 = datetime(2026, 11, 21, tzinfo=UTC)


def test_burst_then_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=T0)
    assert [bucket.take(T0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(T0) == pytest.approx(0.5)  # one token every half second
    assert bucket.take(T0 + timedelta(seconds=0.5)) == 0.0
    assert bucket.take(T0 + timedelta(seconds=10)) == 0.0  # refilled, capped at the burst
    assert [bucket.take(T0 + timedelta(seconds=10)) for _ in range(2)] == [0.0, 0.0]
    assert bucket.take(T0 + timedelta(seconds=10)) > 0


def test_clock_going_back_refills_nothing() -> None:
    bucket = TokenBucket(rate=1.0, burst=1, now=T0)
    assert bucket.take(T0) == 0.0
    assert bucket.take(T0 - timedelta(seconds=100)) > 0


@given(st.lists(st.floats(min_value=0, max_value=5), max_size=50))
def test_never_more_than_burst_plus_rate_times_time(gaps: list[float]) -> None:
    bucket = TokenBucket(rate=3.0, burst=4, now=T0)
    now, allowed = T0, 0
    for gap in gaps:
        now += timedelta(seconds=gap)
        allowed += bucket.take(now) == 0.0
    assert allowed <= 4 + 3.0 * (now - T0).total_seconds() + 1e-6


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(rate=0, burst=1, now=T0)
