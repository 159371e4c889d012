"""The key never leaves the server: every candidate page and fragment of a whole attempt."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Attempt
from tests.conftest import csrf_from, sign_in
from tests.exam.test_delivery import item_ids, save, start

FORBIDDEN = ("SECRET-RATIONALE", "correct_option", "data-correct", "rationale", "rpb", "is_key")
MARKER = re.compile(r'(class|id|data-[\w-]+)="[^"]*\b(correct|key|right)\b', re.I)


def option_markup(html: str) -> list[str]:
    """Each option's markup with its id and text blanked: all must look the same."""
    blocks = re.findall(r'<div class="option">(.*?)</div>', html, re.S)
    return sorted({re.sub(r"(q\d+-)?[a-d]\b|\w+ \d+", "_", b) for b in blocks})


def test_no_candidate_page_or_fragment_reveals_the_key(app, client, exam_seat):
    user, seat_id = exam_seat(n_items=5)
    sign_in(client, user.email)
    pages = [client.get("/exam/").text, client.get(f"/exam/seat/{seat_id}/MC").text]
    public_id, html, ct = start(client, seat_id)
    token = csrf_from(html)
    pages.append(html)
    for seq, item in enumerate(item_ids(html), 1):
        pages.append(save(client, public_id, token, item, "a", seq, ct).text)
    pages += [client.get(f"/exam/attempt/{public_id}/{p}").text for p in ("review", "clock")]
    client.post(f"/exam/attempt/{public_id}/submit", data={"csrf_token": token})
    pages += [client.get(f"/exam/attempt/{public_id}/receipt").text, client.get("/exam/").text]
    for page in pages:
        lowered = page.lower()
        for word in FORBIDDEN:
            assert word.lower() not in lowered, word
        assert not MARKER.search(page), MARKER.search(page)
    # the correct option is marked up exactly like every other option
    assert len(option_markup(html)) == 1


def test_option_order_is_shuffled_per_attempt_and_stored(app, client, exam_seat, create_user_):
    orders = set()
    for _ in range(4):
        user, seat_id = exam_seat(n_items=5)
        c = app.test_client()
        sign_in(c, user.email)
        _, html, _ = start(c, seat_id)
        orders.add(tuple(re.findall(r'type="radio" name="option" id="q1-([a-d])"', html)))
    assert len(orders) > 1  # 4 attempts x 5 items: identical orders would be a 1 in 10^7 event
    with app.app_context():
        for attempt in db.session.scalars(select(Attempt)):
            assert sorted(attempt.item_order) == sorted(int(k) for k in attempt.option_order)
