"""Property tests for allocation: two different readers, no conflicts, load within capacity."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from app.grading.allocation import READINGS_PER_RESPONSE, Assignment, Need, allocate


@st.composite
def situations(draw):
    graders = draw(st.lists(st.integers(1, 30), min_size=0, max_size=6, unique=True))
    candidates = draw(st.lists(st.integers(100, 140), min_size=1, max_size=8, unique=True))
    responses = [
        Need(response, draw(st.sampled_from(candidates)))
        for response in draw(st.lists(st.integers(1000, 1100), max_size=25, unique=True))
    ]
    capacities = {g: draw(st.integers(0, 12)) for g in graders}
    conflicts = set(
        draw(st.lists(st.tuples(st.sampled_from(graders), st.sampled_from(candidates)), max_size=8))
        if graders
        else []
    )
    # readings already handed out: each response at most two distinct graders, within capacity
    existing, load = [], Counter()
    for need in responses:
        for grader in (
            draw(st.lists(st.sampled_from(graders), max_size=2, unique=True)) if graders else []
        ):
            if load[grader] < capacities[grader] and (grader, need.candidate) not in conflicts:
                existing.append((need.response, grader))
                load[grader] += 1
    return responses, graders, conflicts, capacities, existing


def _run(situation):
    responses, graders, conflicts, capacities, existing = situation
    return allocate(responses, graders, conflicts, capacities, existing)


@settings(max_examples=300, deadline=None)
@given(situations())
def test_never_two_readings_of_one_response_by_one_grader(situation):
    responses, _graders, _conflicts, _capacities, existing = situation
    pairs = existing + [(a.response, a.grader) for a in _run(situation)]
    assert len(pairs) == len(set(pairs))
    per_response = Counter(response for response, _ in pairs)
    assert all(count <= READINGS_PER_RESPONSE for count in per_response.values())


@settings(max_examples=300, deadline=None)
@given(situations())
def test_never_a_conflict(situation):
    responses, _graders, conflicts, _capacities, _existing = situation
    candidate = {n.response: n.candidate for n in responses}
    assert all((a.grader, candidate[a.response]) not in conflicts for a in _run(situation))


@settings(max_examples=300, deadline=None)
@given(situations())
def test_load_within_capacity(situation):
    _responses, graders, _conflicts, capacities, existing = situation
    assignments = _run(situation)
    load = Counter(g for _, g in existing) + Counter(a.grader for a in assignments)
    assert all(load[g] <= capacities[g] for g in graders)
    assert all(a.grader in graders for a in assignments)


@settings(max_examples=300, deadline=None)
@given(situations())
def test_nothing_left_undone_that_someone_could_do(situation):
    responses, graders, conflicts, capacities, existing = situation
    assignments = _run(situation)
    load = Counter(g for _, g in existing) + Counter(a.grader for a in assignments)
    readers = {}
    for response, grader in existing + [(a.response, a.grader) for a in assignments]:
        readers.setdefault(response, set()).add(grader)
    for need in responses:
        if len(readers.get(need.response, ())) < READINGS_PER_RESPONSE:
            assert not [
                g
                for g in graders
                if g not in readers.get(need.response, set())
                and (g, need.candidate) not in conflicts
                and load[g] < capacities[g]
            ]


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 6), st.integers(0, 40))
def test_equal_capacities_spread_evenly(grader_count, response_count):
    graders = list(range(1, grader_count + 1))
    responses = [Need(1000 + n, 100 + n) for n in range(response_count)]
    assignments = allocate(responses, graders, set(), dict.fromkeys(graders, 1000), [])
    counts = Counter(a.grader for a in assignments)
    assert len(assignments) == READINGS_PER_RESPONSE * response_count
    assert max(counts[g] for g in graders) - min(counts[g] for g in graders) <= 1


def test_capacity_shares_work_in_proportion():
    responses = [Need(n, 500 + n) for n in range(30)]
    half = allocate(responses, [1, 2, 3], set(), {1: 20, 2: 40, 3: 60}, [])
    counts = Counter(a.grader for a in half)
    assert sum(counts.values()) == 60
    assert all(abs(counts[g] - share) <= 1 for g, share in {1: 10, 2: 20, 3: 30}.items())


def test_slots_follow_existing_readings():
    assignments = allocate([Need(7, 70)], [1, 2], set(), {1: 5, 2: 5}, [(7, 1)])
    assert assignments == [Assignment(7, 2, "R2")]
