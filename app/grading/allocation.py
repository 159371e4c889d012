"""Who reads what, decided when a grader asks: a pure rule, tested on its own.

Each response needs READINGS_PER_RESPONSE live readings by different graders, never by one with
a declared conflict with its candidate. Nothing is planned ahead or reserved for a grader who is
not there: when a grader under capacity asks, they get a response they may read whenever one
waits (work-conserving). Which one:

- responses waiting longest come first (a response waits from its arrival until it is final, so
  half-read responses, usually the oldest, are finished first and results come sooner);
- steering toward capacity shares: a grader below their share of the round's readings (their
  share of the committed capacity) will still be reading when others have stopped, so they get
  second readings, closing pairs opened by others; a grader above their share will stop sooner,
  so they get first readings, opening pairs that those who stay can close. The other way round
  (the first idea in the issue) leaves the last responses half-read by the very grader who is
  still there, who may not read them twice: a three-grader turn-taking test lost 3 of 40
  readings that way;
- and a one-step look ahead: of the two kinds, the one that keeps the rest of the round
  feasible with the capacity left (each grader reads a response once) is taken. Greedy choices
  alone fail when capacity just covers the work.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

READINGS_PER_RESPONSE = 2
SLOTS = ("R1", "R2")
#: "below" their share: fewer than this fraction of the readings their capacity share implies
BELOW = 0.9


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
    def below_share(self) -> bool:
        return self.taken + 1 <= BELOW * self.expected

    @property
    def above_share(self) -> bool:
        return self.taken > self.expected


@dataclass(frozen=True)
class Outlook:
    """The rest of the round in numbers: responses with no reading yet, responses half-read by
    each grader, and each eligible grader's capacity left."""

    unread: int
    half_read: Mapping[int, int]
    remaining: Mapping[int, int]

    def feasible(self) -> bool:
        """Can the capacity left still give every response its readings? Each grader may read
        an unread response or one half-read by someone else, each at most once."""
        half = sum(self.half_read.values())
        need = READINGS_PER_RESPONSE * self.unread + half
        can = sum(
            min(left, self.unread + half - self.half_read.get(g, 0))
            for g, left in self.remaining.items()
        )
        return can >= need

    def after(self, grader: int, waiting: Waiting) -> "Outlook":
        """The outlook once the grader has taken a reading of this response."""
        half_read, remaining = dict(self.half_read), dict(self.remaining)
        remaining[grader] = remaining.get(grader, 0) - 1
        unread = self.unread
        if waiting.readers:
            for holder in waiting.readers:
                half_read[holder] = half_read.get(holder, 0) - 1
        else:
            unread -= 1
            half_read[grader] = half_read.get(grader, 0) + 1
        return Outlook(unread, half_read, remaining)


def may_read(grader: int, waiting: Waiting, conflicts: Collection[tuple[int, int]]) -> bool:
    """Not yet read by this grader, still short of two readings, and no declared conflict."""
    return (
        len(waiting.readers) < READINGS_PER_RESPONSE
        and grader not in waiting.readers
        and (grader, waiting.candidate) not in conflicts
    )


def choose(
    options: Iterable[Waiting],
    standing: Standing,
    outlook: Outlook | None = None,
    grader: int | None = None,
) -> Waiting | None:
    """The response to hand out from those the grader may read; None only when there is none
    or the grader has taken every reading they committed to."""
    if not standing.under_capacity:
        return None
    if standing.below_share:
        preferred = "second"
    elif standing.above_share:
        preferred = "first"
    else:
        preferred = None

    def rank(waiting: Waiting):
        kind = "second" if waiting.readers else "first"
        keeps_feasible = outlook is None or outlook.after(grader, waiting).feasible()
        return (
            not keeps_feasible,
            preferred is not None and kind != preferred,
            waiting.since,
            waiting.response,
        )

    return min(options, key=rank, default=None)


def slot_for(waiting: Waiting) -> str:
    return SLOTS[len(waiting.readers)]
