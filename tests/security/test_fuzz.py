"""Fuzzing (hypothesis) of the endpoints that take the most input under time pressure: the MC and
essay autosave, the proctor's actions and incident notes, and the grader's reading (draft and
submit). Malformed fields of every kind: zero 5xx, and a refused request writes nothing at all;
an accepted one writes only what it is about."""

import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from app.extensions import db
from app.models import Answer, Attempt, Seat
from tests.auth.test_roles import ANY_SIGNED_IN, PUBLIC, _endpoints, _url
from tests.conftest import csrf_from
from tests.security.helpers import (
    build_world,
    changed_tables,
    demo_client,
    fingerprint,
    token_of,
)
from tests.security.test_csrf import ACCOUNT, _fields, _role_for, _state_changing

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: numbers as browsers, scripts and attackers send them
NASTY_NUMBERS = [
    "",
    " ",
    "0",
    "-1",
    "+1",
    "1.5",
    "1e3",
    "0x10",
    "²",
    "١٢",
    "１２",
    "\x00",
    "7\x00",
    "2147483647",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "9" * 40,
    "9" * 5000,
]
nasty_number = st.one_of(
    st.sampled_from(NASTY_NUMBERS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=12),
)
nasty_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud7ff\ue000", "<script>alert(1)</script>"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
)


def absent_or(strategy):
    """The field is missing altogether, or present with a value from the strategy."""
    return st.one_of(st.none(), strategy)


def _form(fields: dict) -> dict:
    return {k: v for k, v in fields.items() if v is not None}


