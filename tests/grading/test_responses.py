"""Responses from closed Part Two attempts, and the database's own guards on grading rows."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.grading import services
from app.grading.errors import GradingError
from app.models import (
    Answer,
    Attempt,
    AuditEvent,
    Conflict,
    GraderProfile,
    Reading,
    Resolution,
    Response,
    Result,
)
from tests.grading import factories
from tests.grading.factories import NOW


def _attempt(app, create_user_, texts, **changes):
    candidate = create_user_("candidate")
    with app.app_context():
        attempt = factories.closed_attempt(candidate.id, factories.sitting(), texts)
        for key, value in changes.items():
            setattr(attempt, key, value)
        db.session.commit()
        return attempt.id


def test_one_response_per_chosen_answered_vignette_and_idempotent(app, create_user_):
    attempt_id = _attempt(app, create_user_, ["First essay.", "   "])
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        third = attempt.form.vignettes[2]
        attempt.answers.append(Answer(vignette_id=third.id, value="Not chosen", chosen=False))
        db.session.flush()
        made = services.create_responses(attempt, NOW)
        again = services.create_responses(attempt, NOW)
        db.session.commit()
        assert len(made) == 1 and [r.id for r in again] == [made[0].id]
        assert made[0].text == "First essay." and len(made[0].code) >= 12
        assert db.session.scalar(select(Result)) is None
        assert services.create_missing_responses(NOW) == 0


def test_answers_saved_after_the_collection_was_loaded_still_count(app, create_user_):
    attempt_id = _attempt(app, create_user_, [])
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.answers == []  # loaded now; the save below does not touch it
        vignette = attempt.form.vignettes[1]
        db.session.add(
            Answer(attempt_id=attempt.id, vignette_id=vignette.id, value="Late save", chosen=True)
        )
        made = services.create_responses(attempt, NOW)
        assert [r.vignette_id for r in made] == [vignette.id]


def test_codes_are_random_not_sequential(app, create_user_):
    codes = set()
    for _ in range(3):
        attempt_id = _attempt(app, create_user_, ["a", "b"])
        with app.app_context():
            made = services.create_responses(db.session.get(Attempt, attempt_id), NOW)
            db.session.commit()
            codes |= {r.code for r in made}
    assert len(codes) == 6
    assert not any(code.isdigit() for code in codes)


def test_open_attempt_is_refused_and_void_makes_nothing(app, create_user_):
    open_id = _attempt(
        app,
        create_user_,
        ["x"],
        submitted_at=None,
        submit_reason=None,
        deadline_at=NOW + timedelta(minutes=5),
    )
    void_id = _attempt(app, create_user_, ["x"], submit_reason="void")
    with app.app_context():
        with pytest.raises(GradingError) as refused:
            services.create_responses(db.session.get(Attempt, open_id), NOW)
        assert refused.value.status == 409
        assert services.create_responses(db.session.get(Attempt, void_id), NOW) == []


def test_an_expired_unsubmitted_attempt_counts_as_closed(app, create_user_):
    expired_id = _attempt(
        app,
        create_user_,
        ["late"],
        submitted_at=None,
        submit_reason=None,
        deadline_at=NOW - timedelta(minutes=1),
    )
    with app.app_context():
        assert services.create_missing_responses(NOW) == 1
        db.session.commit()
        assert db.session.scalar(select(Response.attempt_id)) == expired_id


def test_a_blank_part_two_is_final_at_once_and_fails(app, create_user_):
    attempt_id = _attempt(app, create_user_, [" ", ""])
    with app.app_context():
        assert services.create_responses(db.session.get(Attempt, attempt_id), NOW) == []
        db.session.commit()
        result = db.session.scalar(select(Result))
        assert result.part == "VIGNETTE" and not result.passed and result.score == 3
        assert result.domain_scores["REFL"]["responses"] == 0
        assert "result.computed" in set(db.session.scalars(select(AuditEvent.action)))


def _response(app, create_user_):
    attempt_id = _attempt(app, create_user_, ["Essay."])
    grader = create_user_("grader")
    with app.app_context():
        response = services.create_responses(db.session.get(Attempt, attempt_id), NOW)[0]
        db.session.commit()
        return (
            response.id,
            grader.id,
            response.attempt.form.rubric_id,
            response.attempt.seat.candidate_id,
        )


def _reading(response_id, grader_id, rubric_id, **kw):
    return Reading(
        response_id=response_id,
        grader_id=grader_id,
        rubric_id=rubric_id,
        **{"slot": "R1", "started_at": NOW} | kw,
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"slot": "R1"}, {"slot": "R2"}),  # one grader, two live readings of one response
        ({"slot": "CALIB", "calibration_round": 1}, {"slot": "CALIB", "calibration_round": 1}),
        ({"slot": "R1"}, {"slot": "R1", "other_grader": True}),  # two R1s of one response
        ({"slot": "R1", "calibration_round": 1}, None),  # a round on a live reading
        ({"slot": "CALIB", "calibration_round": 0}, None),  # calibration without a round
        ({"slot": "R3"}, None),
        ({"slot": "R1", "submitted_at": NOW - timedelta(hours=1)}, None),
    ],
)
def test_reading_constraints(app, create_user_, first, second):
    response_id, grader_id, rubric_id, _ = _response(app, create_user_)
    other = create_user_("grader").id
    with app.app_context(), pytest.raises(IntegrityError):
        db.session.add(_reading(response_id, grader_id, rubric_id, **first))
        db.session.flush()
        if second is not None:
            who = other if second.pop("other_grader", False) else grader_id
            db.session.add(_reading(response_id, who, rubric_id, **second))
            db.session.flush()
    with app.app_context():
        db.session.rollback()


def test_calibration_rounds_may_repeat_a_response(app, create_user_):
    response_id, grader_id, rubric_id, _ = _response(app, create_user_)
    with app.app_context():
        for round_ in (1, 2):
            db.session.add(
                _reading(response_id, grader_id, rubric_id, slot="CALIB", calibration_round=round_)
            )
        db.session.commit()
        assert len(list(db.session.scalars(select(Reading)))) == 2


@pytest.mark.parametrize(
    "build",
    [
        lambda ids: Conflict(
            grader_id=ids[1], candidate_id=ids[1], declared_by_id=ids[1], source="grader"
        ),
        lambda ids: Conflict(
            grader_id=ids[1], candidate_id=ids[3], declared_by_id=ids[1], source="rumour"
        ),
        lambda ids: GraderProfile(user_id=ids[1], capacity=-1),
        lambda ids: Resolution(
            response_id=ids[0], rule="adjacent_mean", needs_adjudication=False, resolved_at=None
        ),
    ],
)
def test_other_constraints(app, create_user_, build):
    ids = _response(app, create_user_)
    with app.app_context(), pytest.raises(IntegrityError):
        db.session.add(build(ids))
        db.session.flush()
    with app.app_context():
        db.session.rollback()


def test_readers_never_exceed_two(app, create_user_):
    response_id, *_ = _response(app, create_user_)
    with app.app_context(), pytest.raises(IntegrityError):
        db.session.get(Response, response_id).readers = 3
        db.session.flush()
