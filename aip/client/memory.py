"""Client sessions with a listener in the same process, over an in-memory link (shell).

:func:`connect_memory` is :func:`~aip.client.session.connect` without a socket: the
:class:`~aip.client.session.Session` is attached to the listener by
:func:`~aip.transport.memory.accept_memory` and authenticates with the same in-band handshake
(:func:`~aip.client.session.authenticate`), naming the listener's URL as its audience.  The
listener must be started (port 0 will do; the memory connection never touches the socket).
Meant for fast tests of nodes and agents.
"""

from __future__ import annotations

import asyncio

from aip.client.session import AgentIdentity, ConnectionLost, Session, authenticate
from aip.jsonrpc import Handler
from aip.transport.listener import SessionListener
from aip.transport.memory import accept_memory

__all__ = ["connect_memory", "open_memory"]


async def open_memory(
    listener: SessionListener,
    identity: AgentIdentity | None = None,
    methods: dict[str, Handler] | None = None,
    *,
    timeout: float = 10.0,
) -> Session:
    """Open an unauthenticated session with ``listener`` in memory (like
    :func:`~aip.client.session.open_session`).

    Raises :class:`ConnectionLost` when the listener drops the connection before it opens,
    ``RuntimeError`` when it is not listening, ``ValueError`` in mTLS mode.
    """
    session = Session(identity, methods)
    link = accept_memory(listener, session)
    try:
        async with asyncio.timeout(timeout):
            await link.ready
    except (ConnectionError, TimeoutError) as exc:
        link.abort()
        raise ConnectionLost(f"cannot open a memory session: {exc}") from None
    return session


async def connect_memory(
    listener: SessionListener,
    identity: AgentIdentity,
    expected_server_aic: str,
    *,
    timeout: float = 10.0,
    methods: dict[str, Handler] | None = None,
) -> Session:
    """Attach to ``listener`` in memory, authenticate both ways, and return the session.

    Raises like :func:`~aip.client.session.connect` (the handshake's :class:`AipError` after
    closing with 1008), and like :func:`open_memory`.
    """
    session = await open_memory(listener, identity, methods, timeout=timeout)
    return await authenticate(session, listener.url, identity, expected_server_aic, timeout=timeout)