def _post(client, url: str, data: dict, token: str):
    response = client.post(url, data=data, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code < 500, (url, data, response.get_data(as_text=True)[:300])
    return response


def _assert_refused_wrote_nothing(app, before, response, data):
    after = fingerprint(app)
    assert after == before, (response.status_code, data, changed_tables(before, after))


def _assert_only(app, before, tables: set[str], data):
    after = fingerprint(app)
    changed = {line.split(":")[0] for line in changed_tables(before, after)}
    assert changed <= tables, (data, changed)


@pytest.fixture
def world(app, runner):
    return build_world(app, runner)


@dataclass
class Sitter:
    client: object
    public_id: str
    token: str
    client_token: str
    keys: list[str]  # item ids (MC) or vignette ids (Part Two)
    options: dict[str, list[str]]


def _sitter(app, email: str, public_id: str) -> Sitter:
    client = demo_client(app, email)
    html = client.get(f"/exam/attempt/{public_id}").get_data(as_text=True)
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        keys = (
            [str(i) for i in attempt.item_order]
            if attempt.part == "MC"
            else [str(v.id) for v in attempt.form.vignettes]
        )
        options = {k: list(v) for k, v in attempt.option_order.items()}
    client_token = re.search(r'data-client="([^"]+)"', html).group(1)
    return Sitter(client, public_id, csrf_from(html), client_token, keys, options)


@pytest.fixture
def mc(app, world):
    return _sitter(app, "candidate02@demo.example", world.open_public_id)


@pytest.fixture
def essay(app, world):
    """candidate03: Part One submitted, Part Two open."""
    from app.exam import services
    from app.models import now_utc

    with app.app_context():
        seat = db.session.get(Seat, world.seat_ids["candidate03@demo.example"])
        now = now_utc()
        services.finalise(services.start_attempt(seat, "MC", now), now, "candidate")
        public_id = services.start_attempt(seat, "VIGNETTE", now).public_id
        db.session.commit()
    return _sitter(app, "candidate03@demo.example", public_id)


def _stored(app, public_id: str, column, key: str):
    with app.app_context():
        return db.session.execute(
            select(Answer.value, Answer.seq)
            .join(Attempt)
            .where(Attempt.public_id == public_id, column == int(key))
        ).first()


@FUZZ
@given(data=st.data())
def test_mc_autosave_fuzz(app, mc, data):
    valid_item = st.sampled_from(mc.keys)
    item = data.draw(absent_or(st.one_of(valid_item, nasty_number)), "item")
    options = mc.options.get(item if isinstance(item, str) else "", ["a"])
    fields = {
        "item": item,
        "option": data.draw(absent_or(st.one_of(st.sampled_from(options), nasty_text)), "option"),
        "flagged": data.draw(absent_or(st.sampled_from(["", "1", "0", "yes", "\x00"])), "flagged"),
        "seq": data.draw(absent_or(st.one_of(st.integers(1, 10**6).map(str), nasty_number)), "seq"),
        "client": data.draw(st.one_of(st.just(mc.client_token), absent_or(nasty_text)), "client"),
    }
    form = _form(fields)
    before = fingerprint(app)
    response = _post(mc.client, f"/exam/attempt/{mc.public_id}/save", form, mc.token)
    if response.status_code != 200:
        _assert_refused_wrote_nothing(app, before, response, form)
        return
    _assert_only(app, before, {"answer", "attempt"}, form)
    value, seq = _stored(app, mc.public_id, Answer.item_id, form["item"])
    assert seq >= int(form["seq"])
    if seq == int(form["seq"]):
        assert value == form.get("option", "")


@FUZZ
@given(data=st.data())
def test_essay_autosave_fuzz(app, essay, data):
    fields = {
        "vignette": data.draw(absent_or(st.one_of(st.sampled_from(essay.keys), nasty_number))),
        "text": data.draw(absent_or(st.one_of(nasty_text, st.just("word " * 13_000)))),
        "chosen": data.draw(absent_or(st.sampled_from(["", "1", "0", "on", "\x00"]))),
        "seq": data.draw(absent_or(st.one_of(st.integers(1, 10**6).map(str), nasty_number))),
        "client": data.draw(st.one_of(st.just(essay.client_token), absent_or(nasty_text))),
    }
    form = _form(fields)
    before = fingerprint(app)
    response = _post(essay.client, f"/exam/attempt/{essay.public_id}/save", form, essay.token)
    if response.status_code != 200:
        _assert_refused_wrote_nothing(app, before, response, form)
        return
    _assert_only(app, before, {"answer", "attempt"}, form)
    value, seq = _stored(app, essay.public_id, Answer.vignette_id, form["vignette"])
    assert seq >= int(form["seq"])
    if seq == int(form["seq"]):
        assert value == form.get("text", "")


ACTIONS = ["admit", "pause", "resume", "extend", "credit"]


@pytest.fixture
def proctor(app, world):
    client = demo_client(app, "proctor@demo.example")
    page = client.get(f"/proctor/sitting/{world.sitting_id}").get_data(as_text=True)
    return client, csrf_from(page)


@FUZZ
@given(data=st.data())
def test_proctor_action_fuzz(app, world, proctor, data):
    client, token = proctor
    seat = str(world.seat_ids["candidate02@demo.example"])
    fields = {
        "action": data.draw(absent_or(st.one_of(st.sampled_from(ACTIONS), nasty_text))),
        "reason": data.draw(
            absent_or(st.one_of(st.just("checked with the candidate"), nasty_text))
        ),
        "minutes": data.draw(absent_or(st.one_of(st.integers(0, 300).map(str), nasty_number))),
        "id_checked": data.draw(absent_or(st.one_of(st.just("yes"), nasty_text))),
        "id_note": data.draw(absent_or(nasty_text)),
    }
    form = _form(fields)
    url = f"/proctor/seat/{seat}/act"
    before = fingerprint(app)
    response = _post(client, url, form, token)
    if response.status_code != 200:
        _assert_refused_wrote_nothing(app, before, response, form)
        return
    _assert_only(app, before, {"attempt", "seat", "audit_event"}, form)


@FUZZ
@given(data=st.data())
def test_incident_note_fuzz(app, world, proctor, data):
    client, token = proctor
    fields = {
        "seat": data.draw(absent_or(st.one_of(st.sampled_from(["", "1"]), nasty_number))),
        "category": data.draw(absent_or(st.one_of(st.just("technical"), nasty_text))),
        "note": data.draw(absent_or(st.one_of(st.just("Fire alarm at 10:40"), nasty_text))),
    }
    form = _form(fields)
    before = fingerprint(app)
    response = client.post(
        f"/proctor/sitting/{world.sitting_id}/incident", data=form, headers={"X-CSRFToken": token}
    )
    assert response.status_code < 500, (form, response.get_data(as_text=True)[:300])
    if response.status_code != 302:
        _assert_refused_wrote_nothing(app, before, response, form)
        return
    _assert_only(app, before, {"incident", "audit_event"}, form)


@pytest.fixture
def reader(app, world):
    client = demo_client(app, "grader1@demo.example")
    url = f"/grading/read/{world.reading_code}"
    html = client.get(url).get_data(as_text=True)
    criteria = sorted(set(re.findall(r'name="rating-([^"]+)"', html)))
    assert criteria
    return client, url, csrf_from(html), criteria


@FUZZ
@given(data=st.data())
def test_reading_draft_and_submit_fuzz(app, reader, data):
    client, url, token, criteria = reader
    fields = {}
    for code in [*criteria, data.draw(nasty_text, "unknown criterion")]:
        fields[f"rating-{code}"] = data.draw(
            absent_or(st.one_of(st.sampled_from(["1", "2", "3", "4"]), nasty_number))
        )
        fields[f"comment-{code}"] = data.draw(absent_or(nasty_text))
    fields["overall"] = data.draw(absent_or(nasty_text))
    form = _form(fields)
    submit = data.draw(st.booleans(), "submit")
    before = fingerprint(app)
    response = _post(client, url if submit else f"{url}/draft", form, token)
    if response.status_code not in (200, 302):
        _assert_refused_wrote_nothing(app, before, response, form)
        return
    _assert_only(app, before, {"reading", "resolution", "audit_event", "result"}, form)


HUGE_IDS = ["2147483648", "9223372036854775808", "9" * 30]


def test_huge_ids_in_urls_are_not_found(app, world):
    """Every route with a number in its URL, opened by a role allowed there, with numbers past
    the database's integer: 'not found', never a database overflow (500)."""
    clients, checked = {}, 0
    for endpoint, rule, methods, placeholder in _endpoints(app):
        ints = {n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)}
        if not ints or endpoint in PUBLIC | ANY_SIGNED_IN:
            continue
        role = app.view_functions[endpoint].allowed_roles[0]
        if role not in clients:
            client = demo_client(app, ACCOUNT[role])
            clients[role] = (client, token_of(client))
        client, token = clients[role]
        for huge in HUGE_IDS:
            args = world.url_args() | {name: huge for name in ints}
            url = _url(app, endpoint, {name: args.get(name, "1") for name in placeholder})
            for method in methods:
                before = fingerprint(app)
                response = client.open(url, method=method, headers={"X-CSRFToken": token})
                assert response.status_code in (404, 422), (method, url, response.status_code)
                assert fingerprint(app) == before, (method, url)
                checked += 1
    assert checked > 20


