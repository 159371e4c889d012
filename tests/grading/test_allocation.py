"""Property tests for allocation at ask time: graders arrive in random orders with random
capacities and conflicts over 60 responses. Nobody is refused while work they may read waits;
every response ends with two readings by different, non-conflicted graders; and reading shares
follow capacity shares when the committed capacity covers the work."""

import random
from collections import Counter

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.grading.allocation import (
    READINGS_PER_RESPONSE,
    Outlook,
    Standing,
    Waiting,
    choose,
    may_read,
    slot_for,
)

RESPONSES = 60


@st.composite
def rounds(draw):
    graders = list(range(1, draw(st.integers(2, 6)) + 1))
    capacities = {g: draw(st.integers(1, 80)) for g in graders}
    candidates = list(range(100, 100 + RESPONSES // 2))
    conflicts = set(
        draw(st.lists(st.tuples(st.sampled_from(graders), st.sampled_from(candidates)), max_size=8))
    )
    return graders, capacities, conflicts, draw(st.randoms(use_true_random=False))


class Pool:
    """The round in memory: responses, who read them, and every grader's asks."""

    def __init__(self, graders, capacities, conflicts, rng: random.Random):
        self.capacities, self.conflicts = capacities, conflicts
        # two responses per candidate, arriving in a random order
        arrivals = rng.sample(range(RESPONSES), RESPONSES)
        self.waiting = {
            n: Waiting(n, 100 + n // 2, frozenset(), float(arrivals[n])) for n in range(RESPONSES)
        }
        self.taken: Counter[int] = Counter()
        self.readings: list[tuple[int, int, str]] = []
        self.clock = float(RESPONSES)

    def options(self, grader):
        return [w for w in self.waiting.values() if may_read(grader, w, self.conflicts)]

    def standing(self, grader) -> Standing:
        return Standing(
            self.taken[grader],
            self.capacities[grader],
            sum(self.taken.values()),
            sum(self.capacities.values()),
        )

    def outlook(self) -> Outlook:
        half_read = Counter(next(iter(w.readers)) for w in self.waiting.values() if w.readers)
        unread = sum(not w.readers for w in self.waiting.values())
        remaining = {g: self.capacities[g] - self.taken[g] for g in self.capacities}
        return Outlook(unread, half_read, remaining)

    def ask(self, grader) -> bool:
        """One press of Next; asserts a refusal is only ever for want of work or capacity."""
        self.clock += 1
        options, standing = self.options(grader), self.standing(grader)
        chosen = choose(options, standing, self.outlook(), grader)
        if chosen is None:
            assert not options or not standing.under_capacity, "refused while work waits"
            return False
        self.readings.append((chosen.response, grader, slot_for(chosen)))
        self.taken[grader] += 1
        readers = chosen.readers | {grader}
        self.waiting[chosen.response] = Waiting(
            chosen.response, chosen.candidate, readers, chosen.since
        )
        if len(readers) == READINGS_PER_RESPONSE:
            del self.waiting[chosen.response]
        return True


def _paced_asks(graders, capacities, rng):
    """Each grader comes back capacity times over the round at their own pace, jittered."""
    asks = []
    for grader in graders:
        start = rng.random()
        for k in range(capacities[grader]):
            asks.append(((k + start) / capacities[grader], grader))
    return [grader for _, grader in sorted(asks)]


def _run(graders, capacities, conflicts, rng) -> Pool:
    pool = Pool(graders, capacities, conflicts, rng)
    for grader in _paced_asks(graders, capacities, rng):
        pool.ask(grader)
    # whoever still has capacity keeps coming back until nobody can take anything
    while any([pool.ask(g) for g in rng.sample(graders, len(graders))]):
        pass
    return pool


@settings(max_examples=200, deadline=None)
@given(rounds())
def test_never_refused_and_every_reading_is_allowed(situation):
    graders, capacities, conflicts, rng = situation
    pool = _run(graders, capacities, conflicts, rng)  # asserts at every refusal
    pairs = [(response, grader) for response, grader, _ in pool.readings]
    assert len(pairs) == len(set(pairs)), "one grader read a response twice"
    assert all((g, 100 + r // 2) not in conflicts for r, g in pairs)
    assert all(pool.taken[g] <= capacities[g] for g in graders)
    slots = Counter((response, slot) for response, _, slot in pool.readings)
    assert max(slots.values(), default=1) == 1
    # what is left undone, nobody under capacity may do
    for waiting in pool.waiting.values():
        assert not [
            g for g in graders if pool.taken[g] < capacities[g] and may_read(g, waiting, conflicts)
        ]


def _usable(grader, capacities, conflicts) -> int:
    # one grader reads a response once: capacity past the responses they may read is unusable
    allowed = sum((grader, 100 + n // 2) not in conflicts for n in range(RESPONSES))
    return min(capacities[grader], allowed)


def _covers(graders, capacities, conflicts) -> bool:
    """Usable capacity covers the work. The look-ahead counts capacity, not conflicts, so where
    conflicts narrow who may read a candidate this asks for headroom: 10 % more capacity plus
    two readings per response of a conflicted candidate, and for each candidate enough graders
    free to read them even without the one who reads most."""
    usable = sum(_usable(g, capacities, conflicts) for g in graders)
    need = READINGS_PER_RESPONSE * RESPONSES
    conflicted = {c for _, c in conflicts}
    if conflicted:
        need = need * 11 // 10 + 2 * READINGS_PER_RESPONSE * len(conflicted)
    if usable < need:
        return False
    per_candidate = READINGS_PER_RESPONSE  # responses per candidate; each read once by a grader
    for c in range(100, 100 + RESPONSES // 2):
        free = sorted(min(capacities[g], per_candidate) for g in graders if (g, c) not in conflicts)
        spare = free[:-1] if c in conflicted else free
        if sum(spare) < READINGS_PER_RESPONSE * per_candidate:
            return False
    return True


@settings(max_examples=200, deadline=None)
@given(rounds())
def test_work_is_done_in_capacity_shares_when_capacity_covers_it(situation):
    graders, capacities, conflicts, rng = situation
    assume(_covers(graders, capacities, conflicts))
    pool = _run(graders, capacities, conflicts, rng)
    assert not pool.waiting, "a response did not get its two readings"
    readers = {}
    for response, grader, _ in pool.readings:
        readers.setdefault(response, set()).add(grader)
    assert all(len(r) == READINGS_PER_RESPONSE for r in readers.values())
    usable = {g: _usable(g, capacities, conflicts) for g in graders}
    total, committed = len(pool.readings), sum(usable.values())
    for grader in graders:
        share, target = pool.taken[grader] / total, usable[grader] / committed
        assert abs(share - target) <= 0.10, (grader, share, target)


@settings(max_examples=100, deadline=None)
@given(rounds(), st.data())
def test_a_grader_alone_takes_every_first_reading_they_may(situation, data):
    graders, capacities, conflicts, rng = situation
    pool = Pool(graders, capacities, conflicts, rng)
    alone = data.draw(st.sampled_from(graders))
    while pool.ask(alone):
        pass
    allowed = sum((alone, 100 + n // 2) not in conflicts for n in range(RESPONSES))
    assert pool.taken[alone] == min(allowed, capacities[alone])


def test_oldest_waiting_first_and_steering_by_share():
    first_old = Waiting(1, 10, frozenset(), 1.0)
    first_new = Waiting(2, 11, frozenset(), 5.0)
    second_old = Waiting(3, 12, frozenset({9}), 3.0)
    second_new = Waiting(4, 13, frozenset({9}), 4.0)
    options = [first_new, second_new, first_old, second_old]
    on_share = Standing(taken=5, capacity=10, team_taken=10, team_capacity=20)
    below = Standing(taken=1, capacity=10, team_taken=10, team_capacity=20)
    above = Standing(taken=8, capacity=10, team_taken=10, team_capacity=20)
    assert choose(options, on_share) == first_old  # simply the oldest
    assert choose(options[:2] + [second_old], on_share) == second_old
    # below their share: they stay longest, so they close pairs others opened
    assert choose(options, below) == second_old
    # above it: they open pairs for those who stay to close
    assert choose(options, above) == first_old
    assert choose([second_old, second_new], above) == second_old
    # with only one kind waiting, it is handed out all the same
    assert choose([first_new], above) == first_new
    assert choose(options, Standing(10, 10, 10, 20)) is None
