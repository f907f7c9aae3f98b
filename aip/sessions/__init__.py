"""Sessions: binding a WebSocket connection to one authenticated AIC (spec Part 7).

:mod:`~aip.sessions.proofs` builds and checks the signed proofs; :mod:`~aip.sessions.server`
and :mod:`~aip.sessions.client` are the two sides of the in-band handshake as pure state
machines; :mod:`~aip.sessions.replay` remembers used challenges.
"""

__all__: list[str] = []
