"""The node's registry and discovery methods (spec Part 8), over the registry service.

Open with :func:`open_registry` when the node starts and close the registry when it stops.

Methods (params → result; every method needs an authenticated session except ``atr.lookup``):

* ``atr.register {acs}`` → ``{id, state}``: a new ontology registration (DRAFT).
* ``atr.status {id}`` → the registration, for its owner or the operator.
* ``atr.list {state?, after?, limit?}`` → ``{registrations, next?}``: one page of every
  registration (id order), for the operator only.
* ``atr.act {id, action, acs?, reason?}`` → ``{id, state, aic?}``: update, submit, cancel,
  delete (the owner); approve, reject, disable, enable (the operator).
* ``atr.derive {ontology, overrides?}`` → ``{aic, document, token}``: a new entity of an approved
  ontology, by its holder, with a one-time enrollment token for it.
* ``atr.lookup {aic}`` → ``{document}``: the registry-signed ACS (public).
* ``adp.discover {...}`` → the ADP answer (``acsMap``, ``agents``, and ``routes`` when the
  node forwarded it to federation peers: :mod:`aip.node.federation`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from aip.discovery.query import read_request
from aip.discovery.registry import Action, State
from aip.discovery.service import Registry
from aip.discovery.store import RegistryStore
from aip.errors import AipError, Code
from aip.identity.aic import Aic
from aip.identity.keys import SigningKey
from aip.jsonrpc import Caller, Handler, expect_params
from aip.node.federation import Federation

__all__ = ["DEFAULT_PAGE", "MAX_PAGE", "METHODS", "PUBLIC", "RegistryMethods", "open_registry"]

METHODS = frozenset(
    {
        "atr.register",
        "atr.status",
        "atr.list",
        "atr.act",
        "atr.derive",
        "atr.lookup",
        "adp.discover",
    }
)
PUBLIC = frozenset({"atr.lookup"})
MAX_PAGE = 500  # atr.list: the most registrations one answer holds [DSC-REG-010]
DEFAULT_PAGE = 100  # [DSC-REG-009]


async def open_registry(
    path: Path,
    *,
    node_aic: Aic,
    key: SigningKey,
    salt: bytes,
    operator: str,
    emit: Callable[..., None],
    token_for: Callable[[str], Awaitable[str]],
    dev_mode: bool,
    clock: Callable[[], datetime],
    alive: Callable[[str], bool] | None = None,
) -> Registry:
    """Open the registry file (off the event loop) and return the service.

    ``alive`` is the liveness predicate (:mod:`aip.node.liveness`): discovery lists an entity
    only while it holds; None lists every active entity [DSC-LIV-006]."""
    store = await asyncio.to_thread(RegistryStore.open, path)
    return Registry(
        store,
        node_aic=node_aic,
        key=key,
        salt=salt,
        operator=operator,
        emit=emit,
        token_for=token_for,
        dev_mode=dev_mode,
        clock=clock,
        alive=alive,
    )


def _caller(caller: Caller) -> str:
    if caller.aic is None:
        raise AipError(Code.AUTHENTICATION_REQUIRED, "this method needs a session")
    return caller.aic


def _text(params: dict[str, Any], name: str) -> str:
    value = params[name]
    if not isinstance(value, str) or not 0 < len(value) <= 256:
        raise AipError(Code.INVALID_PARAMS, f"{name} is text of 1 to 256 characters")
    return value


def _state(params: dict[str, Any]) -> State | None:
    """The optional ``state`` filter of ``atr.list`` (None when absent): a State value such
    as ``"PENDING"``; INVALID_PARAMS for anything else, null included [DSC-REG-010]."""
    if "state" not in params:
        return None
    value = params["state"]
    if not isinstance(value, str) or value not in {s.value for s in State}:
        raise AipError(Code.INVALID_PARAMS, f"state is one of {', '.join(State)}")
    return State(value)


def _limit(params: dict[str, Any]) -> int:
    """The optional page size of ``atr.list``: an integer 1..MAX_PAGE (not a boolean);
    INVALID_PARAMS otherwise [DSC-REG-010]."""
    value = params.get("limit", DEFAULT_PAGE)
    if type(value) is not int or not 1 <= value <= MAX_PAGE:
        raise AipError(Code.INVALID_PARAMS, f"limit is an integer from 1 to {MAX_PAGE}")
    return value


class TokenBatch:
    """Enrollment tokens for derived entities, issued together: every request that arrives in
    one turn of the event loop shares one durable save of the CA state (instead of an fsync
    each).  ``issue`` is :meth:`aip.node.atr.Enrollment.issue_tokens`."""

    def __init__(self, issue: Callable[[list[str]], list[str]]) -> None:
        self._issue = issue
        self._pending: list[tuple[str, asyncio.Future[str]]] = []

    async def token_for(self, aic: str) -> str:
        """A one-time enrollment token for ``aic``, once it is durable.  Raises what the
        issuer raises (for the whole batch when the save fails)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._pending.append((aic, future))
        if len(self._pending) == 1:
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            tokens = self._issue([aic for aic, _ in batch])
        except Exception as exc:  # refused or not saved: none of them was issued
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), token in zip(batch, tokens, strict=True):
            if not future.done():
                future.set_result(token)


