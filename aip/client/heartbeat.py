"""Tell the node this agent is alive (shell): ``atr.heartbeat`` (spec Part 8 §8.9).

::

    until = await heartbeat(node_session, uptime_seconds=int(time.monotonic() - started))

A node with liveness on lists an entity in discovery answers only while it shows signs of life:
a heartbeat, or an authenticated session it holds open.  An agent that keeps its session to the
node open needs no heartbeats to stay listed; one that connects now and then calls
:func:`heartbeat` on each visit, well before the returned time (every third of the node's
``liveness.staleAfterSeconds`` from ``node.info`` [DSC-LIV-008]).  A heartbeat also keeps an
otherwise silent session from being closed as idle (``limits.idleTimeoutSeconds``).
"""

from __future__ import annotations

from datetime import datetime

from aip.client.reconnect import ReconnectingSession
from aip.client.session import Session
from aip.errors import AipError, Code
from aip.identity.certificates import require_utc

__all__ = ["heartbeat"]


async def heartbeat(
    session: Session | ReconnectingSession,
    *,
    uptime_seconds: int | None = None,
    timeout: float = 10.0,
) -> datetime | None:
    """Send one heartbeat for the session's own AIC; return until when the node counts this
    agent alive without another sign of life, or None when the node has liveness off.

    ``uptime_seconds`` is the AMP heartbeat body's uptime (a non-negative integer).  Raises
    like :meth:`Session.call <aip.client.session.Session.call>` (AUTHENTICATION_REQUIRED on a
    session that is not authenticated), and INVALID_AGENT_RESPONSE for an answer that is not
    ``{aliveUntil}`` with a UTC time or null.
    """
    params = {} if uptime_seconds is None else {"uptimeSeconds": uptime_seconds}
    result = await session.call("atr.heartbeat", params, timeout=timeout)
    if not isinstance(result, dict) or "aliveUntil" not in result:
        raise AipError(Code.INVALID_AGENT_RESPONSE, "a heartbeat answer holds aliveUntil")
    until = result["aliveUntil"]
    if until is None:  # liveness is off on that node [DSC-LIV-002]
        return None
    try:
        if not isinstance(until, str) or not until.endswith("Z"):
            raise ValueError("not a UTC time")
        return require_utc(datetime.fromisoformat(until))
    except ValueError:
        raise AipError(Code.INVALID_AGENT_RESPONSE, "aliveUntil is not a UTC time") from None
