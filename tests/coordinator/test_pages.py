"""Every scheduling page renders for the coordinator, with labelled fields and CSRF tokens,
is linked from the nav and home page, and is refused to every other role."""

from html.parser import HTMLParser

import pytest

from app.extensions import db
from app.models import Seat
from tests.conftest import csrf_from, persist, sign_in
from tests.coordinator.conftest import P1, P2, SCHEDULE


class FormAudit(HTMLParser):
    """Collects field ids, label targets, fields wrapped in a label, and forms' CSRF inputs."""

    def __init__(self):
        super().__init__()
        self.fields, self.label_for, self.unlabelled = [], set(), []
        self.depth_in_label = 0
        self.post_forms: list[bool] = []  # per POST form: does it carry the CSRF token?
        self.in_post_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.depth_in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag == "form":
            self.in_post_form = a.get("method") == "post"
            if self.in_post_form:
                self.post_forms.append(False)
        elif tag == "input" and a.get("name") == "csrf_token" and self.in_post_form:
            self.post_forms[-1] = True
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            if self.depth_in_label:
                return
            if a.get("id"):
                self.fields.append(a["id"])
            else:
                self.unlabelled.append(a.get("name"))

    def handle_endtag(self, tag):
        if tag == "label":
            self.depth_in_label -= 1
        elif tag == "form":
            self.in_post_form = False


def check_page(html: str) -> None:
    audit = FormAudit()
    audit.feed(html)
    assert audit.unlabelled == []
    assert [f for f in audit.fields if f not in audit.label_for] == []
    assert audit.post_forms and all(audit.post_forms)  # at least the header's sign-out form


@pytest.fixture
def seat(app, sitting, create_user_):
    candidate = create_user_("candidate", name="Avery Candidate", tracks=["IMH-SPECIALIST"])
    return persist(
        app,
        lambda: _add(
            Seat(sitting_id=sitting.id, candidate_id=candidate.id, track="IMH-SPECIALIST")
        ),
    )


def _add(obj):
    db.session.add(obj)
    return obj


def _pages(window, sitting, seat):
    return {
        f"{SCHEDULE}/": ["Exam windows and sittings", window.name],
        f"{SCHEDULE}/windows/new": ["New exam window", "Suggest dates"],
        f"{SCHEDULE}/windows/new?day=2031-03-10": ["2031-02-01", "2031-04-30"],
        f"{SCHEDULE}/windows/{window.id}": [window.name, "March sitting", "All times are in UTC"],
        f"{SCHEDULE}/windows/{window.id}/edit": [f"Edit {window.name}"],
        f"{SCHEDULE}/windows/{window.id}/sittings/new": [
            "New sitting",
            "Times are in UTC",
            P1,
            P2,
            "Pat",
        ],
        f"{SCHEDULE}/sittings/{sitting.id}": ["March sitting", "Avery Candidate", "Seat a"],
        f"{SCHEDULE}/sittings/{sitting.id}/edit": ["Edit March sitting", "UTC", 'value="14:00"'],
        f"{SCHEDULE}/seats/{seat.id}/edit": ["Avery Candidate", "Reason for the change"],
        f"{SCHEDULE}/approvals": ["Candidate approvals", "Avery Candidate"],
    }


def test_every_page_renders_for_the_coordinator(coordinator, window, sitting, seat):
    for url, expected in _pages(window, sitting, seat).items():
        response = coordinator.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        for text in expected:
            assert text in html, (url, text)
        check_page(html)


def test_sitting_form_groups_part_one_and_part_two_forms(coordinator, window, bank):
    html = coordinator.get(f"{SCHEDULE}/windows/{window.id}/sittings/new").get_data(as_text=True)
    part_one, part_two = html.split("Part Two forms")
    assert P1 in part_one and P2 not in part_one
    assert P2 in part_two and P1 not in part_two


def test_nav_and_home_link_the_scheduling_pages(coordinator):
    html = coordinator.get("/coordinator/").get_data(as_text=True)
    nav = html.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    main = html.split('<main id="main">')[1]
    for part in (nav, main):
        assert f'href="{SCHEDULE}/"' in part
        assert f'href="{SCHEDULE}/approvals"' in part


def test_home_links_each_sitting_to_its_page(coordinator, sitting):
    html = coordinator.get("/coordinator/").get_data(as_text=True)
    assert f'href="{SCHEDULE}/sittings/{sitting.id}"' in html


@pytest.mark.parametrize("role", ["candidate", "proctor", "grader", "lead_grader"])
def test_other_roles_are_refused_every_page_and_action(
    app, client, create_user_, role, window, sitting, seat
):
    sign_in(client, create_user_(role).email)
    posts = [
        f"{SCHEDULE}/windows/new",
        f"{SCHEDULE}/windows/{window.id}/edit",
        f"{SCHEDULE}/windows/{window.id}/sittings/new",
        f"{SCHEDULE}/sittings/{sitting.id}/edit",
        f"{SCHEDULE}/sittings/{sitting.id}/seats",
        f"{SCHEDULE}/seats/{seat.id}/edit",
        f"{SCHEDULE}/seats/{seat.id}/remove",
        f"{SCHEDULE}/approvals/approve",
        f"{SCHEDULE}/approvals/withdraw",
    ]
    for url in _pages(window, sitting, seat):
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    for url in posts:
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    with app.app_context():
        assert db.session.get(Seat, seat.id) is not None


def test_unknown_and_huge_ids_are_not_found(coordinator):
    for url in (f"{SCHEDULE}/windows/999", f"{SCHEDULE}/sittings/99999999999999/edit"):
        assert coordinator.get(url).status_code == 404, url
