"""The common case of RFC 6455 framing, done inline (shell helper of :mod:`aip.transport.link`).

Almost every frame of a session is one whole text message: FIN set, no reserved bits, opcode 1,
masked exactly when a client sent it, no larger than the limit.  :func:`next_frame` recognises
such a frame at a position of the received bytes so that the link can hand its payload straight
to the endpoint; every other frame — control frames, fragments, binary, anything malformed or
too large — is handed to ``websockets``' protocol as the whole frame it is, so that protocol
stays at a frame boundary and keeps every rule and every error of RFC 6455.  :func:`text_frame`
builds the frame for one text message the same way ``websockets`` does.
"""

from __future__ import annotations

import os
import struct
from typing import NamedTuple

try:
    from websockets.speedups import apply_mask  # the C helper websockets itself uses
except ImportError:  # pragma: no cover - a build without the C extension
    from websockets.utils import apply_mask

__all__ = ["Found", "next_frame", "text_frame"]

_FIN_TEXT = 0x81  # FIN, no RSV bits, opcode TEXT
_MASK_BIT = 0x80
_U16 = struct.Struct("!H")
_U64 = struct.Struct("!Q")


class Found(NamedTuple):
    """One frame in the buffer: bytes ``[start:end]``; ``payload`` is set for the common case."""

    start: int
    end: int
    payload: bytes | None  # the unmasked text payload, or None: give the frame to the protocol


def next_frame(buf: bytes, pos: int, masked: bool, max_size: int) -> Found | int | None:
    """The frame that starts at ``pos``, if it is complete; None if more bytes are needed.

    An ``int`` is returned instead when the header announces more than ``max_size`` bytes:
    the position from which the protocol must take over at once (it refuses the frame with
    1009), rather than this buffer waiting for the payload.
    """
    have = len(buf) - pos
    if have < 2:
        return None
    first, second = buf[pos], buf[pos + 1]
    length, head = second & 0x7F, pos + 2
    if length == 126:
        if have < 4:
            return None
        length, head = _U16.unpack_from(buf, head)[0], head + 2
    elif length == 127:
        if have < 10:
            return None
        length, head = _U64.unpack_from(buf, head)[0], head + 8
    if length > max_size:
        return pos
    mask = head
    if second & _MASK_BIT:
        head += 4
    end = head + length
    if end > len(buf):
        return None
    if first != _FIN_TEXT or bool(second & _MASK_BIT) is not masked:
        return Found(pos, end, None)
    payload = buf[head:end]
    if masked:
        payload = apply_mask(payload, buf[mask:head])
    return Found(pos, end, payload)


def text_frame(payload: bytes, *, masked: bool) -> bytes:
    """One whole text frame carrying ``payload``; a client masks it with 4 fresh random bytes
    (RFC 6455 §5.3)."""
    length = len(payload)
    bit = _MASK_BIT if masked else 0
    if length < 126:
        header = bytes((_FIN_TEXT, bit | length))
    elif length < 65536:
        header = bytes((_FIN_TEXT, bit | 126)) + _U16.pack(length)
    else:
        header = bytes((_FIN_TEXT, bit | 127)) + _U64.pack(length)
    if not masked:
        return header + payload
    mask = os.urandom(4)
    return header + mask + apply_mask(payload, mask)
