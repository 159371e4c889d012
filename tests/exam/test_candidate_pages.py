"""What candidate pages say on exam day: My exams in every state (and its poll), the receipt of
an open or voided part, the review naming unscored essay text, the exam page's furniture."""

import re
from datetime import UTC, datetime

from sqlalchemy import select

from app.exam import proctoring
from app.extensions import db
from app.models import Attempt, Seat, User
from tests.conftest import csrf_from, sign_in
from tests.exam.test_delivery import start
from tests.exam.test_part_two import part_two_seat, start_part_two  # noqa: F401 - fixture


def test_my_exams_links_to_the_waiting_room_and_polls_until_admitted(app, client, exam_seat):
    user, seat_id = exam_seat(admitted=False)
    sign_in(client, user.email)
    home = client.get("/exam/").text
    assert f'href="/exam/seat/{seat_id}/MC">Go to the waiting room' in home
    assert 'hx-get="/exam/seats"' in home and 'hx-trigger="every 5s"' in home
    with app.app_context():
        assert db.session.get(Seat, seat_id).checked_in_at is None  # arrival is the waiting room
    assert client.get("/exam/seats").status_code == 200
    with app.app_context():
        db.session.get(Seat, seat_id).admitted_at = datetime.now(UTC)
        db.session.commit()
    fragment = client.get("/exam/seats")
    assert fragment.status_code == 286  # admitted: the poll stops
    assert "Read the rules and start" in fragment.text


def test_my_exams_takes_an_on_demand_code_and_does_not_poll(app, client, exam_seat):
    user, seat_id = exam_seat(admitted=False)
    with app.app_context():
        sitting = db.session.get(Seat, seat_id).sitting
        sitting.mode, sitting.access_code = "on_demand", "KX7P2QRW"
        db.session.commit()
    sign_in(client, user.email)
    home = client.get("/exam/").text
    assert f'action="/exam/seat/{seat_id}/MC/code"' in home and f'id="code-{seat_id}"' in home
    assert "hx-preserve" in home and 'hx-get="/exam/seats"' not in home


def test_a_voided_seat_says_so_on_my_exams_and_the_receipt(app, client, exam_seat, create_user_):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    public_id, *_ = start(client, seat_id)
    proctor = create_user_("proctor")
    with app.app_context():
        seat = db.session.get(Seat, seat_id)
        proctoring.act_on_seat(
            seat,
            proctoring.SeatAction("void", "conduct", confirmed=True),
            db.session.get(User, proctor.id),
            datetime.now(UTC),
        )
        db.session.commit()
    home = client.get("/exam/").text
    assert "This seat was voided by the proctor" in home and "voided by the proctor." in home
    assert "submitted, your answers are recorded" not in home
    receipt = client.get(f"/exam/attempt/{public_id}/receipt").text
    assert "<h1>Part One (multiple choice): voided</h1>" in receipt
    assert "submitted</h1>" not in receipt


def test_the_receipt_of_an_open_part_is_not_headed_submitted(client, exam_seat):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    public_id, *_ = start(client, seat_id)
    receipt = client.get(f"/exam/attempt/{public_id}/receipt").text
    assert "still open</h1>" in receipt and "submitted</h1>" not in receipt
    assert "<title>Part One (multiple choice): still open" in receipt


def test_the_exam_page_has_one_live_save_status_and_no_account_links(client, exam_seat):
    user, seat_id = exam_seat(n_items=3)
    sign_in(client, user.email)
    _, html, _ = start(client, seat_id)
    assert len(re.findall(r'role="status"|aria-live="polite"', html)) == 1
    assert 'id="journal-status" role="status"' in html
    assert "Sign out" not in html and "/account/password" not in html
    first = re.search(r'<a href="#q-1"[^>]*>', html).group(0)
    assert 'aria-current="step"' in first
    legend = re.search(r'<p class="legend[^"]*">(.*?)</p>', html, re.S).group(1)
    assert not re.search(r">\s*1\s*<", legend)  # a legend, not a count
    assert 'id="navigator-toggle"' in html
    assert "data-seq-ceiling" in html and "data-server-ms" in html


def test_the_review_names_essay_text_that_will_not_be_scored(app, client, request):
    user, seat_id = request.getfixturevalue("part_two_seat")
    sign_in(client, user.email)
    public_id, html, ct, vignettes = start_part_two(client, seat_id)
    token = csrf_from(html)
    for seq, (vignette, chosen) in enumerate(((vignettes[0], "1"), (vignettes[2], "")), 1):
        response = client.post(
            f"/exam/attempt/{public_id}/save",
            data={"vignette": vignette, "text": "Some words here.", "chosen": chosen}
            | {"seq": seq, "client": ct},
            headers={"X-CSRFToken": token, "HX-Request": "true"},
        )
        assert response.status_code == 200
    review = client.get(f"/exam/attempt/{public_id}/review").text
    unscored = re.search(r'<div class="warning unscored" id="unscored">(.*?)</div>', review, re.S)
    assert unscored and "Vignette 3" in unscored.group(1)
    assert "Vignette 1" not in unscored.group(1)
    label = re.search(r'name="confirm"[^>]*>(.*?)</label>', review, re.S).group(1)
    assert "Vignette 3" in label and "will not be scored" in label
    with app.app_context():
        assert db.session.scalar(select(Attempt.client_token).where(Attempt.part == "VIGNETTE"))


def test_the_sitting_page_shows_unchosen_essays_read_only_once_k_are_chosen(app, client, request):
    user, seat_id = request.getfixturevalue("part_two_seat")
    sign_in(client, user.email)
    public_id, html, ct, vignettes = start_part_two(client, seat_id)
    token = csrf_from(html)
    for seq, vignette in enumerate(vignettes[:2], 1):
        client.post(
            f"/exam/attempt/{public_id}/save",
            data={"vignette": vignette, "text": "x", "chosen": "1", "seq": seq, "client": ct},
            headers={"X-CSRFToken": token, "HX-Request": "true"},
        )
    page = client.get(f"/exam/attempt/{public_id}").text
    third = re.search(rf'<textarea id="text-{vignettes[2]}"[^>]*>', page).group(0)
    assert "readonly" in third
    first = re.search(rf'<textarea id="text-{vignettes[0]}"[^>]*>', page).group(0)
    assert "readonly" not in first
