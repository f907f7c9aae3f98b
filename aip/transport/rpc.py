"""JSON-RPC in both directions on one link (shell: futures, tasks).

Either side of a session may send requests [ARC-WS-002]: the agent calls the node, and the node
pushes to the agent.  :class:`Outgoing` numbers our requests, waits (bounded) for their
answers and fails them all when the link goes; :class:`Incoming` answers the peer's requests
from a method table, running ``async def`` handlers as tasks — at most ``limit`` at once per
connection, beyond which a request is refused with 42901 and a retry hint, so a peer cannot
make us hold unbounded work.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Mapping
from typing import Any

from aip.codec import dumps
from aip.errors import AipError, Code, registry
from aip.jsonrpc import (
    Caller,
    Handler,
    Notification,
    Pending,
    Request,
    Response,
    dispatch,
    error_frame,
    finish,
)
from aip.transport.link import ConnectionLost, Link

__all__ = ["MAX_RUNNING", "Incoming", "Outgoing", "remote_error"]

logger = logging.getLogger("aip.transport")
MAX_RUNNING = 64  # async handlers running at once on one connection
_RETRY_MS = 100  # the hint given with a refusal for too many running handlers


def remote_error(error: dict[str, Any]) -> AipError:
    """The peer's error object as an AipError (unknown codes become InvalidAgentResponse)."""
    raw = error["code"]
    if raw in registry():
        return AipError(Code(raw), str(error.get("message", "")), data=error.get("data"))
    return AipError(Code.INVALID_AGENT_RESPONSE, "unregistered error code", data={"code": raw})


class Outgoing:
    """Our requests on one link and the futures waiting for their answers."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}

    async def call(
        self, link: Link | None, method: str, params: dict[str, Any] | None, timeout: float
    ) -> Any:
        """Send a request on ``link`` and wait at most ``timeout`` seconds for its result.

        Raises the peer's error as :class:`AipError` (its registry code), ``TimeoutError``, or
        :class:`ConnectionLost`.  Cancelling the caller forgets the answer.
        """
        if link is None or not link.is_open:
            raise ConnectionLost("the connection is closed")
        ident = next(self._ids)
        frame: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": ident}
        if params is not None:
            frame["params"] = params
        data = dumps(frame)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        try:
            async with asyncio.timeout(timeout):
                if link.paused:
                    await link.writable()  # the peer is not reading: wait, bounded
                if not link.send(data):
                    raise ConnectionLost("the connection closed")
                return await future
        finally:
            self._pending.pop(ident, None)

    def answer(self, response: Response) -> bool:
        """Hand an answer to the call waiting for it; False when no call waits for that id."""
        future = self._pending.get(response.id) if isinstance(response.id, int) else None
        if future is None or future.done():
            return False
        if response.error is None:
            future.set_result(response.result)
        else:
            future.set_exception(remote_error(response.error))
        return True

    def fail_all(self) -> None:
        """The link is gone: every waiting call fails with :class:`ConnectionLost`."""
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionLost("the connection closed"))


class Incoming:
    """The peer's requests on one link, answered from a method table."""

    def __init__(self, limit: int = MAX_RUNNING) -> None:
        self._limit = limit
        self._running: set[asyncio.Task[None]] = set()

    def serve(
        self,
        link: Link,
        methods: Mapping[str, Handler],
        call: Request | Notification,
        caller: Caller,
    ) -> bytes | None:
        """The answer to send now for ``call``, or None (a notification, or an async handler
        whose answer :meth:`later` sends when it is done).  A handler bug is logged and
        answered -32603; it never escapes."""
        try:
            outcome = dispatch(methods, call, caller)
        except Exception:
            return _internal_error(call)
        if isinstance(outcome, Pending):
            return self.later(link, outcome)
        return outcome

    def later(self, link: Link, pending: Pending) -> bytes | None:
        """Run an async handler as a task and send its answer when done; refuse with 42901
        while ``limit`` are already running on this connection."""
        if len(self._running) >= self._limit:
            _close_awaitable(pending.work)
            if not isinstance(pending.call, Request):
                return None
            busy = AipError(
                Code.CALLER_RATE_LIMITED,
                "too many calls running on this connection",
                data={"retryAfterMs": _RETRY_MS},
            )
            return error_frame(pending.call.id, busy)
        task = asyncio.get_running_loop().create_task(self._complete(link, pending))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return None

    async def _complete(self, link: Link, pending: Pending) -> None:
        try:
            result = await pending.work
        except Exception as exc:  # the handler's refusal, or a bug (-32603, logged)
            reply = self._outcome(pending, None, exc)
        else:
            reply = self._outcome(pending, result, None)
        if reply is not None:
            link.send(reply)  # False (nothing sent) when the link closed meanwhile

    @staticmethod
    def _outcome(pending: Pending, result: Any, error: BaseException | None) -> bytes | None:
        try:
            return finish(pending, result, error)
        except Exception:
            return _internal_error(pending.call)

    def cancel_all(self) -> None:
        """The link is gone: stop every running handler (nobody is left to answer)."""
        for task in self._running:
            task.cancel()


def _internal_error(call: Request | Notification) -> bytes | None:
    logger.exception("method %r failed", call.method)
    if isinstance(call, Request):
        return error_frame(call.id, (Code.INTERNAL_ERROR, "internal error", None))
    return None


def _close_awaitable(work: Any) -> None:
    """A refused coroutine is closed, so that Python does not warn it was never awaited."""
    close = getattr(work, "close", None)
    if callable(close):
        close()
