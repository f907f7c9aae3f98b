"""Vector operations for DSP synchronisation (``spec/08-discovery.md``, DSC-SYN).

Each operation adapts one vector ``input`` object to :mod:`aip.discovery.sync`:

* ``sync.seq_decode`` / ``sync.seq_encode``: the decimal-string form of a sequence number.
  Numbers beyond 2^53-1 cannot be JSON numbers in a vector, so they travel as decimal text
  (``value_decimal`` in, ``value`` out).
* ``sync.change_decode`` / ``sync.change_encode``: the change envelope.
* ``sync.params``: the params of one ``dsp.*`` method, as the provider parses them.
* ``sync.feed``: a sequence of steps against a :class:`~aip.discovery.sync.MemoryFeed`, each at
  its own clock time; every step's answer (or ``{"error": code}``) lands in ``results``.
* ``sync.replica``: snapshot chunks and change pages fed to a
  :class:`~aip.discovery.sync.Replica`; its objects and cursor at the end.

:func:`run_feed` is reusable: give it any provider with the :class:`MemoryFeed` methods and a
way to set its clock, and it answers a ``sync.feed`` step list the way the vectors expect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from aip.discovery import sync
from aip.errors import AipError

__all__ = ["OPERATIONS", "Provider", "run_feed"]


class Provider(Protocol):
    """What :func:`run_feed` needs of a provider (MemoryFeed has it)."""

    types: frozenset[str]

    def upsert(self, type_: str, id_: str, payload: dict[str, Any]) -> sync.Change: ...
    def delete(self, type_: str, id_: str) -> sync.Change: ...
    def changes(self, since: int, limit: int) -> tuple[list[sync.Change], int]: ...
    def snapshot(self, chunk_size: int, types: Sequence[str] | None = None) -> dict[str, Any]: ...
    def chunk(self, snapshot_id: str, index: int) -> dict[str, Any]: ...
    def info(self) -> dict[str, Any]: ...


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def seq_decode(data: dict[str, Any]) -> dict[str, Any]:
    """Decode ``text``; the value comes back as decimal text."""
    return {"value": str(sync.decode_seq(data["text"]))}


def seq_encode(data: dict[str, Any]) -> dict[str, Any]:
    """Encode ``value`` (a JSON number) or ``value_decimal`` (any integer, as text)."""
    value = int(data["value_decimal"]) if "value_decimal" in data else data["value"]
    return {"text": sync.encode_seq(value)}


def change_decode(data: dict[str, Any]) -> dict[str, Any]:
    """Decode ``change`` and encode it again: the canonical seven members."""
    return {"change": sync.encode_change(sync.decode_change(data["change"]))}


def change_encode(data: dict[str, Any]) -> dict[str, Any]:
    """Encode a :class:`~aip.discovery.sync.Change` given member by member (seq a number)."""
    c = data["change"]
    change = sync.Change(c["seq"], c["ts"], c["op"], c["type"], c["id"], c["version"], c["payload"])
    return {"change": sync.encode_change(change)}


def params(data: dict[str, Any]) -> dict[str, Any]:
    """Parse ``params`` of ``method`` as a provider offering ``types`` (default ``["acs"]``)."""
    method, given = data["method"], data.get("params")
    if method == "dsp.info":
        sync.parse_info_params(given)
        return {"accepted": True}
    if method == "dsp.changes":
        req = sync.parse_changes_params(given)
        return {
            "accepted": True,
            "since": sync.encode_seq(req.since),
            "limit": req.limit,
            "waitMs": req.wait_ms,
        }
    if method == "dsp.snapshot":
        snap = sync.parse_snapshot_params(given, data.get("types", ["acs"]))
        return {
            "accepted": True,
            "types": None if snap.types is None else list(snap.types),
            "chunkSize": snap.chunk_size,
        }
    if method == "dsp.chunk":
        chunk = sync.parse_chunk_params(given)
        return {"accepted": True, "snapshotId": chunk.snapshot_id, "index": chunk.index}
    raise ValueError(f"unknown method {method!r}")


def _call(feed: Provider, step: dict[str, Any]) -> Any:
    call = step["call"]
    if call == "upsert":
        return sync.encode_change(feed.upsert(step["type"], step["id"], step["payload"]))
    if call == "delete":
        return sync.encode_change(feed.delete(step["type"], step["id"]))
    given = step.get("params", {})
    if call == "dsp.info":
        sync.parse_info_params(given)
        return feed.info()
    if call == "dsp.changes":
        req = sync.parse_changes_params(given)  # nothing waits here: waitMs is only parsed
        return sync.encode_changes_result(*feed.changes(req.since, req.limit))
    if call == "dsp.snapshot":
        snap = sync.parse_snapshot_params(given, feed.types)
        return feed.snapshot(snap.chunk_size, snap.types)
    if call == "dsp.chunk":
        chunk = sync.parse_chunk_params(given)
        return feed.chunk(chunk.snapshot_id, chunk.index)
    raise ValueError(f"unknown step {call!r}")


def run_feed(
    feed: Provider, steps: Sequence[dict[str, Any]], set_now: Callable[[datetime], None]
) -> list[Any]:
    """Run ``steps`` in order, each after ``set_now(step["at"])``; one answer per step, a
    refusal as ``{"error": code}``."""
    results: list[Any] = []
    for step in steps:
        set_now(_time(step["at"]))
        try:
            results.append(_call(feed, step))
        except AipError as exc:
            results.append({"error": int(exc.code)})
    return results


def feed(data: dict[str, Any]) -> dict[str, Any]:
    """Run ``steps`` against a fresh MemoryFeed built from ``config``; ids from ``ids``."""
    config, steps = data["config"], data["steps"]
    now = [_time(steps[0]["at"]) if steps else datetime.fromisoformat("2026-01-01T00:00:00Z")]
    ids: Iterator[str] = iter(data.get("ids", []))

    def set_now(moment: datetime) -> None:
        now[0] = moment

    provider = sync.MemoryFeed(
        retention_count=config["retentionCount"],
        retention_age_s=config["retentionAgeSeconds"],
        clock=lambda: now[0],
        ids=lambda: next(ids),
        types=config.get("types", ["acs"]),
        snapshot_idle_s=config.get("snapshotIdleSeconds", 7200),
        snapshot_max_s=config.get("snapshotMaxSeconds", 86400),
    )
    return {"results": run_feed(provider, steps, set_now)}


def replica(data: dict[str, Any]) -> dict[str, Any]:
    """Feed ``steps`` (``{"chunk": ...}`` or ``{"page": {changes, nextSeq}}``) to a Replica of
    ``types``; per step ``{"ok": true}`` or ``{"error": code}``, then the objects (sorted by
    type and id, with their versions) and the cursor."""
    rep = sync.Replica(types=data.get("types"))
    results: list[dict[str, Any]] = []
    for step in data["steps"]:
        try:
            if "chunk" in step:
                rep.apply_snapshot_chunk(step["chunk"])
            else:
                rep.apply_changes(*sync.decode_changes_result(step["page"]))
            results.append({"ok": True})
        except AipError as exc:
            results.append({"error": int(exc.code)})
    objects = [
        {"type": t, "id": i, "version": rep.versions[(t, i)], "payload": payload}
        for (t, i), payload in sorted(rep.objects.items())
    ]
    return {"results": results, "objects": objects, "cursor": sync.encode_seq(rep.cursor)}


OPERATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "sync.seq_decode": seq_decode,
    "sync.seq_encode": seq_encode,
    "sync.change_decode": change_decode,
    "sync.change_encode": change_encode,
    "sync.params": params,
    "sync.feed": feed,
    "sync.replica": replica,
}
