"""Regenerate spec/vectors/interaction/tasks.json: the task machine (spec Part 9 §9.3, MSG-TSK).

Independent of ``aip``: expected results come from the small table and rules below, written from
the text of §9.3 (the fifteen rows, the outcome of every other pair, stamps, timeouts, history
and products), and a simulation of them step by step; nothing imports the library.  Product
sizes come from ``rfc8785``.  The message vectors are made by ``tools/gen_message_vectors.py``.
Run from the repository root: ``python tools/gen_task_vectors.py``.  The output is stable.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import rfc8785

OUT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "interaction" / "tasks.json"

L = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"  # the Leader
L2 = "1.2.156.3088.1.1.34C2.478BDF.3GF547.0JU4"  # another Leader
P = "1.2.156.3088.1.2.5A.9B.7C.1A2B"  # the Partner
P2 = "1.2.156.3088.1.1.1.1.1.06QN"  # a second Partner (group mode)
T0 = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIMEOUT_MS = 60_000
DEFAULT_TIMEOUT_MS = 3_600_000
NOT_FOUND, NOT_CANCELABLE, BAD_STEP = -32001, -32002, -32006



def products_bytes(products: list[dict[str, Any]]) -> int:
    """The size maxProductsBytes limits: each product's RFC 8785 bytes, summed (MSG-TSK-013)."""
    return sum(len(rfc8785.dumps(p)) for p in products)


# ---------------------------------------------------------------- the table of §9.3.1 and §9.3.2

ROWS = {  # (state, input) -> (next state, effects)
    ("none", "accept"): ("accepted", {"changed"}),
    ("none", "reject"): ("rejected", {"changed"}),
    ("accepted", "begin"): ("working", {"changed"}),
    ("accepted", "cancel"): ("canceled", {"changed", "stop"}),
    ("working", "submit"): ("awaiting-completion", {"changed"}),
    ("working", "ask"): ("awaiting-input", {"changed"}),
    ("working", "fail"): ("failed", {"changed"}),
    ("working", "cancel"): ("canceled", {"changed", "stop"}),
    ("awaiting-input", "continue"): ("working", {"changed", "deliver"}),
    ("awaiting-input", "cancel"): ("canceled", {"changed", "stop"}),
    ("awaiting-input", "timeout"): ("canceled", {"changed", "stop"}),
    ("awaiting-completion", "complete"): ("completed", {"changed"}),
    ("awaiting-completion", "continue"): ("working", {"changed", "deliver"}),
    ("awaiting-completion", "cancel"): ("canceled", {"changed", "stop"}),
    ("awaiting-completion", "timeout"): ("completed", {"changed"}),
    ("working", "produce"): ("working", {"produced"}),
}
STATES = ["accepted", "working", "awaiting-input", "awaiting-completion", "completed", "canceled", "failed", "rejected"]
TERMINAL = {"completed", "canceled", "failed", "rejected"}
COMMANDS = ["start", "continue", "cancel", "complete", "get", "re-stream"]
STEPS = ["accept", "reject", "begin", "produce", "submit", "ask", "fail"]
INPUTS = COMMANDS + STEPS + ["timeout"]


def judge(state: str, inp: str) -> tuple[str, Any]:
    """('move', (next, effects)) | ('decide',) | ('ignored',) | ('read',) | ('nothing',) | ('error', code)."""
    if (state, inp) in ROWS:
        return ("move", ROWS[(state, inp)])
    if state == "none":
        if inp == "start":
            return ("decide", None)
        return ("nothing", None) if inp == "timeout" else ("error", NOT_FOUND)
    if inp in ("start", "continue", "complete"):
        return ("ignored", None)
    if inp == "cancel":
        return ("error", NOT_CANCELABLE)
    if inp in ("get", "re-stream"):
        return ("read", None)
    if inp == "timeout":
        return ("nothing", None)
    return ("error", BAD_STEP)


