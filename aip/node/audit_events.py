"""Which node events become audit records, and what each record says (spec Part 11 §11.9).

:func:`audited` wraps a method of the registration desk (``atr.*``) so that every call that
reaches it, granted or refused, leaves one signed audit record in the node's log: who asked
(the session AIC, or ``anonymous``), what was asked, about which agent or certificate, and the
outcome with its registry code.  Raw tokens, CSRs and certificates are never recorded; the
record names the AIC and the certificate serial [AUD-EVT-002].
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from aip.errors import AipError
from aip.identity.certificates import inspect_agent_certificate, load_certificate
from aip.jsonrpc import Caller, Handler

__all__ = ["ACTIONS", "Emit", "audited"]

Emit = Callable[..., None]

# atr method -> audit action name [AUD-EVT-001]
ACTIONS = {
    "atr.enroll": "certificate.issue",
    "atr.issueToken": "token.issue",
    "atr.renew": "certificate.renew",
    "atr.revoke": "certificate.revoke",
}


def _short(value: object) -> str:
    """A params value fit for a record: short text, else ``unknown``."""
    return value if isinstance(value, str) and 0 < len(value) <= 128 else "unknown"


def _certificate_target(result: Any) -> dict[str, Any]:
    """AIC and serial of the first leaf in an ``atr.enroll`` / ``atr.renew`` result."""
    try:
        chains = result["certificates"]
        leaf = load_certificate(next(iter(chains.values()))[0])
        info = inspect_agent_certificate(leaf)
    except (AipError, KeyError, TypeError, StopIteration, IndexError):
        return {"type": "certificate", "id": "unknown"}
    return {"type": "certificate", "id": str(leaf.serial_number), "name": info.aic}


def _target(method: str, params: Any, result: Any) -> dict[str, Any]:
    params = params if isinstance(params, dict) else {}
    if method == "atr.issueToken":  # the token itself never: only whom it is for
        return {"type": "agent", "id": _short(params.get("aic"))}
    if method == "atr.revoke":
        return {"type": "certificate", "id": _short(params.get("serial"))}
    if result is not None:
        return _certificate_target(result)
    return {"type": "certificate", "id": "unknown"}


def audited(method: str, handler: Handler, emit: Emit) -> Handler:
    """``handler`` wrapped to emit one audit record per call (sync handlers only)."""
    if inspect.iscoroutinefunction(handler):
        raise TypeError("audited() wraps synchronous handlers")
    action = ACTIONS[method]

    def call(params: dict[str, Any], caller: Caller) -> Any:
        result, refusal = None, None
        try:
            result = handler(params, caller)
        except AipError as exc:  # a refusal is an authorization decision too [AUD-EVT-001]
            refusal = exc
        emit(
            action=action,
            kind="registration",
            actor={"id": caller.aic or "anonymous", "type": "agent"},
            target=_target(method, params, result),
            status="success" if refusal is None else "failure",
            code=None if refusal is None else int(refusal.code),
        )
        if refusal is not None:
            raise refusal
        return result

    return call
