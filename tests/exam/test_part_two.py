"""Part Two through the Flask client: choose k of n, essay autosave, escaping, submit."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.bank.importer import import_bank
from app.bank.loader import read_bank
from app.exam import services
from app.extensions import db
from app.models import Answer, Attempt, ExamWindow, Seat, Sitting, SittingForm, User
from tests.conftest import ROOT, csrf_from, sign_in


@pytest.fixture
def part_two_seat(app, create_user_):
    """A candidate whose Part One is submitted, ready for Part Two: (user, seat_id)."""
    user = create_user_("candidate", tracks=["IMH-SPECIALIST"])
    with app.app_context():
        import_bank(read_bank(ROOT / "question_bank"))
        now = datetime.now(UTC)
        sitting = Sitting(
            window=ExamWindow(
                name="W", opens_on=now.date(), closes_on=now.date() + timedelta(days=9)
            ),
            name="S",
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=5),
            forms=[
                SittingForm(form_code="IMH-P1-SAMPLE"),
                SittingForm(form_code="IMH-SPECIALIST-P2-SAMPLE"),
            ],
        )
        seat = Seat(
            sitting=sitting,
            candidate=db.session.get(User, user.id),
            track="IMH-SPECIALIST",
            admitted_at=now,
        )
        db.session.add(seat)
        db.session.flush()
        services.finalise(services.start_attempt(seat, "MC", now), now, "candidate")
        db.session.commit()
        return user, seat.id


def start_part_two(client, seat_id):
    page = client.get(f"/exam/seat/{seat_id}/VIGNETTE")
    assert "write responses to" in page.text or "vignettes are offered" in page.text
    response = client.post(
        f"/exam/seat/{seat_id}/VIGNETTE/start", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302, response.text
    public_id = response.headers["Location"].rsplit("/", 1)[-1]
    html = client.get(f"/exam/attempt/{public_id}").text
    client_token = re.search(r'data-client="([^"]+)"', html).group(1)
    vignettes = [int(v) for v in re.findall(r'name="vignette" value="(\d+)"', html)]
    return public_id, html, client_token, vignettes


def save_essay(client, public_id, token, vignette, text, chosen, seq, ct):
    return client.post(
        f"/exam/attempt/{public_id}/save",
        data={
            "vignette": vignette,
            "text": text,
            "chosen": "1" if chosen else "",
            "seq": seq,
            "client": ct,
        },
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )


def test_part_two_waits_for_part_one(app, client, create_user_, exam_seat):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    assert (
        "Part Two opens when Part One is submitted"
        in client.get(f"/exam/seat/{seat_id}/VIGNETTE").text
    )


def test_essays_autosave_as_typed_and_render_escaped(app, client, part_two_seat):
    user, seat_id = part_two_seat
    sign_in(client, user.email)
    public_id, html, ct, vignettes = start_part_two(client, seat_id)
    assert len(vignettes) == 3
    token = csrf_from(html)
    essay = "Line one <script>alert('x')</script>\n\n  indented & “quoted”"
    assert save_essay(client, public_id, token, vignettes[0], essay, True, 1, ct).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Answer.value)) == essay  # stored exactly as typed
    page = client.get(f"/exam/attempt/{public_id}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_choosing_more_than_k_is_refused(app, client, part_two_seat):
    user, seat_id = part_two_seat
    sign_in(client, user.email)
    public_id, html, ct, (v1, v2, v3) = start_part_two(client, seat_id)
    token = csrf_from(html)
    assert save_essay(client, public_id, token, v1, "a", True, 1, ct).status_code == 200
    assert save_essay(client, public_id, token, v2, "b", True, 2, ct).status_code == 200
    third = save_essay(client, public_id, token, v3, "c", True, 3, ct)
    assert third.status_code == 422 and "answer 2 of 3" in third.text
    # changing the choice is allowed: set one aside, then choose the third
    assert save_essay(client, public_id, token, v1, "a", False, 4, ct).status_code == 200
    assert save_essay(client, public_id, token, v3, "c", True, 5, ct).status_code == 200
    with app.app_context():
        chosen = {a.vignette_id for a in db.session.scalars(select(Answer).where(Answer.chosen))}
    assert chosen == {v2, v3}


def test_stale_essay_snapshot_does_not_overwrite_newer_text(app, client, part_two_seat):
    user, seat_id = part_two_seat
    sign_in(client, user.email)
    public_id, html, ct, vignettes = start_part_two(client, seat_id)
    token = csrf_from(html)
    save_essay(client, public_id, token, vignettes[0], "newer text", True, 7, ct)
    save_essay(client, public_id, token, vignettes[0], "older", True, 6, ct)
    with app.app_context():
        assert db.session.scalar(select(Answer.value)) == "newer text"


def test_oversized_or_foreign_vignette_is_refused(app, client, part_two_seat):
    user, seat_id = part_two_seat
    sign_in(client, user.email)
    public_id, html, ct, vignettes = start_part_two(client, seat_id)
    token = csrf_from(html)
    assert (
        save_essay(client, public_id, token, vignettes[0], "x" * 60_001, True, 1, ct).status_code
        == 413
    )
    assert save_essay(client, public_id, token, 999_999, "x", True, 2, ct).status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Answer).where(Answer.vignette_id.is_not(None))).all() == []


def test_focus_loss_is_counted(app, client, part_two_seat):
    user, seat_id = part_two_seat
    sign_in(client, user.email)
    public_id, html, *_ = start_part_two(client, seat_id)
    headers = {"X-CSRFToken": csrf_from(html)}
    assert (
        client.post(
            f"/exam/attempt/{public_id}/event", data={"kind": "hidden"}, headers=headers
        ).status_code
        == 204
    )
    assert (
        client.post(
            f"/exam/attempt/{public_id}/event", data={"kind": "nonsense"}, headers=headers
        ).status_code
        == 422
    )
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        assert attempt.focus_losses == 1


def test_break_is_offered_between_the_parts(app, client, part_two_seat):
    user, seat_id = part_two_seat
    sign_in(client, user.email)
    assert "Optional break until" in client.get("/exam/").text
