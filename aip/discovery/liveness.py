"""Which agents are alive, from their signs of life (pure: ``now`` is a parameter).

A node that filters discovery by liveness (spec Part 8 §8.9, DSC-LIV) keeps one
:class:`Liveness` table.  It calls :meth:`Liveness.beat` for every sign of life of an AIC (an
``atr.heartbeat`` call, or an authenticated session seen open) and asks
:meth:`Liveness.alive` for every entity it is about to list.

The rule [DSC-LIV-004] [DSC-LIV-005]: with ``S`` the staleness limit, an AIC whose latest sign
of life was at ``L`` is alive at ``t`` while ``t <= L + S`` (alive exactly at the limit,
stale a microsecond later).  An AIC never seen since the table was made counts as seen at the
table's start: every entity is alive for one ``S`` after a node (re)starts, so a restart does not
empty discovery answers before the agents have had time to beat again.

The table is soft state: one entry per AIC, and an entry is forgotten once stale (forgetting it
changes no answer, as a forgotten AIC falls back to the start time, which is older).  Forgetting
runs inside :meth:`Liveness.beat` at most once per ``S``, so memory holds only the AICs seen in
about the last two ``S``.  Time never runs backwards for the table: a ``now`` earlier than the
latest one it was given counts as that latest one (a wall clock stepped back stands still).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from aip.identity.certificates import require_utc

__all__ = ["Liveness"]


class Liveness:
    """The latest sign of life of each AIC, judged against one staleness limit.

    Create it when the node starts, with ``started`` its start time and ``stale_after`` the
    limit in seconds.  Raises ``ValueError`` for a limit that is not a positive finite number
    or a naive ``started``.
    """

    __slots__ = ("_last", "_latest", "_limit", "_next_forget", "_started")

    def __init__(self, stale_after: float, started: datetime) -> None:
        if isinstance(stale_after, bool) or not (math.isfinite(stale_after) and stale_after > 0):
            raise ValueError("stale_after must be a positive number of seconds")
        self._limit = timedelta(seconds=stale_after)
        if self._limit <= timedelta(0):  # below the microsecond resolution of datetime
            raise ValueError("stale_after must be at least one microsecond")
        self._started = require_utc(started)
        self._latest = self._started  # the latest time seen: the table's clock never goes back
        self._last: dict[str, datetime] = {}  # AIC -> its latest sign of life
        self._next_forget = self._started + self._limit

    @property
    def stale_after(self) -> timedelta:
        """The staleness limit ``S``."""
        return self._limit

    @property
    def started(self) -> datetime:
        """When the table was made: the sign of life of every AIC never seen since."""
        return self._started

    def beat(self, aic: str, now: datetime) -> datetime:
        """Record a sign of life of ``aic`` at ``now``; return the time until which it is alive
        without another one (``now + S``).

        Call it for each accepted heartbeat and each authenticated session seen open
        [DSC-LIV-002] [DSC-LIV-003].  Cheap: a dictionary write, and at most once per ``S`` a
        pass that forgets stale entries.  Raises ``ValueError`` for a naive ``now``.
        """
        now = self._tick(now)
        self._last[aic] = now  # now >= every time stored before: the latest sign wins
        if now >= self._next_forget:
            self.forget_stale(now)
        return now + self._limit

    def alive(self, aic: str, now: datetime) -> bool:
        """Whether ``aic`` is alive at ``now`` [DSC-LIV-004] [DSC-LIV-005]: True at exactly
        ``L + S``, False after.  Raises ``ValueError`` for a naive ``now``."""
        now = self._tick(now)
        return now <= self._last.get(aic, self._started) + self._limit

    def forget_stale(self, now: datetime) -> int:
        """Forget every entry that is stale at ``now``; return how many.  No answer of
        :meth:`alive` changes (a forgotten AIC falls back to the older start time).  Raises
        ``ValueError`` for a naive ``now``."""
        now = self._tick(now)
        cutoff = now - self._limit
        stale = [aic for aic, last in self._last.items() if last < cutoff]
        for aic in stale:
            del self._last[aic]
        self._next_forget = now + self._limit
        return len(stale)

    def __len__(self) -> int:
        """How many AICs have an entry (the table's memory)."""
        return len(self._last)

    def __contains__(self, aic: object) -> bool:
        """Whether ``aic`` has an entry (a sign of life not yet forgotten)."""
        return aic in self._last

    def _tick(self, now: datetime) -> datetime:
        """``now`` in UTC, never earlier than the latest time already seen."""
        now = require_utc(now)
        self._latest = max(self._latest, now)
        return self._latest
