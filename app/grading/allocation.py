"""Who reads what, decided when a grader asks: a pure rule, tested on its own.

Each response needs READINGS_PER_RESPONSE live readings by different graders, never by one with
a declared conflict with its candidate. Nothing is planned ahead or reserved for a grader who is
not there: when a grader under capacity asks, they get a response they may read whenever one
waits (work-conserving). Which one:

- responses waiting longest come first (a response waits from its arrival until it is final, so
  half-read responses, usually the oldest, are finished first and results come sooner);
- steering toward capacity shares: a grader far below their share of the round's readings (their
  share of the committed capacity) gets first readings, opening new pairs; one above it gets
  second readings of the oldest half-read responses, so late in the round no work is left that
  only some graders may take.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

READINGS_PER_RESPONSE = 2
SLOTS = ("R1", "R2")
#: "far below" their share: fewer than this fraction of the readings their capacity share implies
FAR_BELOW = 0.8


@dataclass(frozen=True)
class Waiting:
    """A response waiting for a reading: who holds readings of it, and since when it waits."""

    response: int
    candidate: int
    readers: frozenset[int]
    since: datetime | float


@dataclass(frozen=True)
class Standing:
    """A grader's readings in the round against their capacity, and the team's totals."""

    taken: int
    capacity: int
    team_taken: int
    team_capacity: int

    @property
    def under_capacity(self) -> bool:
        return self.taken < self.capacity

    @property
    def expected(self) -> float:
        """The readings this grader would have taken so far at their capacity share."""
        if self.team_capacity <= 0:
            return 0.0
        return self.capacity * self.team_taken / self.team_capacity

    @property
    def far_below_share(self) -> bool:
        return self.taken + 1 <= FAR_BELOW * self.expected

    @property
    def above_share(self) -> bool:
        return self.taken > self.expected


def may_read(grader: int, waiting: Waiting, conflicts: Collection[tuple[int, int]]) -> bool:
    """Not yet read by this grader, still short of two readings, and no declared conflict."""
    return (
        len(waiting.readers) < READINGS_PER_RESPONSE
        and grader not in waiting.readers
        and (grader, waiting.candidate) not in conflicts
    )


def choose(options: Iterable[Waiting], standing: Standing) -> Waiting | None:
    """The response to hand out from those the grader may read; None only when there is none
    or the grader has taken every reading they committed to."""
    if not standing.under_capacity:
        return None
    if standing.far_below_share:
        preferred = "first"
    elif standing.above_share:
        preferred = "second"
    else:
        preferred = None

    def rank(waiting: Waiting):
        kind = "second" if waiting.readers else "first"
        return (preferred is not None and kind != preferred, waiting.since, waiting.response)

    return min(options, key=rank, default=None)


def slot_for(waiting: Waiting) -> str:
    return SLOTS[len(waiting.readers)]
