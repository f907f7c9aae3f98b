"""The local discovery node over WebSockets (shell: sockets, event loop).

Start one with ``async with Node(data_dir, port=0) as node: ...`` (or :meth:`Node.start` /
:meth:`Node.stop`), or run :func:`serve` until cancelled.  Each received message goes through
the pure :mod:`aip.jsonrpc` core; peer misbehaviour becomes an error reply or a close with a
defined status, never an exception that ends the server.  This version serves ``node.info``
only; session authentication comes later (spec/01-architecture.md §5.4).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any

from websockets.asyncio.server import Server, ServerConnection
from websockets.asyncio.server import serve as ws_serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from aip.codec import MAX_DEPTH
from aip.errors import Code
from aip.jsonrpc import (
    ErrorReply,
    Handler,
    Request,
    Response,
    decode_frame,
    dispatch,
    error_frame,
    expect_params,
)
from aip.node.datadir import DataDir, NodeIdentity

__all__ = ["PROTOCOL_VERSION", "Node", "NodeLimits", "serve"]

PROTOCOL_VERSION = "0.1"
logger = logging.getLogger("aip.node")


def _aip_version() -> str:
    try:
        return metadata.version("aip")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@dataclass(frozen=True, slots=True)
class NodeLimits:
    """The limits a node publishes in ``node.info`` and enforces [ARC-LIM-001]."""

    max_frame_bytes: int = 1_048_576

    def to_wire(self) -> dict[str, int]:
        """The ``limits`` member of ``node.info``.

        The nesting depth is the codec's fixed limit (spec/02-codec.md), not a setting: a node
        publishes what it enforces [ARC-LIM-001].
        """
        return {"maxFrameBytes": self.max_frame_bytes, "maxNestingDepth": MAX_DEPTH}


class Node:
    """One node process: a data directory and a WebSocket listener answering JSON-RPC.

    ``port=0`` lets the OS pick a free port; read :attr:`port` / :attr:`url` after
    :meth:`start`.  ``domain`` is used only when the data directory is created.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 8765,
        domain: str | None = None,
        limits: NodeLimits | None = None,
    ) -> None:
        self.data_path = Path(data_dir)
        self.host = host
        self.limits = limits or NodeLimits()
        self._requested_port = port
        self._domain = domain
        self._data: DataDir | None = None
        self._server: Server | None = None
        self._methods: dict[str, Handler] = {"node.info": self._node_info}
        # Methods a peer may call before session authentication [ARC-AUTH-001].
        self._before_authentication: set[str] = {"node.info"}
        self._info: dict[str, Any] = {}

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the data directory, then listen.

        Raises :class:`~aip.node.datadir.DataDirError` or ``OSError`` (e.g. the port is taken);
        on failure nothing is left open.  Raises ``RuntimeError`` if already started.
        """
        if self._data is not None:
            raise RuntimeError("the node is already started")
        # File I/O and fsyncs run off the event loop.
        data = await asyncio.to_thread(DataDir.open, self.data_path, domain=self._domain)
        try:
            identity = data.identity
            self._info = {
                "protocol": "aip",
                "protocolVersion": PROTOCOL_VERSION,
                "implementation": {"name": "aip", "version": _aip_version()},
                "nodeAic": str(identity.aic),
                "domain": identity.domain,
                "trustBundle": [identity.trust_bundle_pem],
                "nodeCertificate": identity.certificate_chain_pem,
                "limits": self.limits.to_wire(),
                "methods": sorted(self._methods),
            }
            self._server = await ws_serve(
                self._connection,
                self.host,
                self._requested_port,
                compression=None,  # small frames: compression costs more than it saves
                max_size=self.limits.max_frame_bytes,  # larger: close 1009 [ARC-LIM-001]
                logger=logger,
            )
        except BaseException:
            data.close()
            raise
        self._data = data

    async def stop(self) -> None:
        """Close every connection (status 1001), stop listening, close the data directory."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        data, self._data = self._data, None
        if data is not None:
            data.close()

    async def __aenter__(self) -> Node:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # --- facts -------------------------------------------------------------------------------

    @property
    def data(self) -> DataDir:
        """The open data directory.  Raises ``RuntimeError`` before :meth:`start`."""
        if self._data is None:
            raise RuntimeError("the node is not started")
        return self._data

    @property
    def identity(self) -> NodeIdentity:
        """Who the node is (after :meth:`start`)."""
        return self.data.identity

    @property
    def port(self) -> int:
        """The TCP port actually bound.  Raises ``RuntimeError`` before :meth:`start`."""
        if self._server is None:
            raise RuntimeError("the node is not listening")
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    @property
    def url(self) -> str:
        """``ws://host:port`` clients connect to (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}"

    # --- methods -----------------------------------------------------------------------------

    def _node_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """``node.info``: who this node is and what it enforces [ARC-NODE-001]."""
        expect_params(params)
        return self._info

    # --- receive path ------------------------------------------------------------------------

    def handle_message(self, message: str) -> bytes | None:
        """Answer one received text message; returns the reply frame or None (no reply).

        Never raises on any peer input: bad frames get the error reply of :mod:`aip.jsonrpc`,
        a handler bug gets -32603 and a log entry.
        """
        frame = decode_frame(message)
        if isinstance(frame, ErrorReply):
            return frame.to_bytes()
        if isinstance(frame, Response):
            # This node sends no requests yet: every response is unmatched [ARC-WS-002].
            logger.debug("discarding a response to unknown id %r", frame.id)
            return None
        if frame.method not in self._before_authentication:  # [ARC-AUTH-001]
            # No session method exists yet (Part 7), so no connection is ever authenticated.
            if isinstance(frame, Request):
                return error_frame(
                    frame.id, (Code.AUTHENTICATION_REQUIRED, "authenticate the session first", None)
                )
            return None
        try:
            return dispatch(self._methods, frame)
        except Exception:
            logger.exception("method %r failed", frame.method)
            if isinstance(frame, Request):
                return error_frame(frame.id, (Code.INTERNAL_ERROR, "internal error", None))
            return None

    async def _connection(self, ws: ServerConnection) -> None:
        try:
            while True:
                message = await ws.recv()  # invalid UTF-8 text: websockets closes 1007
                if isinstance(message, bytes):  # [ARC-WS-001]
                    await ws.close(CloseCode.UNSUPPORTED_DATA, "binary messages are not accepted")
                    return
                reply = self.handle_message(message)
                if reply is not None:
                    await ws.send(reply, text=True)
        except ConnectionClosed:
            return


async def serve(
    host: str,
    port: int,
    data_dir: str | os.PathLike[str],
    *,
    ready: Callable[[Node], None] | None = None,
) -> None:
    """Run a node until cancelled; ``ready(node)`` is called once it listens.

    Raises like :meth:`Node.start`.  The node is stopped cleanly on cancellation.
    """
    async with Node(data_dir, host=host, port=port) as node:
        if ready is not None:
            ready(node)
        await asyncio.Future()
