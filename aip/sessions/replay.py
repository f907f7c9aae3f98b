"""A replay cache for server challenges (pure: ``now`` is a parameter) [SES-HSK-005]."""

from __future__ import annotations

from datetime import datetime, timedelta

from aip.identity.certificates import require_utc

__all__ = ["ReplayCache"]


class ReplayCache:
    """Remembers each key for ``ttl`` after its first use; a second use inside that time fails.

    ``ttl`` must exceed the handshake timeout plus twice the skew window, so that a proof is
    remembered for as long as any verifier could still accept it [SES-HSK-005].
    """

    def __init__(self, ttl: timedelta) -> None:
        if ttl <= timedelta(0):
            raise ValueError("a replay cache needs a positive lifetime")
        self._ttl = ttl
        self._seen: dict[str, datetime] = {}

    def use(self, key: str, now: datetime) -> bool:
        """Record ``key`` at ``now``; False if it was already used and is still remembered."""
        now = require_utc(now)
        expires = self._seen.get(key)
        if expires is not None and expires > now:
            return False
        self._seen[key] = now + self._ttl
        return True

    def purge(self, now: datetime) -> int:
        """Forget keys whose time is up; return how many were dropped."""
        now = require_utc(now)
        stale = [k for k, expires in self._seen.items() if expires <= now]
        for key in stale:
            del self._seen[key]
        return len(stale)

    def __len__(self) -> int:
        return len(self._seen)