def test_nul_anywhere_is_refused_before_the_database(app, world):
    """PostgreSQL cannot take NUL even as a query parameter: sign-in, a URL, a form field and a
    field name with NUL get a clear 4xx and write nothing (not even a failed sign-in)."""
    anonymous = app.test_client()
    token = csrf_from(anonymous.get("/login").get_data(as_text=True))
    before = fingerprint(app)
    response = anonymous.post(
        "/login",
        data={"email": "candidate02\x00@demo.example", "password": "x", "csrf_token": token},
    )
    assert response.status_code == 422
    assert "Email contains a character that cannot be stored" in response.get_data(as_text=True)
    candidate = demo_client(app, "candidate02@demo.example")
    token = csrf_from(candidate.get("/exam/").get_data(as_text=True))
    for url in ("/exam/attempt/ab%00cd", "/grading/read/%00", "/exam/seat/1/MC%00"):
        assert candidate.get(url).status_code == 404, url
    save = f"/exam/attempt/{world.open_public_id}/save"
    for data in ({"text": "a\x00b"}, {"item\x00": "1"}, {"seq": "1", "client": "\x00"}):
        response = candidate.post(save, data=data, headers={"X-CSRFToken": token})
        assert response.status_code == 422, data
    after = fingerprint(app)
    assert after == before, changed_tables(before, after)


@pytest.mark.parametrize("nasty", ["²", "٣", "9" * 5000, "2147483648", "-1", " ", "<b>x</b>"])
def test_every_state_changing_endpoint_survives_nasty_fields(app, world, nasty):
    """Generated from app.url_map: each POST endpoint, called by a role allowed there, with every
    field any form of the app sends set to the same malformed value: never a 5xx, and a refusal
    writes nothing."""
    fields = dict.fromkeys(_fields(app, world), nasty)
    fields |= {f"rating-{c}": nasty for c in ("REFL", "THINK", "WWO", "DIRECT")}
    clients = {}
    for endpoint, method, url in _state_changing(app, world):
        role = _role_for(app, endpoint)
        if role not in clients:
            client = app.test_client() if role is None else demo_client(app, ACCOUNT[role])
            clients[role] = (client, token_of(client, "/login" if role is None else None))
        client, token = clients[role]
        before = fingerprint(app)
        response = client.open(url, method=method, data=fields, headers={"X-CSRFToken": token})
        assert response.status_code < 500, (
            endpoint,
            nasty[:20],
            response.get_data(as_text=True)[-300:],
        )
        if response.status_code >= 400:
            changed = changed_tables(before, fingerprint(app))
            if endpoint == "auth.login":  # a failed sign-in is counted: that is the rate limit
                changed = [c for c in changed if not c.startswith("login_failure:")]
            assert changed == [], (endpoint, changed)


@pytest.mark.parametrize("nasty", ["²", "9" * 5000, "-1", "%", "<b>", "\ud7ff"])
def test_every_page_survives_nasty_query_parameters(app, world, nasty):
    """Generated from app.url_map: each GET page, opened by a role allowed there, with every
    query parameter the app reads set to a malformed value: never a 5xx."""
    query = dict.fromkeys(("version", "window", "code", "day", "next", "by", "group"), nasty)
    args = world.url_args() | {
        "seat_id": str(world.seat_ids["candidate02@demo.example"]),
        "code": "IMH-P1-SAMPLE",
        "key": "IMH-001",
    }
    clients = {}
    for endpoint, _rule, methods, placeholder in _endpoints(app):
        if "GET" not in methods or endpoint == "static":
            continue
        role = _role_for(app, endpoint)
        if role not in clients:
            clients[role] = app.test_client() if role is None else demo_client(app, ACCOUNT[role])
        url = _url(app, endpoint, {name: args.get(name, "1") for name in placeholder})
        response = clients[role].get(url, query_string=query)
        assert response.status_code < 500, (endpoint, nasty[:20], response.status_code)
