"""Who reads what: a pure allocation of live readings (R1, R2) to graders.

Each response needs READINGS_PER_RESPONSE readings by different graders, never by a grader with a
declared conflict with its candidate, and never pushing a grader past their stated capacity.
Among the graders who may take a reading, the one with the lowest load relative to capacity gets
it, so work spreads in proportion to what each volunteer offered.
"""

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

READINGS_PER_RESPONSE = 2
SLOTS = ("R1", "R2")


@dataclass(frozen=True)
class Need:
    """A response waiting for readings, with its candidate (only ever used for conflicts)."""

    response: int
    candidate: int


@dataclass(frozen=True)
class Assignment:
    response: int
    grader: int
    slot: str


def allocate(
    responses: Sequence[Need],
    graders: Sequence[int],
    conflicts: Collection[tuple[int, int]],
    capacities: Mapping[int, int],
    existing: Iterable[tuple[int, int]],
) -> list[Assignment]:
    """New assignments for the responses, in their priority order.

    `conflicts` holds (grader, candidate) pairs; `existing` holds (response, grader) pairs of
    live readings already handed out that count towards a grader's load.
    """
    load: Counter[int] = Counter()
    readers: dict[int, set[int]] = defaultdict(set)
    for response, grader in existing:
        load[grader] += 1
        readers[response].add(grader)
    order = {grader: n for n, grader in enumerate(graders)}
    assignments = []
    for need in responses:
        while len(readers[need.response]) < READINGS_PER_RESPONSE:
            grader = _least_loaded(need, graders, conflicts, capacities, load, readers, order)
            if grader is None:
                break
            slot = SLOTS[len(readers[need.response])]
            assignments.append(Assignment(need.response, grader, slot))
            load[grader] += 1
            readers[need.response].add(grader)
    return assignments


def _least_loaded(need, graders, conflicts, capacities, load, readers, order) -> int | None:
    eligible = [
        g
        for g in graders
        if g not in readers[need.response]
        and (g, need.candidate) not in conflicts
        and load[g] < capacities.get(g, 0)
    ]
    if not eligible:
        return None
    return min(eligible, key=lambda g: (load[g] / capacities[g], load[g], order[g]))