class RegistryMethods:
    """The method table entries of one node's registry."""

    def __init__(self, registry: Registry, federation: Federation | None = None) -> None:
        self.registry = registry
        self.federation = federation

    def table(self) -> dict[str, Handler]:
        return {
            "atr.register": self.register,
            "atr.status": self.status,
            "atr.list": self.listing,
            "atr.act": self.act,
            "atr.derive": self.derive,
            "atr.lookup": self.lookup,
            "adp.discover": self.discover,
        }

    async def register(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        expect_params(params, required=frozenset({"acs"}))
        return await self.registry.create(_caller(caller), params["acs"])

    def status(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        expect_params(params, required=frozenset({"id"}))
        return self.registry.status(_caller(caller), _text(params, "id"))

    def listing(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """``atr.list``: one page of registrations for the operator [DSC-REG-009]; params are
        checked (INVALID_PARAMS) before the caller (AUTHORIZATION_FAILED for a non-operator)."""
        expect_params(params, optional=frozenset({"state", "after", "limit"}))
        who = _caller(caller)
        state, limit = _state(params), _limit(params)
        after = _text(params, "after") if "after" in params else ""
        return self.registry.registrations(who, state, after, limit)

    async def act(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        expect_params(
            params, required=frozenset({"id", "action"}), optional=frozenset({"acs", "reason"})
        )
        who = _caller(caller)
        try:
            action = Action(params["action"])
        except ValueError:
            raise AipError(Code.INVALID_PARAMS, "unknown action") from None
        reason = params.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 512):
            raise AipError(Code.INVALID_PARAMS, "reason is text of at most 512 characters")
        return await self.registry.act(
            who, _text(params, "id"), action, acs=params.get("acs"), reason=reason
        )

    async def derive(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        expect_params(params, required=frozenset({"ontology"}), optional=frozenset({"overrides"}))
        overrides = params.get("overrides")
        if overrides is not None and not isinstance(overrides, dict):
            raise AipError(Code.INVALID_PARAMS, "overrides is an object of ACS members")
        return await self.registry.derive(_caller(caller), _text(params, "ontology"), overrides)

    def lookup(self, params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        expect_params(params, required=frozenset({"aic"}))
        return {"document": self.registry.lookup(_text(params, "aic"))}

    async def discover(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        _caller(caller)  # ADP: discovery answers authenticated callers [DSC-ADP-001]
        if self.federation is None:  # a registry alone: no forwarding checks, local answer
            return self.registry.discover(read_request(params))
        # [DSC-FWD-006] checks, local answer, forwarding to peers, merge
        return await self.federation.discover(params, caller, self.registry.discover)
