"""The Agent SDK (shell): what an agent app embeds to talk to nodes and peers.

This version: :func:`~aip.client.session.connect` opens an authenticated session (spec
Part 7) and :meth:`~aip.client.session.Session.call` sends requests on it.
"""

from aip.client.session import AgentIdentity, ConnectionLost, Enrolled, Session, connect, enroll

__all__ = ["AgentIdentity", "ConnectionLost", "Enrolled", "Session", "connect", "enroll"]
