"""XSS: a corpus of payloads entered where people type (names, sitting and window names,
accommodation notes, incident notes, essays, grader comments) and where the bank author writes
(an item's stem and option, a vignette's text and prompt, a rubric's level descriptors, imported
from a temporary bank) is shown escaped on every page that shows it: proctor console, coordinator
pages, candidate pages, grader pages. Bank text goes through the Markdown subset and bleach
(app/sanitize.py), so there "shown escaped" means: exactly as the sanitiser renders it.

Each field carries the payload plus a tag naming the field, so a page is checked both ways: the
raw payload never appears, and the escaped one does where the page shows that field. Every page
is also parsed: no script but our own files, no event-handler attributes, no javascript: URLs,
no svg, no attribute smuggled in by a quote breakout."""

import re
import shutil
import tomllib
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import time_machine
import tomli_w
from markupsafe import escape
from sqlalchemy import select

from app.extensions import db
from app.models import Response, Seat, User
from app.sanitize import rich_inline
from tests.conftest import ROOT, csrf_from, sign_in

PAYLOADS = [
    '<script>alert("x1")</script>',
    "<img src=x onerror=alert(2)>",
    '"><svg onload=alert(3)>',
    "' onmouseover='alert(4)' data-pwned='",
    '<a href="javascript:alert(5)">five</a>',
    "</textarea><script>alert(6)</script>",
    "<svg><animate onbegin=alert(7) attributeName=x dur=1s>",
    '" hx-get="/logout" hx-trigger="load" data-pwned="',
    "javascript:alert(9)//",
    "tpl{{7*7}}end{% if 1 %}X{% endif %}${7*7}",
]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "xlink:href"}
TEMPLATE_EVALUATED = ("tpl49", "endX", "X49~")
NOW = datetime(2031, 3, 10, 10, 0, tzinfo=UTC)
P1, P2 = "IMH-P1-SAMPLE", "IMH-SPECIALIST-P2-SAMPLE"
FIELDS = (
    "candidate",
    "proctor",
    "grader",
    "lead",
    "coordinator",
    "window",
    "sitting",
    "accommodation",
    "incident",
    "essay",
    "comment",
    "overall",
    "stem",
    "option",
    "vignette",
    "prompt",
    "descriptor",
    "title",
)
#: bank text rendered through the Markdown subset (emphasis may split the text, quotes differ)
RICH_FIELDS = {"stem", "option", "vignette", "prompt", "descriptor"}


def tagged(payload: str, field: str) -> str:
    return f"{payload}~{field}"


class PageChecker(HTMLParser):
    """Collects what would run or load: script tags, handler attributes, URL attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"svg", "iframe", "object", "embed", "img", "animate", "base"}:
            self.problems.append(f"<{tag}> element")
        names = {name for name, _ in attrs}
        if tag == "script" and not (dict(attrs).get("src") or "").startswith("/static/"):
            self.problems.append("inline or foreign <script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            is_url = name in URL_ATTRIBUTES or name.startswith("hx-") or name.endswith("-url")
            if is_url and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name}")
        if "data-pwned" in names:
            self.problems.append(f"attribute breakout on <{tag}>")
        if "hx-trigger" in names and dict(attrs).get("hx-trigger") == "load":
            self.problems.append(f"smuggled htmx trigger on <{tag}>")


def check_page(label: str, html: str, payload: str, shown: tuple[str, ...]) -> None:
    """No field's raw payload, no executable markup; every field in `shown` present, escaped."""
    checker = PageChecker()
    checker.feed(html)
    assert checker.problems == [], (label, checker.problems)
    for field in FIELDS:
        raw = tagged(payload, field)
        # a quote or apostrophe in text content is inert; the sanitiser leaves the apostrophe
        rendered = rich_inline(raw) if field in RICH_FIELDS else escape(raw)
        if str(rendered) != raw:
            assert raw not in html, f"{label}: raw {field} payload"
    for field in shown:
        raw = tagged(payload, field)
        expected = rich_inline(raw) if field in RICH_FIELDS else escape(raw)
        assert str(expected) in html, f"{label}: {field} not shown escaped"
    assert not any(e in html for e in TEMPLATE_EVALUATED), f"{label}: template syntax evaluated"


