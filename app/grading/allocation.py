"""Who reads what, decided when a grader asks: a pure rule, tested on its own.

Each response needs READINGS_PER_RESPONSE live readings by different graders, never by one with
a declared conflict with its candidate. Nothing is planned ahead or reserved for a grader who is
not there: when a grader under capacity asks, they get a response they may read whenever one
waits (work-conserving). Which one:

- responses waiting longest come first (a first reading waits from its arrival, a second reading
  from the moment the first was handed out);
- steering toward capacity shares: a grader whose share of the round's readings so far is at or
  below their share of the committed capacity gets first readings (opening new pairs); one above
  it gets second readings of the oldest half-read responses (closing pairs, so results come
  sooner and the late rounds do not leave work that only some graders may take).
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

READINGS_PER_RESPONSE = 2
SLOTS = ("R1", "R2")


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
    def at_or_below_share(self) -> bool:
        # taken / team_taken <= capacity / team_capacity, without dividing by zero
        return self.taken * self.team_capacity <= self.capacity * self.team_taken


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
    want_first = standing.at_or_below_share

    def rank(waiting: Waiting):
        is_first = not waiting.readers
        return (is_first != want_first, waiting.since, waiting.response)

    return min(options, key=rank, default=None)


def slot_for(waiting: Waiting) -> str:
    return SLOTS[len(waiting.readers)]
