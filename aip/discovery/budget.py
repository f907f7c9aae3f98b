"""Fan-out and time budgets of discovery forwarding (spec Part 8, topic DSC-FWD).

Pure arithmetic, no I/O and no clock: elapsed time is a parameter.  A node that received
``forwardFanoutRemaining = R`` and wants to launch ``b`` branches calls :func:`split_budget`
to learn what each child may still spend; :func:`time_allows` and :func:`branch_timeout_ms`
say whether there is time left to forward at all and how long to wait for one branch.
:func:`aip.discovery.forwarding.plan` combines both with the depth and trust rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from aip.errors import Code, DiscoveryError

__all__ = ["branch_timeout_ms", "remaining_ms", "split_budget", "time_allows"]


def _fanout_exceeded(remaining: int, branches: int) -> DiscoveryError:
    return DiscoveryError(
        Code.FORWARD_FANOUT_EXCEEDED,
        "the fan-out budget is smaller than the number of branches",
        data={"availableBudget": remaining, "requiredBranches": branches},
    )


def split_budget(remaining: int, branches: int, weights: Sequence[int] | None = None) -> list[int]:
    """The ``forwardFanoutRemaining`` of each of ``branches`` children [DSC-FWD-015].

    Each branch costs one unit, so ``remaining`` must be at least ``branches``; the other
    ``remaining - branches`` units are shared out and the result always sums to exactly that.
    Without ``weights`` the share is equal and the indivisible rest goes one unit each to the
    *last* branches (R=4, b=3 gives ``[0, 0, 1]``).  With ``weights`` (non-negative integers,
    one per branch, not all zero) each child first gets ``floor(share * w / sum(w))`` and the
    rest goes one unit each to the heaviest branches, a later branch first among equal weights,
    so equal weights give exactly the unweighted split.  All-zero weights mean equal weights.

    Zero branches give ``[]``.  Raises :class:`~aip.errors.DiscoveryError`
    FORWARD_FANOUT_EXCEEDED (50804) with ``data = {availableBudget, requiredBranches}`` exactly
    when ``remaining < branches``.  A negative ``branches`` or a malformed ``weights`` is a
    programming error (``ValueError``).
    """
    if isinstance(branches, bool) or not isinstance(branches, int) or branches < 0:
        raise ValueError("branches must be a non-negative integer")
    if isinstance(remaining, bool) or not isinstance(remaining, int):
        raise ValueError("remaining must be an integer")
    if remaining < branches:
        raise _fanout_exceeded(remaining, branches)
    if branches == 0:
        return []
    share = remaining - branches
    if weights is None or not any(weights):
        if weights is not None and len(weights) != branches:
            raise ValueError("one weight per branch")
        base, rest = divmod(share, branches)
        return [base + (1 if i >= branches - rest else 0) for i in range(branches)]
    if len(weights) != branches:
        raise ValueError("one weight per branch")
    if any(isinstance(w, bool) or not isinstance(w, int) or w < 0 for w in weights):
        raise ValueError("weights must be non-negative integers")
    total = sum(weights)
    out = [share * w // total for w in weights]
    rest = share - sum(out)  # < the number of positive weights, so zero weights get nothing
    order = sorted(range(branches), key=lambda i: (-weights[i], -i))
    for i in order[:rest]:
        out[i] += 1
    return out


def remaining_ms(total_timeout_ms: int, elapsed_ms: int) -> int:
    """What is left of the total time budget after ``elapsed_ms`` at this node, never below 0.

    This is the ``forwardTotalTimeoutMs`` a forwarded request carries [DSC-FWD-017].
    """
    return max(0, total_timeout_ms - max(0, elapsed_ms))


def time_allows(total_timeout_ms: int, each_timeout_ms: int, elapsed_ms: int) -> bool:
    """True if a node may still forward: what is left is at least one hop's timeout.

    ADP: stop forwarding when the remaining total is below ``forwardEachTimeoutMs``
    [DSC-FWD-017].
    """
    return remaining_ms(total_timeout_ms, elapsed_ms) >= each_timeout_ms


def branch_timeout_ms(total_timeout_ms: int, each_timeout_ms: int, elapsed_ms: int) -> int:
    """How long to wait for one branch: the per-hop timeout, cut to what is left in total.

    A branch that has not answered by then is recorded with route status ``timeout``
    [DSC-FWD-017].
    """
    return min(each_timeout_ms, remaining_ms(total_timeout_ms, elapsed_ms))