def _poisoned_bank(tmp_path, payload: str):
    """The sample bank with the payload in an item's stem and option and in the vignettes of the
    IMH Specialist Part Two form (title and text)."""
    bank = tmp_path / "bank"
    shutil.copytree(ROOT / "question_bank", bank)
    items = bank / "items" / "imh.toml"
    data = tomllib.loads(items.read_text())
    first = data["item"][0]
    first["stem"] = tagged(payload, "stem") + " " + first["stem"]
    first["options"][0]["text"] = tagged(payload, "option")
    items.write_text(tomli_w.dumps(data))
    vignettes = bank / "vignettes" / "imh.toml"
    data = tomllib.loads(vignettes.read_text())
    for vignette in data["vignette"]:
        if "IMH-SPECIALIST" in vignette["tracks"]:
            vignette["title"] = tagged(payload, "title")
            vignette["text"] = tagged(payload, "vignette") + "\n\n" + vignette["text"]
            vignette["prompt"] = tagged(payload, "prompt") + "\n\n" + vignette["prompt"]
    vignettes.write_text(tomli_w.dumps(data))
    rubrics = bank / "rubrics" / "rubrics.toml"
    data = tomllib.loads(rubrics.read_text())
    for rubric in data["rubric"]:
        if "IMH-SPECIALIST" in rubric["tracks"]:
            for criterion in rubric["criterion"]:
                for level in criterion["levels"]:
                    level["descriptor"] = tagged(payload, "descriptor")
    rubrics.write_text(tomli_w.dumps(data))
    return bank


class Site:
    """Signed-in clients per person and a recorder of every page each of them opened."""

    def __init__(self, app, payload):
        self.app, self.payload, self.pages = app, payload, []

    def client(self, email):
        client = self.app.test_client()
        assert sign_in(client, email).status_code == 302
        return client

    def get(self, client, url, shown=(), htmx=False, status=200):
        response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
        assert response.status_code == status, (url, response.status_code)
        html = response.get_data(as_text=True)
        check_page(url, html, self.payload, shown)
        self.pages.append(url)
        return html

    def post(self, client, url, data, page_url, status=302):
        token = csrf_from(client.get(page_url).get_data(as_text=True))
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == status, (url, response.get_data(as_text=True))
        return response


#: who takes part: (key, role, the field tag their name carries)
PEOPLE = (
    ("candidate", "candidate", "candidate"),
    ("proctor", "proctor", "proctor"),
    ("grader", "grader", "grader"),
    ("grader2", "grader", "grader"),
    ("lead", "lead_grader", "lead"),
    ("coordinator", "coordinator", "coordinator"),
)


def _people(create_user_, payload):
    """Every account named with the payload (plus its field tag)."""
    return {
        key: create_user_(
            role,
            name=tagged(payload, field),
            tracks=("IMH-SPECIALIST",) if role == "candidate" else (),
        )
        for key, role, field in PEOPLE
    }


def _schedule(site, coordinator, people, payload) -> tuple[int, int, int]:
    """The coordinator creates the window, the sitting and the seat through their pages."""
    schedule = "/coordinator/schedule"
    made = site.post(
        coordinator,
        f"{schedule}/windows/new",
        {"name": tagged(payload, "window"), "opens_on": "2031-03-01", "closes_on": "2031-04-30"},
        f"{schedule}/windows/new",
    )
    window_id = int(made.headers["Location"].rsplit("/", 1)[-1])
    made = site.post(
        coordinator,
        f"{schedule}/windows/{window_id}/sittings/new",
        {
            "name": tagged(payload, "sitting"),
            "date": "2031-03-10",
            "starts": "09:55",
            "ends": "15:00",
            "proctor_id": str(people["proctor"].id),
            "mode": "scheduled",
            "form_codes": [P1, P2],
        },
        f"{schedule}/windows/{window_id}/sittings/new",
    )
    sitting_id = int(made.headers["Location"].rsplit("/", 1)[-1])
    site.post(
        coordinator,
        f"{schedule}/sittings/{sitting_id}/seats",
        {
            "candidate_id": str(people["candidate"].id),
            "track": "IMH-SPECIALIST",
            "time_multiplier": "1.5",
            "extra_minutes": "0",
            "accommodation_note": tagged(payload, "accommodation"),
        },
        f"{schedule}/sittings/{sitting_id}",
    )
    with site.app.app_context():
        seat_id = db.session.scalar(select(Seat.id).where(Seat.sitting_id == sitting_id))
    return window_id, sitting_id, seat_id


