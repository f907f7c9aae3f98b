"""The pure liveness table (spec Part 8 §8.9, DSC-LIV): properties against a plain reference,
and the exact edges of the staleness limit and of the grace period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aip.discovery.liveness import Liveness

START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
AICS = [f"1.2.156.3088.1.1.34C2.478BDF.3GF546.{n}.0000" for n in range(4)]


@dataclass
class Reference:
    """Liveness as its rule reads, with nothing forgotten: an AIC is alive at t while
    t <= (its latest beat, or the start) + S; time never runs backwards."""

    limit: timedelta
    latest: datetime = START
    beats: dict[str, datetime] = field(default_factory=dict)

    def tick(self, now: datetime) -> datetime:
        self.latest = max(self.latest, now)
        return self.latest

    def beat(self, aic: str, now: datetime) -> datetime:
        self.beats[aic] = self.tick(now)
        return self.beats[aic] + self.limit

    def alive(self, aic: str, now: datetime) -> bool:
        return self.tick(now) <= self.beats.get(aic, START) + self.limit


LIMITS = st.sampled_from([1.0, 2.5, 30.0, 0.000001, 90.0])
# A step of the clock: mostly forward, sometimes back (a wall clock stepped back), sometimes 0.
STEPS = st.integers(min_value=-5_000_000, max_value=40_000_000).map(
    lambda us: timedelta(microseconds=us)
)
Op = tuple[str, str, timedelta]
OPS = st.lists(
    st.tuples(st.sampled_from(["beat", "alive", "forget"]), st.sampled_from(AICS), STEPS),
    max_size=60,
)


@given(LIMITS, OPS)
def test_table_agrees_with_the_reference(stale_after: float, ops: list[Op]) -> None:
    table, reference = Liveness(stale_after, START), Reference(timedelta(seconds=stale_after))
    now = START
    for kind, aic, step in ops:
        now += step
        if kind == "beat":
            assert table.beat(aic, now) == reference.beat(aic, now)
        elif kind == "forget":
            table.forget_stale(now)
        # every answer, for every AIC, agrees after every operation [DSC-LIV-004] [DSC-LIV-005]
        for other in AICS:
            assert table.alive(other, now) == reference.alive(other, now), (other, now)


@given(LIMITS, OPS)
def test_memory_holds_only_live_entries_after_forgetting(stale_after: float, ops: list[Op]) -> None:
    table = Liveness(stale_after, START)
    now = START
    for kind, aic, step in ops:
        now += step
        if kind == "beat":
            table.beat(aic, now)
    answers = {aic: table.alive(aic, now) for aic in AICS}
    table.forget_stale(now)
    assert len(table) <= len(AICS)  # one entry per AIC at most
    assert all(table.alive(aic, now) for aic in AICS if aic in table)  # the stale are gone
    assert {aic: table.alive(aic, now) for aic in AICS} == answers  # and no answer changed


def test_forgetting_runs_by_itself_at_most_once_per_limit() -> None:
    table = Liveness(10, START)
    for n, aic in enumerate(AICS):
        table.beat(aic, START + timedelta(seconds=n))
    assert len(table) == len(AICS)
    later = START + timedelta(seconds=100)
    table.beat("fresh", later)  # a beat past the next forgetting time forgets the stale
    assert len(table) == 1
    assert "fresh" in table
    table.beat("other", later + timedelta(seconds=1))
    assert len(table) == 2


def test_alive_exactly_at_the_limit_and_stale_just_after() -> None:
    table = Liveness(30, START)
    beat_at = START + timedelta(seconds=40)
    until = table.beat(AICS[0], beat_at)
    assert until == beat_at + timedelta(seconds=30)
    assert table.alive(AICS[0], until)  # at L + S: alive [DSC-LIV-004]
    assert not table.alive(AICS[0], until + TICK)  # a microsecond later: stale [DSC-LIV-005]


def test_grace_period_for_agents_never_seen() -> None:
    table = Liveness(30, START)
    end = START + timedelta(seconds=30)
    assert table.alive(AICS[1], START)
    assert table.alive(AICS[1], end)  # grace: alive for one S after the start [DSC-LIV-004]
    assert not table.alive(AICS[1], end + TICK)
    table.beat(AICS[1], end + timedelta(seconds=5))  # a first sign of life lists it again
    assert table.alive(AICS[1], end + timedelta(seconds=35))


def test_a_clock_stepping_back_stands_still() -> None:
    table = Liveness(30, START)
    table.beat(AICS[0], START + timedelta(seconds=100))
    # stepped back an hour: the table still sees t = 100 s, so nothing revives or expires
    back = START - timedelta(hours=1)
    assert table.alive(AICS[0], back)
    assert not table.alive(AICS[1], back)  # never seen: its grace ended at 30 s
    assert table.beat(AICS[1], back) == START + timedelta(seconds=130)


def test_beats_are_per_aic() -> None:
    table = Liveness(5, START)
    table.beat(AICS[0], START + timedelta(seconds=10))
    assert table.alive(AICS[0], START + timedelta(seconds=12))
    assert not table.alive(AICS[1], START + timedelta(seconds=12))  # one AIC's beat is its own


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, 1e-9])
def test_bad_limits_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="stale_after"):
        Liveness(bad, START)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Liveness(30, datetime(2026, 11, 22))  # naive: the point of the test
    table = Liveness(30, START)
    with pytest.raises(ValueError, match="timezone"):
        table.alive(AICS[0], datetime(2026, 11, 22))
    assert table.stale_after == timedelta(seconds=30)
    assert table.started == START