# ---------------------------------------------------------------- times


def us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def fmt(micro: int) -> str:
    t = EPOCH + timedelta(microseconds=micro)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond:06d}Z"


def at(seconds: float) -> str:
    """T0 + seconds, as the vectors write ``now`` (RFC 3339 UTC)."""
    moment = T0 + timedelta(microseconds=round(seconds * 1_000_000))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond:06d}Z" if moment.microsecond else "Z")


def parse(text: str) -> int:
    """Microseconds of an RFC 3339 time (the vectors use at most six fractional digits)."""
    return us(datetime.fromisoformat(text.replace("Z", "+00:00")))


# ---------------------------------------------------------------- the simulation


class Refused(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


class Sim:
    """The Partner's tasks by (leader, taskId, partner), moved by the rules above."""

    def __init__(self, default_timeout: int) -> None:
        self.tasks: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.starts: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.default_timeout = default_timeout

    def state(self, key: tuple[str, str, str]) -> str:
        return self.tasks[key]["state"] if key in self.tasks else "none"

    def _status(self, task: dict[str, Any], state: str, stamp: int, items: Any) -> None:
        status: dict[str, Any] = {"state": state, "stateChangedAt": fmt(stamp)}
        if items:
            status["dataItems"] = items
        task["statuses"].append(status)
        task["state"], task["changed"] = state, stamp

    def _timeout(self, task: dict[str, Any], now: int) -> set[str]:
        if task["state"] not in ("awaiting-input", "awaiting-completion"):
            return set()
        deadline = task["changed"] + task["timeout"] * 1000
        if now < deadline:
            return set()
        nxt, effects = ROWS[(task["state"], "timeout")]
        self._status(task, nxt, deadline, None)  # stamped at the deadline (MSG-TSK-011)
        return set(effects)

    def _stamp(self, task: dict[str, Any], now: int) -> int:
        return max(now, task["changed"] + 1)  # strictly later (MSG-TSK-010)

    def _over(self, task: dict[str, Any], products: list[Any]) -> list[Any] | None:
        size = products_bytes(products)
        if task["cap"] is None or size <= task["cap"]:
            return None
        return [{"type": "data", "data": {"reason": "maxProductsBytes", "maxProductsBytes": task["cap"], "productsBytes": size}}]

    def command(self, key: tuple[str, str, str], msg: dict[str, Any], now: int, decision: str) -> set[str]:
        task = self.tasks.get(key)
        if task is None:
            kind, _ = judge("none", msg["command"])
            if kind == "error":
                raise Refused(_)
            self.starts[key] = msg
            nxt, effects = ROWS[("none", decision)]
            params = msg.get("commandParams") or {}
            task = {"state": "none", "statuses": [], "commands": [msg], "products": [], "changed": 0,
                    "timeout": params.get("timeout") or self.default_timeout, "cap": params.get("maxProductsBytes")}
            self._status(task, nxt, now, None)
            self.tasks[key] = task
            return {"decide"} | effects
        effects = self._timeout(task, now)
        kind, row = judge(task["state"], msg["command"])
        if kind == "error":
            raise Refused(row)
        if kind == "move":
            nxt, more = row
            self._status(task, nxt, self._stamp(task, now), None)
            task["commands"].append(msg)
            return effects | more
        return effects | {kind}

    def step(self, key: tuple[str, str, str], inp: str, now: int, items: Any, products: list[Any], append: bool) -> set[str]:  # noqa: PLR0917
        task = self.tasks.get(key)
        if inp in ("accept", "reject"):
            raise Refused(BAD_STEP if task is not None else NOT_FOUND)
        if task is None:
            raise Refused(NOT_FOUND)
        effects = self._timeout(task, now)
        kind, row = judge(task["state"], inp)
        if kind == "error":
            raise Refused(row)
        held = copy.deepcopy(task["products"])
        for product in products:
            ids = [p["id"] for p in held]
            if append:
                if product["id"] not in ids:
                    raise Refused(BAD_STEP)
                held[ids.index(product["id"])]["dataItems"] += copy.deepcopy(product["dataItems"])
            elif product["id"] in ids:
                held[ids.index(product["id"])] = copy.deepcopy(product)
            else:
                held.append(copy.deepcopy(product))
        if inp in ("produce", "submit"):
            over = self._over(task, held)
            if over is not None:
                nxt, more = ROWS[("working", "fail")]
                self._status(task, nxt, self._stamp(task, now), over)
                return effects | more
        task["products"] = held
        nxt, more = row
        if inp != "produce":
            self._status(task, nxt, self._stamp(task, now), items)
        return effects | more

    def tick(self, now: int) -> dict[tuple[str, str, str], set[str]]:
        return {key: e for key, task in self.tasks.items() if (e := self._timeout(task, now))}


# ---------------------------------------------------------------- transcripts


CASES: list[dict[str, Any]] = []
PRODUCT_1 = {"id": "p-1", "name": "itinerary.md", "dataItems": [{"type": "text", "text": "Day 1: the Forbidden City."}]}
PRODUCT_2 = {"id": "p-2", "dataItems": [{"type": "data", "data": {"days": 3}}]}
ASK_ITEMS = [{"type": "text", "text": "Budget?"}]
FAIL_ITEMS = [{"type": "text", "text": "the data source is down"}]


def key_of(step: dict[str, Any]) -> tuple[str, str, str]:
    return (step.get("leader", L), step.get("taskId", "task-1"), step.get("partner", P))


def command_of(step: dict[str, Any], index: int) -> dict[str, Any]:
    msg = {"type": "task-command", "id": step.get("id", f"cmd-{index + 1}"), "sentAt": step.get("sentAt", step["now"]),
           "senderRole": "leader", "senderId": step.get("leader", L), "taskId": step.get("taskId", "task-1"),
           "command": step["command"]}
    if "params" in step:
        msg["commandParams"] = step["params"]
    if "dataItems" in step:
        msg["dataItems"] = step["dataItems"]
    return msg


def run(steps: list[dict[str, Any]], default_timeout: int = DEFAULT_TIMEOUT_MS) -> tuple[dict[str, Any] | None, int | None]:
    """Simulate ``steps``: (outputs, None) or (None, the code the last step is refused with)."""
    sim = Sim(default_timeout)
    states, effects = [], []
    answer = None
    for index, step in enumerate(steps):
        now = parse(step["now"])
        key = key_of(step)
        try:
            if "command" in step:
                msg = command_of(step, index)
                done = sim.command(key, msg, now, step.get("decision", "accept"))
                task = sim.tasks[key]
                members = ["products", "status", "taskId"]
                answer = {"members": members}
                if msg["command"] == "get":
                    params = msg.get("commandParams") or {}
                    since_c, since_s = params.get("lastCommandSentAt"), params.get("lastStateChangedAt")
                    answer["members"] = sorted([*members, "commandHistory", "statusHistory"])
                    answer["commandHistory"] = [c["id"] for c in task["commands"] if since_c is None or parse(c["sentAt"]) > parse(since_c)]
                    answer["statusHistory"] = [s for s in task["statuses"] if since_s is None or parse(s["stateChangedAt"]) > parse(since_s)]
            elif "step" in step:
                products = step.get("products", [step["product"]] if "product" in step else [])
                done = sim.step(key, step["step"], now, step.get("dataItems"), products, step.get("append", False))
                answer = None
            else:
                done = sim.tick(now).get(key, set())
                answer = None
        except Refused as exc:
            assert index == len(steps) - 1, "only the last step of a transcript may be refused"
            return None, exc.code
        states.append(sim.state(key))
        effects.append(sorted(done))
    key = key_of(steps[-1])
    out: dict[str, Any] = {"states": states, "effects": effects}
    if key in sim.tasks:
        task = sim.tasks[key]
        out.update(status=task["statuses"][-1], statusHistory=task["statuses"],
                   commandHistory=[c["id"] for c in task["commands"]], products=task["products"])
    if answer is not None:
        out["answer"] = answer
    return copy.deepcopy(out), None


def add(name: str, reqs: list[str], steps: list[dict[str, Any]], comment: str, keys: tuple[str, ...] = (), default_timeout: int | None = None) -> None:  # noqa: PLR0917
    inp: dict[str, Any] = {"leader": L, "partner": P, "steps": steps}
    if default_timeout is not None:
        inp["defaultTimeoutMs"] = default_timeout
    out, error = run(steps, default_timeout or DEFAULT_TIMEOUT_MS)
    case: dict[str, Any] = {"id": f"tasks-{len(CASES) + 1:03d}-{name}", "requirements": reqs}
    if out is not None:
        wanted = ("states", "effects", "status", *keys)
        case.update(verdict="valid", input=inp, expected={k: out[k] for k in wanted if k in out})
    else:
        case.update(verdict="invalid", input=inp, error=error)
    case["comment"] = comment + "; expected from the table of tools/gen_task_vectors.py (§9.3), simulated independently"
    CASES.append(case)


def cmd(command: str, t: float, **kw: Any) -> dict[str, Any]:
    return {"command": command, "now": at(t), **kw}


def stp(name: str, t: float, **kw: Any) -> dict[str, Any]:
    return {"step": name, "now": at(t), **kw}


def tick(t: float) -> dict[str, Any]:
    return {"tick": True, "now": at(t)}


START = cmd("start", 0, params={"timeout": TIMEOUT_MS}, dataItems=[{"type": "text", "text": "Plan three days in Beijing."}])
REACH: dict[str, list[dict[str, Any]]] = {  # prefixes that reach each state, one second per step
    "none": [],
    "accepted": [START],
    "rejected": [{**START, "decision": "reject"}],
    "working": [START, stp("begin", 1)],
    "awaiting-input": [START, stp("begin", 1), stp("ask", 2, dataItems=ASK_ITEMS)],
    "awaiting-completion": [START, stp("begin", 1), stp("submit", 2, products=[PRODUCT_1])],
    "completed": [START, stp("begin", 1), stp("submit", 2, products=[PRODUCT_1]), cmd("complete", 3)],
    "canceled": [START, cmd("cancel", 1)],
    "failed": [START, stp("begin", 1), stp("fail", 2, dataItems=FAIL_ITEMS)],
}


def probe(state: str, inp: str) -> dict[str, Any]:
    t = len(REACH[state]) + 10
    if inp == "timeout":  # exactly at the deadline of an awaiting state entered at t-10-1
        return tick(len(REACH[state]) - 1 + TIMEOUT_MS / 1000)
    if inp == "start":
        return cmd("start", t, id="cmd-again", dataItems=[{"type": "text", "text": "again"}])
    if inp in ("accept", "reject"):
        return {**START, "now": at(t), "decision": inp} if state == "none" else stp(inp, t)
    if inp == "continue":
        return cmd("continue", t, dataItems=[{"type": "text", "text": "Budget 3000."}])
    if inp in COMMANDS:
        return cmd(inp, t)
    if inp == "produce":
        return stp("produce", t, product=PRODUCT_2)
    if inp == "submit":
        return stp("submit", t, products=[PRODUCT_2])
    if inp == "ask":
        return stp("ask", t, dataItems=ASK_ITEMS)
    if inp == "fail":
        return stp("fail", t, dataItems=FAIL_ITEMS)
    return stp(inp, t)


def pair_reqs(state: str, inp: str) -> list[str]:
    kind, _ = judge(state, inp)
    reqs = {"move": ["MSG-TSK-002", "MSG-TSK-003"], "decide": ["MSG-TSK-005"], "ignored": ["MSG-TSK-004", "MSG-TSK-005"],
            "read": ["MSG-TSK-004", "MSG-TSK-009"], "nothing": ["MSG-TSK-004"], "error": ["MSG-TSK-004"]}[kind]
    if inp == "cancel" and state in TERMINAL:
        reqs = ["MSG-TSK-006"]
    if inp in ("continue", "complete") and kind == "ignored":
        reqs = ["MSG-TSK-004", "MSG-TSK-006"]
    if inp in STEPS and kind == "error":
        reqs = ["MSG-TSK-007"]
    if inp == "timeout" and kind == "move":
        reqs = ["MSG-TSK-002", "MSG-TSK-011"]
    if inp == "produce" and kind == "move":
        reqs = ["MSG-TSK-013"]
    if state == "none" and inp in ("accept", "reject"):
        reqs = ["MSG-TSK-002", "MSG-TSK-005"]
    return ["MSG-TSK-001", *reqs]


def pairs() -> None:
    for state in ["none", *STATES]:
        for inp in INPUTS:
            steps = [*REACH[state], probe(state, inp)]
            kind, row = judge(state, inp)
            what = {"move": f"moves to {row[0]}" if kind == "move" else "", "decide": "the Partner decides (here: accept)",
                    "ignored": "ignored, answered with the task as it stands", "read": "read, nothing changes",
                    "nothing": "nothing happens", "error": f"refused with {row}"}[kind]
            keys = ("statusHistory", "commandHistory", "products", "answer")
            add(f"pair-{state}-{inp}", pair_reqs(state, inp), steps, f"({state}, {inp}): {what}", keys)


def specials() -> None:
    awaiting_input, awaiting_completion = REACH["awaiting-input"], REACH["awaiting-completion"]
    limit = 2 + TIMEOUT_MS / 1000  # entered at t=2
    h = ("statusHistory", "commandHistory", "products", "answer")
    # timeouts (MSG-TSK-011, MSG-TSK-012)
    add("timeout-input-just-before", ["MSG-TSK-011"], [*awaiting_input, tick(limit - 0.000001)], "one microsecond before the deadline nothing happens", h)
    add("timeout-input-late", ["MSG-TSK-011"], [*awaiting_input, tick(limit + 30)], "noticed late, the timeout is stamped at the deadline", h)
    add("timeout-completion-just-before", ["MSG-TSK-011"], [*awaiting_completion, tick(limit - 0.000001)], "one microsecond before the deadline nothing happens", h)
    add("timeout-completion-late", ["MSG-TSK-011"], [*awaiting_completion, tick(limit + 30)], "auto-completion stamped at the deadline", h)
    add("timeout-continue-at-deadline", ["MSG-TSK-012", "MSG-TSK-011"], [*awaiting_input, cmd("continue", limit)], "a continue exactly at the deadline finds the task canceled and is ignored", h)
    add("timeout-continue-before", ["MSG-TSK-012"], [*awaiting_input, cmd("continue", limit - 0.001)], "a millisecond earlier the continue applies", h)
    add("timeout-complete-at-deadline", ["MSG-TSK-012"], [*awaiting_completion, cmd("complete", limit)], "the timeout completes the task first; the complete is then ignored", h)
    add("timeout-cancel-after", ["MSG-TSK-012", "MSG-TSK-006"], [*awaiting_input, cmd("cancel", limit + 1)], "the task timed out to canceled before the cancel arrived: -32002")
    add("timeout-get-after", ["MSG-TSK-012", "MSG-TSK-009"], [*awaiting_completion, cmd("get", limit + 5)], "a get after the deadline reads the completed task", h)
    add("timeout-restarts", ["MSG-TSK-011"], [*awaiting_input, cmd("continue", 30), stp("ask", 40), tick(limit + 1), tick(40 + TIMEOUT_MS / 1000)], "each awaiting status has its own deadline", h)
    no_timeout = cmd("start", 0)
    add("timeout-default", ["MSG-TSK-011"], [no_timeout, stp("begin", 1), stp("ask", 2), tick(2 + 600 - 0.000001), tick(2 + 600)], "without commandParams.timeout the Partner's default applies (600000 ms here)", h, default_timeout=600_000)
    add("timeout-tick-other-states", ["MSG-TSK-004"], [START, tick(10_000), stp("begin", 10_001), tick(20_000)], "accepted and working never time out", h)
    # idempotent start (MSG-TSK-005) and what the history keeps (MSG-TSK-008)
    add("start-repeated", ["MSG-TSK-005", "MSG-TSK-008"], [START, {**START, "now": at(1)}], "the same start again is ignored; the history keeps one start", h)
    add("start-repeated-working", ["MSG-TSK-005"], [START, stp("begin", 1), cmd("start", 2, id="cmd-x", params={"timeout": 1})], "a new start for a working task is ignored, its params too", h)
    add("start-repeated-rejected", ["MSG-TSK-005"], [{**START, "decision": "reject"}, {**START, "now": at(5), "decision": "accept"}], "a rejected task stays rejected", h)
    add("history-not-recorded", ["MSG-TSK-008"], [START, cmd("get", 1), cmd("continue", 2), cmd("complete", 3), cmd("re-stream", 4), cmd("get", 5)], "get, re-stream and ignored commands are not in the history", h)
    add("history-cancel-recorded", ["MSG-TSK-008", "MSG-TSK-003"], [START, stp("begin", 1), cmd("cancel", 2), cmd("get", 3)], "the cancel that moved the task is recorded", h)
    # get filters (MSG-TSK-009)
    full = [*awaiting_input, cmd("continue", 3, id="cmd-c"), stp("submit", 4, products=[PRODUCT_1])]
    add("get-all", ["MSG-TSK-009"], [*full, cmd("get", 5)], "no parameters: the whole history", h)
    add("get-null", ["MSG-TSK-009"], [*full, cmd("get", 5, params={"lastCommandSentAt": None, "lastStateChangedAt": None})], "null parameters: the whole history", h)
    add("get-since-status", ["MSG-TSK-009"], [*full, cmd("get", 5, params={"lastStateChangedAt": at(2).replace("Z", ".000000Z")})], "statuses strictly later than 10:00:02 (the equal one is left out)", h)
    add("get-since-command", ["MSG-TSK-009"], [*full, cmd("get", 5, params={"lastCommandSentAt": at(0)})], "commands strictly later than the start", h)
    add("get-offset", ["MSG-TSK-009", "MSG-MSG-007"], [*full, cmd("get", 5, params={"lastStateChangedAt": "2026-11-21T18:00:01.5+08:00", "lastCommandSentAt": "2026-11-21T18:00:03+08:00"})],
        "times compare as instants: 18:00:01.5+08:00 is 10:00:01.5Z; 18:00:03+08:00 equals the continue's sentAt and leaves it out", h)
    add("get-since-future", ["MSG-TSK-009"], [*full, cmd("get", 5, params={"lastStateChangedAt": at(100), "lastCommandSentAt": at(100)})], "nothing is later than the future", h)
    add("get-leader-clock", ["MSG-TSK-009"], [START, cmd("cancel", 1, sentAt="2026-11-21T09:00:00Z"), cmd("get", 2, params={"lastCommandSentAt": "2026-11-21T09:30:00Z"})],
        "the filter compares the Leader's own sentAt, not the order of receipt", h)
    # stamps strictly increase (MSG-TSK-010)
    add("stamp-same-now", ["MSG-TSK-010"], [START, stp("begin", 0), stp("ask", 0)], "three changes at one instant: each one microsecond after the last", h)
    add("stamp-clock-back", ["MSG-TSK-010"], [START, stp("begin", 10), stp("submit", 5, products=[PRODUCT_1])], "the clock stepped back: one microsecond after the last status", h)
    add("stamp-command-same-now", ["MSG-TSK-010"], [*awaiting_input, cmd("continue", 2)], "a command at the instant of the last change", h)
    # products (MSG-TSK-013)
    work = [START, stp("begin", 1)]
    p1b = {"id": "p-1", "name": "itinerary-v2.md", "dataItems": [{"type": "text", "text": "Day 1: the Temple of Heaven."}]}
    add("products-replace", ["MSG-TSK-013"], [*work, stp("produce", 2, product=PRODUCT_1), stp("produce", 3, product=PRODUCT_2), stp("submit", 4, products=[p1b])], "a product with a held id replaces it in place", h)
    add("products-append", ["MSG-TSK-013"], [*work, stp("produce", 2, product=PRODUCT_1), stp("produce", 3, product={"id": "p-1", "dataItems": [{"type": "text", "text": "Day 2."}]}, append=True)], "append adds the chunk's data items to the held product", h)
    add("products-append-missing", ["MSG-TSK-013"], [*work, stp("produce", 2, product=PRODUCT_2, append=True)], "nothing held with that id to append to: -32006")
    add("products-continue-keeps", ["MSG-TSK-013"], [*awaiting_completion, cmd("continue", 3), stp("submit", 4, products=[PRODUCT_2])], "products survive a continue; a new id is added at the end", h)
    size1 = products_bytes([PRODUCT_1])
    size12 = products_bytes([PRODUCT_1, PRODUCT_2])
    capped = cmd("start", 0, params={"maxProductsBytes": size12})
    add("cap-exact", ["MSG-TSK-013"], [capped, stp("begin", 1), stp("produce", 2, product=PRODUCT_1), stp("submit", 3, products=[PRODUCT_2])], f"the products take exactly maxProductsBytes ({size12}): allowed", h)
    tight = cmd("start", 0, params={"maxProductsBytes": size12 - 1})
    add("cap-submit-over", ["MSG-TSK-013"], [tight, stp("begin", 1), stp("produce", 2, product=PRODUCT_1), stp("submit", 3, products=[PRODUCT_2])], f"one byte over ({size12} > {size12 - 1}): the task fails, the products stay as they were", h)
    add("cap-produce-over", ["MSG-TSK-013"], [cmd("start", 0, params={"maxProductsBytes": size1 - 1}), stp("begin", 1), stp("produce", 2, product=PRODUCT_1)], f"a single product of {size1} bytes over a cap of {size1 - 1}", h)
    add("cap-replace-fits", ["MSG-TSK-013"], [cmd("start", 0, params={"maxProductsBytes": size1}), stp("begin", 1), stp("produce", 2, product=PRODUCT_1), stp("submit", 3, products=[PRODUCT_1])], "a replacement counts once, not twice", h)
    add("cap-append-over", ["MSG-TSK-013"], [cmd("start", 0, params={"maxProductsBytes": size1}), stp("begin", 1), stp("produce", 2, product=PRODUCT_1), stp("produce", 3, product={"id": "p-1", "dataItems": [{"type": "text", "text": "x"}]}, append=True)], "an append that grows a product past the cap", h)
    add("cap-then-cancel", ["MSG-TSK-013", "MSG-TSK-006"], [tight, stp("begin", 1), stp("submit", 2, products=[PRODUCT_1, PRODUCT_2]), cmd("cancel", 3)], "the failed task cannot be canceled")
    # whose task (MSG-TSK-014)
    add("key-other-leader-get", ["MSG-TSK-014"], [START, cmd("get", 1, leader=L2)], "another agent's get does not reach the Leader's task: -32001")
    add("key-other-leader-cancel", ["MSG-TSK-014"], [START, stp("begin", 1), cmd("cancel", 2, leader=L2)], "another agent cannot cancel it either: -32001")
    add("key-other-leader-start", ["MSG-TSK-014", "MSG-TSK-005"], [START, {**START, "now": at(1), "leader": L2, "decision": "reject"}], "the same taskId from another Leader is another task, decided on its own", h)
    add("key-other-leader-untouched", ["MSG-TSK-014"], [START, {**START, "now": at(1), "leader": L2, "decision": "reject"}, cmd("get", 2)], "the first Leader's task is unaffected", h)
    add("key-group-two-partners", ["MSG-TSK-014"], [START, {**START, "partner": P2, "decision": "reject"}, stp("begin", 1), cmd("get", 2)], "in group mode each Partner holds its own task for one start", h)
    add("key-group-second-partner", ["MSG-TSK-014"], [START, {**START, "partner": P2, "decision": "reject"}, stp("begin", 1), cmd("get", 2, partner=P2)], "the second Partner's task stays rejected", h)
    add("key-group-cancel-one", ["MSG-TSK-014", "MSG-TSK-006"], [START, {**START, "partner": P2, "decision": "reject"}, cmd("cancel", 1), cmd("cancel", 2, partner=P2)], "cancel reaches each Partner's task; the rejected one refuses with -32002")
    add("key-other-task", ["MSG-TSK-014"], [START, cmd("get", 1, taskId="task-2")], "another taskId is another task: -32001")
    # whole runs
    add("run-happy", ["MSG-TSK-002", "MSG-TSK-003", "MSG-TSK-008"], [START, stp("begin", 1), stp("ask", 2, dataItems=ASK_ITEMS), cmd("continue", 3), stp("submit", 4, products=[PRODUCT_1]), cmd("continue", 5), stp("submit", 6, products=[PRODUCT_2]), cmd("complete", 7), cmd("get", 8)],
        "every row a Leader drives, to completion, then the whole history", h)


def reach(state: str) -> set[str]:
    """Every state the rows lead to from ``state`` in one or more steps."""
    found: set[str] = set()
    todo = [state]
    while todo:
        here = todo.pop()
        for (source, _), (target, _) in ROWS.items():
            if source == here and target not in found:
                found.add(target)
                todo.append(target)
    return found


def reports() -> None:
    """A Leader's check of reported states (MSG-TSK-015): every (last seen, reported) pair."""
    for previous in ["none", *STATES]:
        for reported in STATES:
            ok = reported == previous or reported in reach(previous)
            inp: dict[str, Any] = {"previous": None if previous == "none" else previous, "reported": reported}
            case: dict[str, Any] = {"id": f"tasks-{len(CASES) + 1:03d}-report-{previous}-{reported}", "operation": "tasks.report",
                                    "requirements": ["MSG-TSK-015"]}
            if ok:
                case.update(verdict="valid", input=inp, expected={"accepted": True})
            else:
                case.update(verdict="invalid", input=inp, error=BAD_STEP)
            why = "a repeat" if reported == previous else ("reachable through the rows" if ok else "no path in the rows")
            case["comment"] = f"last seen {previous}, reported {reported}: {why}; reachability computed from the rows of tools/gen_task_vectors.py"
            CASES.append(case)


def main() -> None:
    pairs()
    specials()
    reports()
    doc = {
        "format": "aip-vectors/1",
        "area": "interaction.tasks",
        "operation": "tasks.run",
        "description": "The task machine (Part 9 §9.3, MSG-TSK) as transcripts: every (state, input) pair of the eight states and 'no task' against the six commands, the Partner's steps and the clock; then timeouts at and around the deadline, idempotent start, command history, get filters, stamps, products and maxProductsBytes, and the (Leader, taskId, Partner) key; last, the Leader's check of reported states (tasks.report) for every pair. Each step is a command (built by the operation from the step), a Partner step or a tick; only the last step of an invalid case is refused. Expected values come from the table and simulation in tools/gen_task_vectors.py, written from the spec text.",
        "cases": CASES,
    }
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(OUT, len(ids))


if __name__ == "__main__":
    main()