def _proctor(site, proctor, sitting_id, seat_id, payload):
    console = f"/proctor/sitting/{sitting_id}"
    site.post(
        proctor,
        f"/proctor/seat/{seat_id}/act",
        {"action": "admit", "id_checked": "yes", "id_note": tagged(payload, "id-note")},
        console,
    )
    site.post(
        proctor,
        f"{console}/incident",
        {"seat": str(seat_id), "category": "technical", "note": tagged(payload, "incident")},
        console,
    )
    site.get(proctor, "/proctor/", ("sitting", "proctor"))
    site.get(proctor, console, ("sitting", "candidate", "incident", "id-note"))
    site.get(proctor, f"{console}/report", ("sitting", "candidate", "incident", "id-note"))
    site.get(proctor, f"{console}/roster", ("candidate",), htmx=True)


def _start(site, candidate, seat_id, part, shown) -> tuple[str, str]:
    rules = f"/exam/seat/{seat_id}/{part}"
    site.get(candidate, rules, ("sitting", "candidate"))
    started = site.post(candidate, f"{rules}/start", {}, rules)
    public_id = started.headers["Location"].rsplit("/", 1)[-1]
    html = site.get(candidate, f"/exam/attempt/{public_id}", shown)
    return public_id, html


def _sit(site, candidate, seat_id, payload) -> None:
    """Part One (the poisoned item) and Part Two (essays carrying the payload), both submitted."""
    site.get(candidate, "/exam/", ("sitting", "candidate"))
    public_id, html = _start(site, candidate, seat_id, "MC", ("stem", "option", "candidate"))
    site.get(candidate, f"/exam/attempt/{public_id}/review", ("candidate",))
    site.post(
        candidate, f"/exam/attempt/{public_id}/submit", {}, f"/exam/attempt/{public_id}/review"
    )
    site.get(candidate, f"/exam/attempt/{public_id}/receipt", ("candidate",))
    public_id, html = _start(site, candidate, seat_id, "VIGNETTE", ("vignette", "prompt", "title"))
    client_token = re.search(r'data-client="([^"]+)"', html).group(1)
    token = csrf_from(html)
    vignettes = re.findall(r'name="vignette" value="(\d+)"', html)
    for seq, vignette in enumerate(vignettes[:2], 1):
        saved = candidate.post(
            f"/exam/attempt/{public_id}/save",
            data={
                "vignette": vignette,
                "text": tagged(payload, "essay"),
                "chosen": "1",
                "seq": str(seq),
                "client": client_token,
            },
            headers={"X-CSRFToken": token, "HX-Request": "true"},
        )
        assert saved.status_code == 200, saved.get_data(as_text=True)
    site.get(candidate, f"/exam/attempt/{public_id}", ("essay", "vignette", "prompt", "title"))
    site.get(candidate, f"/exam/attempt/{public_id}/review", ("title",))
    site.post(
        candidate, f"/exam/attempt/{public_id}/submit", {}, f"/exam/attempt/{public_id}/review"
    )


def _ready(app, people):
    from app.grading import graders

    with app.app_context():
        for key in ("grader", "grader2"):
            profile = graders.ensure_profile(db.session.get(User, people[key].id))
            profile.capacity, profile.calibrated_at, profile.conflicts_declared_at = 10, NOW, NOW
            current = graders.open_round()
            profile.declared_round_id = current.id if current is not None else None
        db.session.commit()


