"""Transport shells: the authenticated WebSocket listener (client side: :mod:`aip.client`)."""

from aip.transport.listener import Guard, Limits, SessionListener

__all__ = ["Guard", "Limits", "SessionListener"]
