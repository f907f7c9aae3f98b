"""Transport shells: the authenticated WebSocket listener (client side: :mod:`aip.client`)."""

from aip.transport.listener import Limits, SessionListener

__all__ = ["Limits", "SessionListener"]
