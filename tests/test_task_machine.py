"""The task machine (spec/09-interaction.md §9.3, MSG-TSK): the table, every (state, input)
pair, random runs, timeouts at the limit, history filters, products and the size limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aip.errors import AipError, Code, InteractionError
from aip.identity.keys import SigningKey
from aip.interaction.message_fields import format_time, instant, nanoseconds
from aip.interaction.messages import Signer, sign_message, task_command, verify_message
from aip.interaction.task import (
    DEFAULT_TIMEOUT_MS,
    Step,
    Task,
    TaskBook,
    TaskKey,
    open_task,
    products_bytes,
    result_message,
)
from aip.interaction.tasks import (
    COMMANDS,
    STEPS,
    TABLE,
    TERMINAL,
    TRANSITIONS,
    Effect,
    Input,
    State,
    check_report,
    outcome,
    reachable,
)
from tests.helpers import code_of

L = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
L2 = "1.2.156.3088.1.1.34C2.478BDF.3GF547.0JU4"
P = "1.2.156.3088.1.2.5A.9B.7C.1A2B"
P2 = "1.2.156.3088.1.1.1.1.1.06QN"
T0 = datetime(2026, 11, 21, 10, tzinfo=UTC)
KEY = TaskKey(L, "task-1", P)
PRODUCT = {"id": "p-1", "dataItems": [{"type": "text", "text": "Day 1."}]}
PRODUCT_2 = {"id": "p-2", "dataItems": [{"type": "data", "data": {"n": 2}}]}


def sec(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def command(
    name: str, n: int = 0, *, at: datetime = T0, leader: str = L, **kw: Any
) -> dict[str, Any]:
    return task_command(name, kw.pop("task_id", "task-1"), ident=f"cmd-{name}-{n}", now=at,
                        sender=leader, **kw)


def started(*, timeout_ms: int = 60_000, cap: int | None = None, accept: bool = True) -> Task:
    params: dict[str, Any] = {"timeout": timeout_ms}
    if cap is not None:
        params["maxProductsBytes"] = cap
    step = open_task(command("start", params=params), partner=P, now=T0, accept=accept)
    assert step.task is not None
    return step.task


def walk(task: Task, *moves: tuple[Input, float]) -> Task:
    """Apply Partner steps and commands (each at T0 + seconds) that must succeed."""
    for event, t in moves:
        if event in COMMANDS:
            step = task.command(command(str(event), int(t * 10), at=sec(t)), sec(t))
            step.raise_for_error()
        elif event is Input.PRODUCE:
            step = task.produce(PRODUCT, append=False, now=sec(t))
        else:
            step = task.step(event, sec(t), products=[PRODUCT] if event is Input.SUBMIT else ())
        assert step.task is not None
        task = step.task
    return task


REACH: dict[State, tuple[tuple[Input, float], ...]] = {
    State.ACCEPTED: (),
    State.REJECTED: (),
    State.WORKING: ((Input.BEGIN, 1),),
    State.AWAITING_INPUT: ((Input.BEGIN, 1), (Input.ASK, 2)),
    State.AWAITING_COMPLETION: ((Input.BEGIN, 1), (Input.SUBMIT, 2)),
    State.COMPLETED: ((Input.BEGIN, 1), (Input.SUBMIT, 2), (Input.COMPLETE, 3)),
    State.CANCELED: ((Input.CANCEL, 1),),
    State.FAILED: ((Input.BEGIN, 1), (Input.FAIL, 2)),
}


def in_state(state: State) -> Task:
    task = walk(started(accept=state is not State.REJECTED), *REACH[state])
    assert task.state is state
    return task


# ---------------------------------------------------------------- the table


def expected_row(state: State | None, event: Input) -> tuple[State | None, Code | None, str]:
    """An independent reading of §9.3.1 and §9.3.2: (next, error, kind)."""
    rows = {
        (None, "accept"): "accepted", (None, "reject"): "rejected",
        ("accepted", "begin"): "working", ("accepted", "cancel"): "canceled",
        ("working", "submit"): "awaiting-completion", ("working", "ask"): "awaiting-input",
        ("working", "fail"): "failed", ("working", "cancel"): "canceled",
        ("working", "produce"): "working",
        ("awaiting-input", "continue"): "working", ("awaiting-input", "cancel"): "canceled",
        ("awaiting-input", "timeout"): "canceled",
        ("awaiting-completion", "complete"): "completed",
        ("awaiting-completion", "continue"): "working",
        ("awaiting-completion", "cancel"): "canceled",
        ("awaiting-completion", "timeout"): "completed",
    }
    name = None if state is None else state.value
    if (name, event.value) in rows:
        return State(rows[(name, event.value)]), None, "move"
    if state is None:
        if event is Input.START:
            return None, None, "decide"
        return None, (None if event is Input.TIMEOUT else Code.TASK_NOT_FOUND), "none"
    if event.value in ("start", "continue", "complete"):
        return state, None, "ignored"
    if event is Input.CANCEL:
        return state, Code.TASK_NOT_CANCELABLE, "error"
    if event.value in ("get", "re-stream"):
        return state, None, "read"
    if event is Input.TIMEOUT:
        return state, None, "nothing"
    return state, Code.INVALID_AGENT_RESPONSE, "error"


def test_table_is_total_and_matches_the_spec() -> None:
    assert len(TABLE) == 9 * len(Input)
    for (state, event), row in TABLE.items():
        nxt, error, kind = expected_row(state, event)
        assert (row.next, row.error) == (nxt, error), (state, event)
        if kind == "ignored":
            assert row.effects == {Effect.IGNORED}
        if kind == "read":
            assert row.effects == {Effect.READ}
        if kind == "decide":
            assert row.effects == {Effect.DECIDE}
        if error is not None or kind == "nothing":
            assert row.effects == frozenset()


def test_fifteen_rows_and_the_product_loop() -> None:
    changes = {pair for pair, (nxt, _) in TRANSITIONS.items() if nxt is not pair[0]}
    assert len(changes) == 15
    assert set(TRANSITIONS) - changes == {(State.WORKING, Input.PRODUCE)}
    assert all(source not in TERMINAL for source, _ in TRANSITIONS)  # [MSG-TSK-001]
    for (_, event), (nxt, effects) in TRANSITIONS.items():
        assert (Effect.STOP in effects) == (nxt is State.CANCELED)
        assert (Effect.DELIVER in effects) == (event is Input.CONTINUE)


def test_reachable() -> None:
    assert reachable(None) == set(State)
    assert reachable(State.WORKING) == set(State) - {State.ACCEPTED, State.REJECTED}
    assert State.WORKING in reachable(State.WORKING)  # through the awaiting states
    for state in TERMINAL:
        assert reachable(state) == frozenset()


@given(st.sampled_from([None, *State]), st.sampled_from(list(State)))
def test_check_report_follows_the_table(previous: State | None, reported: State) -> None:
    if reported == previous or reported in reachable(previous):
        check_report(previous, reported)
    else:
        assert code_of(check_report, previous, reported) == Code.INVALID_AGENT_RESPONSE


def test_check_report_examples() -> None:
    check_report(None, State.AWAITING_COMPLETION)  # missed accepted and working
    check_report(State.COMPLETED, State.COMPLETED)  # a repeat
    assert code_of(check_report, State.COMPLETED, State.WORKING) == Code.INVALID_AGENT_RESPONSE
    assert code_of(check_report, State.WORKING, State.ACCEPTED) == Code.INVALID_AGENT_RESPONSE
    assert code_of(check_report, State.ACCEPTED, State.REJECTED) == Code.INVALID_AGENT_RESPONSE


# ---------------------------------------------------------------- every pair on a real task


def apply(task: Task, event: Input, at: datetime) -> Step:
    if event in COMMANDS:
        return task.command(command(str(event), 99, at=at), at)
    if event is Input.TIMEOUT:
        return task.tick(at + timedelta(days=1))
    if event in (Input.ACCEPT, Input.REJECT):
        book = TaskBook({task.key: task})
        return book.open(task.commands[0], partner=P, now=at, accept=event is Input.ACCEPT)
    if event is Input.PRODUCE:
        return task.produce(PRODUCT_2, append=False, now=at)
    return task.step(event, at, products=[PRODUCT_2] if event is Input.SUBMIT else ())


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("event", list(Input))
def test_every_pair(state: State, event: Input) -> None:
    task = in_state(state)
    nxt, error, kind = expected_row(state, event)
    at = sec(30)
    if error is not None and event not in COMMANDS:
        assert code_of(apply, task, event, at) == error  # the local Partner's misuse raises
        return
    step = apply(task, event, at)
    assert step.error == error  # a Leader's command is refused in the step, never raised
    after = step.task
    assert after is not None
    assert after.state is nxt
    if kind in ("ignored", "read", "nothing") or error is not None:  # [MSG-TSK-004]
        assert after.statuses == task.statuses
        assert after.commands == task.commands
        assert after.products == task.products
    if kind == "move" and nxt is not state:  # [MSG-TSK-003]
        assert after.statuses[: len(task.statuses)] == task.statuses
        assert len(after.statuses) == len(task.statuses) + 1
        assert after.statuses[-1]["state"] == nxt.value
        recorded = event in COMMANDS
        assert len(after.commands) == len(task.commands) + recorded  # [MSG-TSK-008]


@pytest.mark.parametrize("event", [e for e in Input if e is not Input.START])
def test_no_task(event: Input) -> None:
    book = TaskBook()
    if event in COMMANDS:
        step = book.command(command(str(event)), partner=P, now=T0)
        assert (step.task, step.error) == (None, Code.TASK_NOT_FOUND)
        assert code_of(step.raise_for_error) == Code.TASK_NOT_FOUND
    elif event is Input.TIMEOUT:
        assert book.tick(T0) == {}
    elif event is Input.PRODUCE:
        assert code_of(book.produce, KEY, PRODUCT, append=False, now=T0) == Code.TASK_NOT_FOUND
    elif event not in (Input.ACCEPT, Input.REJECT):
        assert code_of(book.step, KEY, event, T0) == Code.TASK_NOT_FOUND


def test_start_decides_then_is_idempotent() -> None:
    book = TaskBook()
    start = command("start", params={"timeout": 1000})
    step = book.command(start, partner=P, now=T0)
    assert step.task is None
    assert step.effects == {Effect.DECIDE}  # [MSG-TSK-005]
    no = [{"type": "text", "text": "no"}]
    opened = book.open(start, partner=P, now=T0, accept=False, data_items=no)
    assert opened.transitions == ((None, State.REJECTED),)
    again = book.command(start, partner=P, now=sec(1))
    assert again.effects == {Effect.IGNORED}
    assert again.error is None
    assert book.tasks[KEY] == opened.task  # nothing changed, not even the history
    decided = code_of(book.open, start, partner=P, now=sec(2), accept=True)
    assert decided == Code.INVALID_AGENT_RESPONSE


def test_command_for_another_task_is_misuse() -> None:
    task = started()
    assert code_of(task.command, command("get", leader=L2), T0) == Code.TASK_NOT_FOUND
    assert code_of(task.command, command("get", task_id="t-2"), T0) == Code.TASK_NOT_FOUND
    not_a_command = {**command("get"), "type": "task-result"}
    assert code_of(task.command, not_a_command, T0) == Code.MESSAGE_INVALID
    not_a_start = code_of(open_task, command("get"), partner=P, now=T0, accept=True)
    assert not_a_start == Code.MESSAGE_INVALID
    assert code_of(task.step, Input.GET, T0) == Code.INVALID_AGENT_RESPONSE
    assert code_of(task.step, Input.BEGIN, T0, products=[PRODUCT]) == Code.INVALID_AGENT_RESPONSE
    with pytest.raises(ValueError, match="aware"):
        task.tick(datetime(2026, 11, 21))


def test_group_mode_keys() -> None:
    book = TaskBook()
    start = command("start")
    for partner, accept in ((P, True), (P2, False)):
        assert book.command(start, partner=partner, now=T0).effects == {Effect.DECIDE}
        book.open(start, partner=partner, now=T0, accept=accept)
    assert book.tasks[TaskKey(L, "task-1", P)].state is State.ACCEPTED
    assert book.tasks[TaskKey(L, "task-1", P2)].state is State.REJECTED
    assert book.command(command("cancel"), partner=P, now=sec(1)).error is None
    assert book.command(command("cancel"), partner=P2, now=sec(1)).error == Code.TASK_NOT_CANCELABLE
    other = book.command(command("get", leader=L2), partner=P, now=sec(2))
    assert other.error == Code.TASK_NOT_FOUND  # [MSG-TSK-014]


# ---------------------------------------------------------------- random runs


EVENTS = st.sampled_from([e for e in Input if e not in (Input.ACCEPT, Input.REJECT)])
RUNS = st.lists(st.tuples(EVENTS, st.integers(-2_000, 90_000_000)), max_size=25)


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.integers(1, 120_000), st.none() | st.integers(1, 400), RUNS)
def test_random_runs_keep_the_invariants(accept: bool, timeout: int, cap: int | None,
                                         run: list[tuple[Input, int]]) -> None:
    params: dict[str, Any] = {"timeout": timeout}
    if cap is not None:
        params["maxProductsBytes"] = cap
    book = TaskBook()
    start = command("start", params=params)
    assert book.command(start, partner=P, now=T0).effects == {Effect.DECIDE}
    book.open(start, partner=P, now=T0, accept=accept)
    now = T0
    for n, (event, dt) in enumerate(run):
        now += timedelta(microseconds=dt)  # may step back
        before = book.tasks[KEY]
        try:
            if event in COMMANDS:
                step = book.command(command(str(event), n, at=now), partner=P, now=now)
                assert step.error in (None, Code.TASK_NOT_CANCELABLE)
            elif event is Input.TIMEOUT:
                book.tick(now)
            elif event is Input.PRODUCE:
                book.produce(KEY, {**PRODUCT, "id": f"p-{n % 3}"}, append=n % 2 == 1, now=now)
            else:
                book.step(KEY, event, now, products=[PRODUCT] if event is Input.SUBMIT else ())
        except InteractionError as exc:
            assert exc.code is Code.INVALID_AGENT_RESPONSE
            assert event in STEPS
        after = book.tasks[KEY]
        assert after.state in State
        assert after.statuses[: len(before.statuses)] == before.statuses  # history only grows
        assert after.commands[: len(before.commands)] == before.commands
        assert after.statuses[-1]["state"] == after.state.value
        if before.state in TERMINAL:
            assert after == before
    task = book.tasks[KEY]
    stamps = [instant(s["stateChangedAt"]) or 0 for s in task.statuses]
    assert stamps == sorted(set(stamps))  # strictly increasing [MSG-TSK-010]
    assert task.statuses[0]["state"] == ("accepted" if accept else "rejected")
    if cap is not None:
        assert products_bytes(task.products) <= cap  # [MSG-TSK-013]
    assert next(c["command"] for c in task.commands) == "start"
    assert all(c["command"] not in ("get", "re-stream", "start") for c in task.commands[1:])
    for earlier, later in zip(task.statuses, task.statuses[1:], strict=False):
        assert State(later["state"]) in reachable(State(earlier["state"]))


@given(st.integers(1, 10**9), st.integers(0, 10**6), st.booleans())
def test_timeout_exactly_at_the_limit(timeout_ms: int, entered_us: int, completion: bool) -> None:
    task = started(timeout_ms=timeout_ms)
    entered = T0 + timedelta(microseconds=entered_us)
    task = task.step(Input.BEGIN, entered).task_now
    event = Input.SUBMIT if completion else Input.ASK
    task = task.step(event, entered, products=[PRODUCT] if completion else ()).task_now
    deadline = instant(task.statuses[-1]["stateChangedAt"]) + timeout_ms * 1_000_000  # type: ignore[operator]
    just_before = datetime.fromtimestamp(0, UTC) + timedelta(microseconds=deadline // 1000 - 1)
    assert task.tick(just_before).task == task  # [MSG-TSK-011]
    at_limit = task.tick(just_before + timedelta(microseconds=1))
    assert at_limit.task_now.state is (State.COMPLETED if completion else State.CANCELED)
    assert at_limit.task_now.statuses[-1]["stateChangedAt"] == format_time(deadline)
    later = task.tick(just_before + timedelta(days=3))
    assert later.task == at_limit.task  # stamped at the deadline, however late


def test_continue_at_the_deadline_is_too_late() -> None:
    task = walk(started(timeout_ms=1000), (Input.BEGIN, 1), (Input.ASK, 2))
    late = task.command(command("continue", at=sec(3)), sec(3))  # [MSG-TSK-012]
    assert late.task_now.state is State.CANCELED
    assert late.effects == {Effect.CHANGED, Effect.STOP, Effect.IGNORED}
    assert late.transitions == ((State.AWAITING_INPUT, State.CANCELED),)
    cancel = task.command(command("cancel", at=sec(4)), sec(4))
    assert cancel.error == Code.TASK_NOT_CANCELABLE
    assert cancel.task_now.state is State.CANCELED
    in_time = task.command(command("continue", at=sec(2.999)), sec(2.999))
    assert in_time.task_now.state is State.WORKING


def test_book_tick_reports_changed_tasks_only() -> None:
    book = TaskBook()
    book.tasks[KEY] = walk(started(timeout_ms=1000), (Input.BEGIN, 1), (Input.SUBMIT, 2))
    other = TaskKey(L, "task-2", P)
    book.tasks[other] = started()
    assert book.tick(sec(2.5)) == {}
    changed = book.tick(sec(3))
    assert set(changed) == {KEY}
    assert book.tasks[KEY].state is State.COMPLETED
    assert book.tick(sec(9)) == {}


def test_default_timeout() -> None:
    step = open_task(command("start"), partner=P, now=T0, accept=True)
    assert step.task_now.timeout_ms == DEFAULT_TIMEOUT_MS
    task = walk(step.task_now, (Input.BEGIN, 0), (Input.ASK, 0))
    assert task.deadline_ns == nanoseconds(T0) + 2000 + DEFAULT_TIMEOUT_MS * 1_000_000  # 2 µs later


# ---------------------------------------------------------------- history, get and results


def test_get_filters_are_strict() -> None:
    task = walk(started(), (Input.BEGIN, 1), (Input.ASK, 2), (Input.CONTINUE, 3), (Input.SUBMIT, 4))
    everything = task.result_members(command("get"))
    assert [s["state"] for s in everything["statusHistory"]] == [
        "accepted", "working", "awaiting-input", "working", "awaiting-completion"]
    since = task.statuses[2]["stateChangedAt"]
    params = {"lastStateChangedAt": since, "lastCommandSentAt": task.commands[0]["sentAt"]}
    some = task.result_members(command("get", params=params))
    assert some["statusHistory"] == list(task.statuses[3:])  # [MSG-TSK-009]
    assert [c["command"] for c in some["commandHistory"]] == ["continue"]
    plain = task.result_members(command("continue"))
    assert set(plain) == {"taskId", "status", "products"}


@given(st.lists(st.integers(0, 5_000_000), min_size=1, max_size=8), st.integers(0, 6_000_000))
def test_get_status_filter_property(gaps: list[int], since_us: int) -> None:
    task = started()
    now = T0
    events = [Input.BEGIN, Input.ASK, Input.CONTINUE, Input.SUBMIT, Input.CONTINUE, Input.ASK]
    for gap, event in zip(gaps, events, strict=False):
        now += timedelta(microseconds=gap)
        if event in COMMANDS:
            task = task.command(command(str(event), gap, at=now), now).task_now
        else:
            products = [PRODUCT] if event is Input.SUBMIT else []
            task = task.step(event, now, products=products).task_now
    since = format_time(nanoseconds(T0 + timedelta(microseconds=since_us)))
    got = task.result_members(command("get", params={"lastStateChangedAt": since}))
    limit = instant(since)
    assert limit is not None
    later = [s for s in task.statuses if (instant(s["stateChangedAt"]) or 0) > limit]
    assert got["statusHistory"] == later


def test_result_message_is_a_signable_partner_message() -> None:
    key = SigningKey(bytes(range(32)))
    task = walk(started(), (Input.BEGIN, 1), (Input.SUBMIT, 2))
    get = command("get", at=sec(3))
    message = result_message(task, ident="r-1", now=sec(3), command=get)
    assert message["senderId"] == P
    assert message["senderRole"] == "partner"
    assert message["commandHistory"][0]["command"] == "start"
    signed = sign_message(message, key, aic=P)
    assert verify_message(signed, Signer(P, key.verify_key)) == signed
    leader_key = SigningKey(bytes(range(1, 33)))
    assert code_of(sign_message, message, leader_key, aic=L) == Code.AUTHORIZATION_FAILED


# ---------------------------------------------------------------- products


def test_products_merge_and_append() -> None:
    task = walk(started(), (Input.BEGIN, 1))
    task = task.produce(PRODUCT, append=False, now=sec(2)).task_now
    task = task.produce(PRODUCT_2, append=False, now=sec(3)).task_now
    more = {"id": "p-1", "dataItems": [{"type": "text", "text": "Day 2."}]}
    step = task.produce(more, append=True, now=sec(4))
    assert step.effects == {Effect.PRODUCED}
    assert step.transitions == ()
    assert [len(p["dataItems"]) for p in step.task_now.products] == [2, 1]
    revised = {"id": "p-2", "dataItems": []}
    done = step.task_now.step(Input.SUBMIT, sec(5), products=[revised]).task_now
    assert [p["id"] for p in done.products] == ["p-1", "p-2"]
    assert done.products[1] == revised
    assert code_of(task.produce, {"id": "p-9", "dataItems": []}, append=True, now=sec(6)) == (
        Code.INVALID_AGENT_RESPONSE)
    assert code_of(task.produce, {"id": ""}, append=False, now=sec(6)) == Code.MESSAGE_INVALID
    assert code_of(done.produce, PRODUCT, append=False, now=sec(6)) == Code.INVALID_AGENT_RESPONSE


def test_cap_fails_the_task_and_keeps_the_products() -> None:
    size = products_bytes([PRODUCT])
    assert size == len(b'{"dataItems":[{"text":"Day 1.","type":"text"}],"id":"p-1"}')
    fits = walk(started(cap=size), (Input.BEGIN, 1), (Input.SUBMIT, 2))
    assert fits.state is State.AWAITING_COMPLETION
    task = walk(started(cap=size - 1), (Input.BEGIN, 1))
    step = task.step(Input.SUBMIT, sec(2), products=[PRODUCT])
    assert step.task_now.state is State.FAILED
    assert step.task_now.products == ()
    assert step.transitions == ((State.WORKING, State.FAILED),)
    assert step.task_now.statuses[-1]["dataItems"] == [{"type": "data", "data": {
        "reason": "maxProductsBytes", "maxProductsBytes": size - 1, "productsBytes": size}}]


def test_errors_are_interaction_errors() -> None:
    with pytest.raises(InteractionError) as info:
        Step(None, error=Code.TASK_NOT_FOUND).raise_for_error()
    assert isinstance(info.value, AipError)
    assert info.value.code is Code.TASK_NOT_FOUND
    Step(None).raise_for_error()
    assert outcome(State.WORKING, Input.GET).effects == {Effect.READ}
