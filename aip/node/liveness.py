"""Liveness on the node: heartbeats and sessions keep entities listed (spec Part 8 §8.9, DSC-LIV).

Make one :class:`LivenessDesk` when the node starts, pass :attr:`LivenessDesk.predicate` to the
registry as its ``alive`` predicate, hand :meth:`LivenessDesk.session_ended` to the listener's
``session_ended`` hooks, and :meth:`LivenessDesk.install` it in the method table (it adds
``atr.heartbeat``).

* ``atr.heartbeat {uptimeSeconds?}`` → ``{aliveUntil}``: a sign of life of the session's own
  AIC (there is no member naming another agent, so nobody keeps someone else alive)
  [DSC-LIV-001] [DSC-LIV-002]; ``aliveUntil`` is null while liveness is off.
* An entity with an authenticated session open is alive while it lasts, and its end counts as
  a sign of life [DSC-LIV-003] (so it stays listed at least as long as if every discovery
  request during the session had counted).  The listener's index by AIC answers "is a session
  open?" without a pass over the connections.

With ``stale_after`` 0 liveness is off: :attr:`LivenessDesk.predicate` is None and discovery
lists every active entity, as before [DSC-LIV-006].  Liveness is soft state, in memory only: a
heartbeat is a dictionary write (and counts against the session's request rate like any call,
[ARC-LIM-002]); nothing is written to disk, and a restarted node starts with the grace period of
:class:`~aip.discovery.liveness.Liveness`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aip.discovery.acs import format_time
from aip.discovery.liveness import Liveness
from aip.errors import AipError, Code
from aip.jsonrpc import Caller, Handler, expect_params

__all__ = ["HEARTBEAT", "METHODS", "LivenessDesk", "check_stale_after"]

HEARTBEAT = "atr.heartbeat"
METHODS = frozenset({HEARTBEAT})
_MAX_UPTIME = 2**53 - 1  # the largest integer every JSON peer reads exactly (Part 2)


def check_stale_after(stale_after: float) -> float:
    """``stale_after`` as given when it is 0 (off) or a positive finite number of seconds;
    raises ``ValueError`` otherwise (a configuration mistake)."""
    if isinstance(stale_after, bool) or not math.isfinite(stale_after) or stale_after < 0:
        raise ValueError("stale_after must be 0 (liveness off) or a positive number of seconds")
    return stale_after


class LivenessDesk:
    """The liveness state of one node.  Create it when the node starts (its clock's time then
    opens the grace period).

    ``stale_after`` is the limit in seconds, 0 for off (``ValueError`` when negative or not
    finite); ``clock`` the time liveness reads; ``sessions`` returns the AICs that have an
    authenticated session open now.
    """

    def __init__(
        self,
        stale_after: float,
        clock: Callable[[], datetime],
        has_session: Callable[[str], bool],
    ) -> None:
        self.stale_after = check_stale_after(stale_after)
        self._clock = clock
        self._has_session = has_session
        self.table = Liveness(stale_after, clock()) if stale_after else None

    @property
    def enabled(self) -> bool:
        """Whether discovery leaves stale entities out."""
        return self.table is not None

    @property
    def predicate(self) -> Callable[[str], bool] | None:
        """The registry's ``alive`` predicate: whether an AIC may be listed now (a session
        open, or a sign of life within the limit); None (list everything) while liveness is
        off [DSC-LIV-003] [DSC-LIV-004] [DSC-LIV-005] [DSC-LIV-006]."""
        table = self.table
        if table is None:
            return None
        clock, has_session = self._clock, self._has_session
        return lambda aic: has_session(aic) or table.alive(aic, clock())

    def connected(self, aic: str) -> bool:
        """Whether ``aic`` has an authenticated session open now (what the predicate counts
        as alive whatever the table says)."""
        return self._has_session(aic)

    def session_ended(self, aic: str) -> None:
        """A session of ``aic`` ended: a sign of life at this moment [DSC-LIV-003].  Hand it
        to the listener's ``session_ended`` hooks."""
        if self.table is not None:
            self.table.beat(aic, self._clock())

    def info(self) -> dict[str, Any]:
        """The ``liveness`` member of ``node.info`` [DSC-LIV-007]."""
        return {"staleAfterSeconds": self.stale_after}

    def methods(self) -> dict[str, Handler]:
        """The method table entries: ``atr.heartbeat``."""
        return {HEARTBEAT: self.heartbeat}

    def install(self, methods: dict[str, Handler]) -> None:
        """Add :meth:`methods` (``atr.heartbeat``) to the node's table."""
        methods.update(self.methods())

    def heartbeat(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """``atr.heartbeat {uptimeSeconds?}`` → ``{aliveUntil}`` for the session's own AIC.

        Raises AUTHENTICATION_REQUIRED without a session [DSC-LIV-001] and INVALID_PARAMS for
        any member but ``uptimeSeconds`` or an ``uptimeSeconds`` that is not a non-negative
        integer (an ``aic`` member included: a session beats only for itself).
        """
        if caller.aic is None:  # the listener refuses first; kept for other transports
            raise AipError(Code.AUTHENTICATION_REQUIRED, "a heartbeat needs a session")
        expect_params(params, optional=frozenset({"uptimeSeconds"}))
        if "uptimeSeconds" in params:
            _uptime(params["uptimeSeconds"])
        if self.table is None:
            return {"aliveUntil": None}
        until = self.table.beat(caller.aic, self._clock())  # [DSC-LIV-002]
        return {"aliveUntil": format_time(until)}


def _uptime(value: object) -> int:
    """The AMP heartbeat body's ``uptimeSeconds``: an integer 0..2^53-1 (not a boolean);
    INVALID_PARAMS otherwise.  Informative: the node does not keep it."""
    if type(value) is not int or not 0 <= value <= _MAX_UPTIME:
        raise AipError(Code.INVALID_PARAMS, "uptimeSeconds is a non-negative integer")
    return value
