"""Graders are blind: crawl every page and fragment a grader can reach, find no identity.

Candidates get distinctive names and emails; graders read, save drafts, disagree, adjudicate,
back-read and calibrate, so every kind of grader page has content. Then each grader (and the
lead grader) follows every link, hx-get and hx-post target from their home page, and no page,
fragment, title, URL or redirect may carry a candidate's name, email or user id, the sitting or
its date, or (for graders) another grader's words.
"""

import re
from collections import deque
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app.extensions import db
from app.grading import calibration
from app.models import GraderProfile, Resolution, User
from tests.conftest import csrf_from
from tests.grading import factories
from tests.grading.helpers import all_levels, client_for, submit, take_next, token

CANDIDATES = [
    ("Zephyrine Quillfeather", "zephyrine.q@blind.example"),
    ("Bartholomew Okonkwo-Lindgren", "b.okonkwo@blind.example"),
    ("Marisol Thistlewaite", "marisol.t@blind.example"),
    ("Ignatius Featherstonehaugh", "ignatius.f@blind.example"),
]
SITTING_NAME = "Sitting Marigold"


class Links(HTMLParser):
    """Every same-site target a page offers: links, htmx get/post targets, GET forms."""

    def __init__(self):
        super().__init__()
        self.gets, self.posts = set(), set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href", "").startswith("/"):
            self.gets.add(attrs["href"])
        if attrs.get("hx-get"):
            self.gets.add(attrs["hx-get"])
        if attrs.get("hx-post"):
            self.posts.add(attrs["hx-post"])
        if tag == "form" and attrs.get("method", "get").lower() == "get" and attrs.get("action"):
            self.gets.add(attrs["action"])


def _forbidden(world) -> list[re.Pattern]:
    patterns = [SITTING_NAME, "2026-11-24"]
    for user in world.candidates:
        patterns += [user.name, user.email, user.email.split("@")[0]]
    out = [re.compile(re.escape(p), re.IGNORECASE) for p in patterns]
    for user in world.candidates:
        out += [
            re.compile(rf"user_?id\W{{0,6}}{user.id}\b", re.IGNORECASE),
            re.compile(rf"/users?/{user.id}\b"),
            re.compile(rf"candidate_?id\W{{0,6}}{user.id}\b", re.IGNORECASE),
            re.compile(r"seat_?id\W{0,6}\d"),
        ]
    return out


def _words_of(grader) -> str:
    return f"Only-{grader.email.split('@')[0]}-wrote-this"


def _crawl(client, starts):
    seen, queue, pages = set(), deque(starts), []
    csrf = token(client)
    while queue:
        method, url = queue.popleft()
        if (method, url) in seen or url.startswith(("/static", "/logout")):
            continue
        seen.add((method, url))
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, headers={"HX-Request": "true", "X-CSRFToken": csrf})
        body = response.get_data(as_text=True)
        pages.append((method, url, response.status_code, body, dict(response.headers)))
        if response.status_code in (301, 302, 303):
            queue.append(("GET", response.headers["Location"]))
        links = Links()
        links.feed(body)
        queue.extend(("GET", u) for u in links.gets)
        queue.extend(("POST", u) for u in links.posts)
    return pages


