"""The Agent SDK (shell): what an agent app embeds to talk to nodes and peers.

:func:`~aip.client.enrollment.enroll` turns a one-time token into certificates;
:func:`~aip.client.session.connect` opens an authenticated session (spec Part 7) and
:meth:`~aip.client.session.Session.call` sends requests on it; :class:`~aip.client.agent.Agent`
serves methods to authenticated peers;
:class:`~aip.client.reconnect.ReconnectingSession` reconnects with backoff after a drop;
:class:`~aip.client.audit.AuditTrail` records the agent's audit events in its node's log and
proves them included (spec Part 11); :func:`~aip.client.heartbeat.heartbeat` keeps the agent
listed by a node that filters discovery by liveness (spec Part 8 §8.9);
:class:`~aip.client.partner.Partner` does tasks with its skills and
:class:`~aip.client.leader.Leader` starts and steers them over ``aip.rpc`` (spec Part 9 §9.4);
:class:`~aip.client.streams.Streams` and :class:`~aip.client.streams.EventInbox` add
``aip.stream`` with resume (§9.4.2).
"""

from aip.client.agent import Agent
from aip.client.audit import AuditTrail, Receipt
from aip.client.enrollment import enroll
from aip.client.heartbeat import heartbeat
from aip.client.leader import Leader, TaskReport
from aip.client.partner import Ask, Fail, Partner, Submit, Work
from aip.client.reconnect import ReconnectingSession, backoff_delays
from aip.client.session import AgentIdentity, ConnectionLost, Enrolled, Session, connect
from aip.client.streams import EventInbox, StreamEvent, Streams

__all__ = [
    "Agent",
    "AgentIdentity",
    "Ask",
    "AuditTrail",
    "ConnectionLost",
    "Enrolled",
    "EventInbox",
    "Fail",
    "Leader",
    "Partner",
    "Receipt",
    "ReconnectingSession",
    "Session",
    "StreamEvent",
    "Streams",
    "Submit",
    "TaskReport",
    "Work",
    "backoff_delays",
    "connect",
    "enroll",
    "heartbeat",
]
