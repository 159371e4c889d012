"""Object-level access, generated from app.url_map: every candidate route that names a seat or an
attempt, and every grader route that names a response code, used on someone else's object.

Each is 404 with the same message a made-up id gets (no oracle for "exists but not yours") and
changes nothing. Ids in those URLs are random tokens, not a sequence one could walk."""

import re
import string

import pytest
from markupsafe import escape
from sqlalchemy import select

from app.extensions import db
from app.models import Attempt, Response, Result
from app.models.attempts import new_public_id
from app.models.grading import new_response_code
from tests.auth.test_roles import _endpoints, _url
from tests.conftest import csrf_from
from tests.security.helpers import build_world, changed_tables, demo_client, fingerprint

A, B = "candidate01@demo.example", "candidate02@demo.example"
FIELDS = {
    "item": "1",
    "option": "a",
    "seq": "500",
    "client": "",
    "kind": "blur",
    "text": "overwritten",
    "vignette": "1",
    "chosen": "1",
    "code": "ABCDEF",
    "rating-REFL": "1",
    "overall": "x",
}


@pytest.fixture
def world(app, runner):
    return build_world(app, runner)


def _routes(app, blueprint: str, names: set[str]):
    """(endpoint, method, rule args) of the blueprint's rules naming one of these arguments."""
    for endpoint, rule, methods, placeholder in _endpoints(app):
        if endpoint.startswith(blueprint + ".") and names & set(rule.arguments):
            for method in methods:
                yield endpoint, method, placeholder


def _call(client, app, endpoint, method, args, token):
    url = _url(app, endpoint, args)
    data = FIELDS | {"csrf_token": token} if method != "GET" else None
    return url, client.open(url, method=method, data=data, headers={"X-CSRFToken": token})


def _message(response) -> tuple[int, str]:
    """The status and the page's main content, as the person sees it."""
    main = response.get_data(as_text=True).split('<main id="main">', 1)[-1]
    return response.status_code, " ".join(main.split())


def _own_args(world, owner: str, closed: bool) -> dict:
    return {
        "seat_id": str(world.seat_ids[owner]),
        "part": "MC",
        "public_id": world.closed_public_id if closed else world.open_public_id,
    }


CASES = {
    # B (candidate02) on A's seat and A's closed attempts; A on B's seat and B's open attempt
    "B on A's closed attempt": (B, A, True),
    "A on B's open attempt": (A, B, False),
}


@pytest.mark.parametrize("case", CASES)
def test_a_candidate_cannot_read_or_write_anothers_seat_or_attempt(app, world, case):
    intruder_email, owner, closed = CASES[case]
    intruder = demo_client(app, intruder_email)
    token = csrf_from(intruder.get("/exam/").get_data(as_text=True))
    routes = list(_routes(app, "exam", {"public_id", "seat_id"}))
    assert len(routes) >= 9
    for endpoint, method, _ in routes:
        before = fingerprint(app)
        url, response = _call(
            intruder, app, endpoint, method, _own_args(world, owner, closed), token
        )
        assert response.status_code == 404, (case, method, url, response.status_code)
        assert fingerprint(app) == before, f"{method} {url}: changed"
        # a made-up id is answered exactly alike: nothing tells "exists" from "not yours"
        made_up = {"seat_id": "987654", "part": "MC", "public_id": new_public_id()}
        _, unknown = _call(intruder, app, endpoint, method, made_up, token)
        assert _message(unknown) == _message(response), (method, url)


def test_the_owner_can_use_the_same_routes(app, world):
    """The control for the test above: the same GETs work for the owner of the attempt."""
    owner = demo_client(app, B)
    for endpoint, method, _ in _routes(app, "exam", {"public_id"}):
        if method == "GET":
            url, response = _call(owner, app, endpoint, method, _own_args(world, B, False), "")
            assert response.status_code in (200, 302), (url, response.status_code)


def test_a_candidate_sees_only_their_own_results(app, world):
    with app.app_context():
        for result in db.session.scalars(select(Result)):
            result.released_at = result.computed_at
        db.session.commit()
    own = demo_client(app, A).get("/results/mine").get_data(as_text=True)
    other = demo_client(app, B).get("/results/mine").get_data(as_text=True)
    assert re.search(r"\d+ of \d+ \(\d+%\)", own), "A sees their released Part One score"
    assert "No results have been released to you yet." in other
    assert not re.search(r"\d+ of \d+ \(\d+%\)", other)


@pytest.mark.parametrize("reader", ["grader2@demo.example", "lead@demo.example"])
def test_a_grader_cannot_read_or_write_a_response_not_allocated_to_them(app, world, reader):
    assert world.reading_code, "grader1 holds a reading"
    other = demo_client(app, reader)
    token = csrf_from(other.get("/grading/").get_data(as_text=True))
    routes = [r for r in _routes(app, "grading", {"code"}) if not r[0].startswith("grading.lead.")]
    assert len(routes) >= 6
    for code in [world.reading_code, *world.response_codes]:
        for endpoint, method, _ in routes:
            before = fingerprint(app)
            url, response = _call(other, app, endpoint, method, {"code": code}, token)
            assert response.status_code == 404, (reader, method, url, response.status_code)
            after = fingerprint(app)
            assert after == before, f"{method} {url}: {changed_tables(before, after)}"
            _, unknown = _call(other, app, endpoint, method, {"code": new_response_code()}, token)
            assert _message(unknown) == _message(response), (method, url)
    owner = demo_client(app, "grader1@demo.example")
    page = owner.get(f"/grading/read/{world.reading_code}")
    with app.app_context():
        text = db.session.scalar(select(Response).where(Response.code == world.reading_code)).text
    assert page.status_code == 200 and str(escape(text)) in page.get_data(as_text=True)


def test_attempt_and_response_ids_are_random_tokens(app, world):
    with app.app_context():
        attempts = list(db.session.execute(select(Attempt.id, Attempt.public_id)))
        codes = list(db.session.scalars(select(Response.code)))
    alphabet = set(string.ascii_letters + string.digits + "-_")
    for _id, public_id in attempts:
        assert len(public_id) >= 16 and set(public_id) <= alphabet  # >= 96 random bits
        assert str(_id) != public_id and not public_id.isdigit()
    assert all(len(code) >= 12 and set(code) <= alphabet for code in codes)  # >= 72 bits
    draws = [new_public_id() for _ in range(2000)] + [new_response_code() for _ in range(2000)]
    assert len(set(draws)) == len(draws)
    # no shared prefix between consecutive draws, as a counter or a timestamp would give
    assert sum(a[:4] == b[:4] for a, b in zip(draws, draws[1:], strict=False)) < 5


def test_candidate_and_grader_pages_link_by_token_never_by_row_id(app, world):
    with app.app_context():
        row_ids = {str(i) for i in db.session.scalars(select(Attempt.id))}
    candidate = demo_client(app, A)
    links = set()
    for url in ("/exam/", f"/exam/attempt/{world.closed_public_id}/receipt"):
        links |= set(re.findall(r"/exam/attempt/([^/\"?#]+)", candidate.get(url).text))
    assert links and not links & row_ids
    grader = demo_client(app, "grader1@demo.example")
    codes = set(re.findall(r"/grading/read/([^/\"?#]+)", grader.get("/grading/").text))
    assert codes == {world.reading_code}