def _prepare(app, create_user_, monkeypatch):
    monkeypatch.setitem(app.config, "GRADING_BACK_READ_SHARE", 1.0)
    world = factories.build_world(app, create_user_, CANDIDATES, graders=3)
    with app.app_context():
        from app.models import Sitting

        db.session.get(Sitting, world.sitting_id).name = SITTING_NAME
        db.session.commit()
    # grader 0 reads high, the others low enough that some pairs need adjudication
    levels = [all_levels(4), all_levels(2), {"REFL": 4, "THINK": 3, "WWO": 4}]
    for grader, level in zip(world.graders, levels, strict=True):
        client = client_for(app, grader.email)
        for _ in range(3):
            code = take_next(client)
            if code is None:
                break
            submit(client, code, level, {"REFL": _words_of(grader), "THINK": _words_of(grader)})
        take_next(client)  # leave a draft open
    lead = client_for(app, world.lead.email)
    page = lead.get("/grading/lead/adjudication").get_data(as_text=True)
    codes = re.findall(r'/grading/lead/adjudication/([^"]+)"', page)
    assert codes, "the set-up should produce a disagreement"
    lead.post(f"/grading/lead/adjudication/{codes[0]}", data={"csrf_token": csrf_from(page)})
    submit(lead, codes[0], all_levels(3), {"REFL": "The lead's view."})
    if len(codes) > 1:
        lead.post(f"/grading/lead/adjudication/{codes[1]}", data={"csrf_token": csrf_from(page)})
    trainee = create_user_("grader", name="Trainee Reader")
    with app.app_context():
        final = db.session.scalars(select(Resolution).where(Resolution.resolved_at.is_not(None)))
        response = next(iter(final)).response
        calibration.mark(
            db.session.get(User, world.lead.id), response, all_levels(3), factories.NOW
        )
        db.session.add(
            GraderProfile(user_id=trainee.id, capacity=5, conflicts_declared_at=factories.NOW)
        )
        db.session.commit()
    trainee_client = client_for(app, trainee.email)
    started = trainee_client.post(
        "/grading/calibration/next", data={"csrf_token": token(trainee_client)}
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    return world, trainee


STARTS = [
    ("GET", "/"),
    ("GET", "/grading/"),
    ("GET", "/grading/conflicts"),
    ("GET", "/grading/calibration"),
    ("GET", "/grading/lead/adjudication"),
    ("GET", "/grading/lead/back-reading"),
    ("GET", "/grading/lead/calibration"),
    ("GET", "/grading/lead/graders"),
    ("GET", "/grading/agreement"),
]


@pytest.fixture
def crawled(app, create_user_, monkeypatch):
    world, trainee = _prepare(app, create_user_, monkeypatch)
    readers = [*world.graders, trainee, world.lead]
    return world, {r.email: (r, _crawl(client_for(app, r.email), STARTS)) for r in readers}


def test_no_grader_page_or_fragment_carries_identity(crawled):
    world, crawls = crawled
    forbidden = _forbidden(world)
    checked = 0
    for reader, pages in crawls.values():
        for method, url, _status, body, headers in pages:
            haystack = "\n".join(
                [
                    url,
                    body,
                    headers.get("Location", ""),
                    *(v for k, v in headers.items() if k.lower().startswith("hx-")),
                ]
            )
            for pattern in forbidden:
                assert not pattern.search(haystack), (reader.email, method, url, pattern.pattern)
            checked += 1
    assert checked > 40


def test_the_crawl_reached_every_kind_of_grader_page(crawled):
    _world, crawls = crawled
    urls = {url for _, pages in crawls.values() for _, url, status, *_ in pages if status == 200}
    for expected in (
        "/grading/",
        "/grading/conflicts",
        "/grading/calibration",
        "/grading/lead/adjudication",
        "/grading/lead/back-reading",
        "/grading/lead/calibration",
        "/grading/lead/graders",
        "/grading/agreement",
    ):
        assert expected in urls
    assert any(re.fullmatch(r"/grading/read/[^/]+", u) for u in urls)
    assert any(re.fullmatch(r"/grading/read/[^/]+/draft", u) for u in urls)
    assert any(re.fullmatch(r"/grading/calibration/[^/]+", u) for u in urls)


def test_graders_never_see_another_graders_reading(crawled):
    world, crawls = crawled
    for grader in world.graders:
        _, pages = crawls[grader.email]
        others = [_words_of(g) for g in world.graders if g.id != grader.id]
        for _method, url, _status, body, _headers in pages:
            assert not any(words in body for words in others), (grader.email, url)


def test_names_are_shown_only_before_any_response(app, create_user_):
    world = factories.build_world(app, create_user_, CANDIDATES[:2], graders=1)
    newcomer = create_user_("grader", name="New Reader")
    client = client_for(app, newcomer.email)
    page = client.get("/grading/conflicts").get_data(as_text=True)
    assert CANDIDATES[0][0] in page and CANDIDATES[1][0] in page
    assert not any(str(u.id) in re.findall(r'value="([^"]+)"', page) for u in world.candidates)
    assert client.post("/grading/next", data={"csrf_token": csrf_from(page)}).status_code == 409
    tokens = re.findall(r'name="conflict" value="([^"]+)"', page)
    client.post("/grading/conflicts", data={"csrf_token": csrf_from(page), "conflict": tokens[:1]})
    with app.app_context():
        db.session.get(
            GraderProfile,
            db.session.scalar(select(GraderProfile.id).where(GraderProfile.user_id == newcomer.id)),
        ).calibrated_at = factories.NOW
        db.session.commit()
    assert take_next(client) is not None
    locked = client.get("/grading/conflicts").get_data(as_text=True)
    assert CANDIDATES[0][0] not in locked and CANDIDATES[1][0] not in locked
