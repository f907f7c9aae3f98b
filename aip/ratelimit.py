"""A token bucket (pure: time is a parameter) for per-identity request rates [ARC-LIM-002]."""

from __future__ import annotations

from datetime import datetime

__all__ = ["TokenBucket"]


class TokenBucket:
    """Allows ``rate`` requests per second on average and bursts of up to ``burst``."""

    __slots__ = ("_burst", "_last", "_rate", "_tokens")

    def __init__(self, rate: float, burst: int, now: datetime) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._last = now

    def take(self, now: datetime) -> float:
        """Spend one token at ``now``: 0.0 if allowed, else the seconds until one is free."""
        elapsed = max(0.0, (now - self._last).total_seconds())
        self._last = max(now, self._last)
        self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self._rate