def _grade(site, grader, payload) -> list[str]:
    """Take every response on offer, check its page, rate it with comments carrying the payload."""
    codes = []
    for _ in range(5):
        taken = site.post(grader, "/grading/next", {}, "/grading/")
        if "/grading/read/" not in taken.headers["Location"]:
            break
        code = taken.headers["Location"].rsplit("/", 1)[-1]
        url = f"/grading/read/{code}"
        html = site.get(grader, url, ("essay", "vignette", "prompt", "descriptor", "title"))
        criteria = sorted(set(re.findall(r'name="rating-([^"]+)"', html)))
        data = {
            f"rating-{c}": max(re.findall(rf'name="rating-{c}" value="(\d+)"', html))
            for c in criteria
        }
        data |= {f"comment-{c}": tagged(payload, "comment") for c in criteria}
        data["overall"] = tagged(payload, "overall")
        site.post(grader, url, data, url)
        site.get(grader, url, ("essay", "comment", "overall"))
        codes.append(code)
    assert codes, "the grader was given responses"
    return codes


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_rendered_escaped_everywhere(app, runner, create_user_, tmp_path, payload):
    site = Site(app, payload)
    with time_machine.travel(NOW, tick=True):
        imported = runner.invoke(args=["bank", "import", str(_poisoned_bank(tmp_path, payload))])
        assert imported.exit_code == 0, imported.output
        people = _people(create_user_, payload)
        coordinator = site.client(people["coordinator"].email)
        proctor = site.client(people["proctor"].email)
        candidate = site.client(people["candidate"].email)
        grader = site.client(people["grader"].email)
        window_id, sitting_id, seat_id = _schedule(site, coordinator, people, payload)
        _proctor(site, proctor, sitting_id, seat_id, payload)
        _sit(site, candidate, seat_id, payload)
        _ready(app, people)
        site.get(grader, "/grading/conflicts", ("grader",))
        codes = _grade(site, grader, payload)
        _grade(site, site.client(people["grader2"].email), payload)
        results = "/coordinator/results"
        site.post(coordinator, f"{results}/sittings/{sitting_id}/release", {}, f"{results}/")
        lead = site.client(people["lead"].email)
        with app.app_context():
            assert db.session.scalar(select(Response.code).where(Response.code == codes[0]))

        for url, shown in [
            ("/coordinator/", ("sitting", "coordinator")),
            ("/coordinator/bank", ("coordinator",)),
            ("/coordinator/schedule/", ("window",)),
            (f"/coordinator/schedule/windows/{window_id}", ("window", "sitting", "proctor")),
            (f"/coordinator/schedule/windows/{window_id}/edit", ("window",)),
            (
                f"/coordinator/schedule/sittings/{sitting_id}",
                ("sitting", "candidate", "proctor", "accommodation"),
            ),
            (f"/coordinator/schedule/sittings/{sitting_id}/edit", ("sitting", "window", "proctor")),
            (
                f"/coordinator/schedule/seats/{seat_id}/edit",
                ("candidate", "sitting", "accommodation"),
            ),
            ("/coordinator/schedule/approvals", ("candidate",)),
            (f"{results}/", ("sitting",)),
            (f"{results}/sittings/{sitting_id}", ("sitting", "candidate")),
            (
                f"{results}/seats/{seat_id}",
                ("candidate", "sitting", "grader", "comment", "overall", "title"),
            ),
            (f"{results}/conflicts", ("candidate", "grader")),
            ("/grading/agreement", ("grader",)),
            ("/coordinator/analytics/items/IMH-P1-SAMPLE/item/IMH-001", ("stem", "option")),
            ("/coordinator/bank?kind=vignette", ("title",)),
            (f"/proctor/sitting/{sitting_id}", ("sitting", "candidate", "incident")),
        ]:
            site.get(coordinator, url, shown)
        site.get(candidate, "/results/mine", ("sitting", "comment"))
        site.get(candidate, "/exam/", ("sitting",))
        site.get(grader, "/grading/", ("grader",))
        site.get(lead, "/grading/lead/graders", ("grader", "lead"))
        site.get(
            lead,
            f"/grading/lead/calibration/mark?code={codes[0]}",
            ("essay", "vignette", "prompt", "title"),
        )
    assert len(site.pages) >= 35
