"""Standard setting: constraints, who may see what, the rounds, the figures, adoption, export."""

import csv
import io
import math

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    AngoffPanellist,
    AngoffRating,
    AngoffStudy,
    AuditEvent,
    Form,
    Result,
)
from app.standards import angoff
from tests.standards.conftest import STUDIES, add, item_ids, open_study, rate_all

# Hand-worked: Ann 60+70+80+90 = 300 -> 3.00 raw; Ben 50+50+60+80 = 240 -> 2.40 raw.
# Recommended cut (3.00 + 2.40) / 2 = 2.70 of 4 = 67.50 %; SD of the cuts 0.6 / sqrt 2 = 0.4243,
# SE 0.4243 / sqrt 2 = 0.30. First-attempt results of T-P1: 100 % and 25 %: one of two passes.
ANN = {"T-001": 60, "T-002": 70, "T-003": 80, "T-004": 90}
BEN = {"T-001": 50, "T-002": 50, "T-003": 60, "T-004": 80}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- constraints -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change", [{"value": 42}, {"value": 105}, {"value": -5}, {"round": 3}], ids=str
)
def test_rating_constraints_refuse_off_step_values_and_unknown_rounds(app, study, people, change):
    with app.app_context():
        item_id = db.session.get(AngoffStudy, study).form.items[0].id
        fields = dict(study_id=study, user_id=people["ann"].user.id, item_id=item_id, round=1,
                      value=50) | change  # fmt: skip
        db.session.add(AngoffRating(**fields))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_one_rating_per_item_and_round_and_one_seat_per_panellist(app, study, people):
    with app.app_context():
        item_id = db.session.get(AngoffStudy, study).form.items[0].id
        ann = people["ann"].user.id
        db.session.add(AngoffRating(study_id=study, user_id=ann, item_id=item_id, round=1,
                                    value=50))  # fmt: skip
        db.session.add(AngoffRating(study_id=study, user_id=ann, item_id=item_id, round=2,
                                    value=55))  # fmt: skip
        db.session.flush()  # rounds one and two may both hold a rating
        db.session.add(AngoffRating(study_id=study, user_id=ann, item_id=item_id, round=2,
                                    value=60))  # fmt: skip
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.add(AngoffPanellist(study_id=study, user_id=ann))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_study_status_is_constrained(app, study):
    with app.app_context():
        db.session.get(AngoffStudy, study).status = "round3"
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


# --- who may see what ------------------------------------------------------------------------


def test_only_coordinators_run_studies(study, people):
    for who in ("ann", "outsider", "candidate"):
        client = people[who].client
        assert client.get(STUDIES).status_code == 403
        assert client.get(f"{STUDIES}/{study}").status_code == 403
        assert people[who].post(f"{STUDIES}/{study}/advance", to="round2").status_code == 403


def test_people_off_the_panel_cannot_see_or_rate(app, world, study, people):
    ids = item_ids(app, world.form_id)
    rate_url = f"/standard-setting/{study}/items/{ids['T-001']}"
    assert people["candidate"].client.get(f"/standard-setting/{study}").status_code == 403
    assert people["candidate"].post(rate_url, value="50").status_code == 403
    outsider = people["outsider"]
    page = outsider.client.get(f"/standard-setting/{study}")
    assert page.status_code == 404
    assert "Spring panel" not in page.get_data(as_text=True)
    assert outsider.post(rate_url, value="50").status_code == 404
    assert "Spring panel" not in outsider.client.get("/standard-setting").get_data(as_text=True)
    with app.app_context():
        assert _count(AngoffRating) == 0


def test_a_panellist_cannot_see_another_study(app, world, study, people):
    other = open_study(app, people["coordinator"], world.form_id, name="Autumn panel")
    add(people["coordinator"], other, people["ben"].user)
    ann = people["ann"]
    assert ann.client.get(f"/standard-setting/{other}").status_code == 404
    ids = item_ids(app, world.form_id)
    assert (
        ann.post(f"/standard-setting/{other}/items/{ids['T-001']}", value="50").status_code == 404
    )
    mine = ann.client.get("/standard-setting").get_data(as_text=True)
    assert "Spring panel" in mine and "Autumn panel" not in mine
    with app.app_context():
        assert _count(AngoffRating) == 0


def test_staff_menus_lead_to_their_studies(people):
    for who in ("ann", "ben"):
        home = people[who].client.get("/", follow_redirects=True).get_data(as_text=True)
        assert 'href="/standard-setting"' in home
    analytics = people["coordinator"].client.get("/coordinator/analytics/")
    assert f'href="{STUDIES}"' in analytics.get_data(as_text=True)


# --- rating and rounds -----------------------------------------------------------------------


def test_bad_ratings_are_refused_and_change_nothing(app, world, study, people):
    ids = item_ids(app, world.form_id)
    ann = people["ann"]
    for value in ("42", "105", "-5", "fifty", "", "٥٠"):
        response = ann.post(f"/standard-setting/{study}/items/{ids['T-001']}", value=value)
        assert response.status_code == 400, value
        assert "steps of 5" in response.get_data(as_text=True)
    assert ann.post(f"/standard-setting/{study}/items/999999", value="50").status_code == 404
    with app.app_context():
        assert _count(AngoffRating) == 0


def test_round_one_shows_no_statistics_and_round_two_does(app, world, study, people):
    ids = item_ids(app, world.form_id)
    rate_all(people["ann"], study, ids, ANN)
    rate_all(people["ben"], study, ids, BEN)
    first = people["ann"].client.get(f"/standard-setting/{study}").get_data(as_text=True)
    assert "Stem of T-001 v1" in first and "Option a of T-001" in first
    assert "p =" not in first and "median" not in first and "0.67" not in first
    assert '<option value="60" selected>' in first  # her own round-one rating, nothing else

    assert people["coordinator"].post(f"{STUDIES}/{study}/advance", to="round2").status_code == 302
    second = people["ann"].client.get(f"/standard-setting/{study}").get_data(as_text=True)
    # T-001: two of three closed first attempts answered a (c1, c2; c3 chose b): p = 0.67
    assert "p = 0.67" in second
    # the panel's round one for T-001 was 60 and 50
    assert "min 50, median 55, max 60 (2 ratings)" in second
    assert '<option value="60" selected>' in second  # prefilled with her round-one value


def test_round_two_revisions_replace_round_one_in_the_cut(app, world, study, people):
    ids = item_ids(app, world.form_id)
    rate_all(people["ann"], study, ids, ANN)
    rate_all(people["ben"], study, ids, BEN)
    people["coordinator"].post(f"{STUDIES}/{study}/advance", to="round2")
    rate_all(people["ben"], study, ids, {"T-001": 70})  # 240 - 50 + 70 = 260 -> 2.60
    page = people["coordinator"].client.get(f"{STUDIES}/{study}").get_data(as_text=True)
    assert '<span id="cut-raw">2.80</span>' in page  # (3.00 + 2.60) / 2
    with app.app_context():
        rounds = db.session.execute(
            select(AngoffRating.round, func.count()).group_by(AngoffRating.round)
        ).all()
        assert dict(rounds) == {1: 8, 2: 1}


def test_closed_study_refuses_ratings(app, world, study, people):
    coordinator, ids = people["coordinator"], item_ids(app, world.form_id)
    coordinator.post(f"{STUDIES}/{study}/advance", to="round2")
    coordinator.post(f"{STUDIES}/{study}/advance", to="closed")
    response = people["ann"].post(f"/standard-setting/{study}/items/{ids['T-001']}", value="50")
    assert response.status_code == 409
    assert coordinator.post(f"{STUDIES}/{study}/advance", to="round2").status_code == 409
    with app.app_context():
        assert _count(AngoffRating) == 0


# --- figures, adoption, export ---------------------------------------------------------------


def test_study_page_figures_equal_the_angoff_arithmetic(app, world, study, people, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_MIN_GROUP", 1)
    ids = item_ids(app, world.form_id)
    rate_all(people["ann"], study, ids, ANN)
    rate_all(people["ben"], study, ids, BEN)
    page = people["coordinator"].client.get(f"{STUDIES}/{study}").get_data(as_text=True)
    ratings = pd.DataFrame([ANN, BEN], index=["Ann Panel", "Ben Panel"])
    expected = angoff.recommended_cut(ratings)
    assert math.isclose(expected["cut_raw"], 2.70) and math.isclose(expected["se_raw"], 0.30)
    assert '<span id="cut-raw">2.70</span>' in page
    assert '<strong id="cut-percent">67.50 %</strong>' in page
    assert '<dd id="cut-se">0.30 raw (7.50 %)</dd>' in page
    assert "2.40 to 3.00 raw, SD 0.42" in page
    assert "50.0 % of first attempts would have passed (1 of 2)" in page
    assert '<td>Ann Panel</td><td class="num">3.00</td><td class="num">75.00</td>' in page


def test_impact_is_withheld_below_the_minimum_group(app, world, study, people):
    ids = item_ids(app, world.form_id)
    rate_all(people["ann"], study, ids, ANN)
    page = people["coordinator"].client.get(f"{STUDIES}/{study}").get_data(as_text=True)
    assert "fewer than 5, so the impact is not shown" in page
    assert "would have passed" not in page


def test_adopt_makes_a_new_form_version_and_leaves_results_alone(app, world, study, people):
    coordinator, ids = people["coordinator"], item_ids(app, world.form_id)
    rate_all(people["ann"], study, ids, ANN)
    rate_all(people["ben"], study, ids, BEN)
    assert coordinator.post(f"{STUDIES}/{study}/adopt").status_code == 409  # still open
    with app.app_context():
        before = db.session.execute(
            select(Result.id, Result.percent, Result.passed).order_by(Result.id)
        ).all()
    coordinator.post(f"{STUDIES}/{study}/advance", to="round2")
    coordinator.post(f"{STUDIES}/{study}/advance", to="closed")
    assert coordinator.post(f"{STUDIES}/{study}/adopt").status_code == 302
    with app.app_context():
        forms = db.session.scalars(select(Form).where(Form.code == "T-P1").order_by(Form.version))
        old, new = forms.all()
        assert (old.version, old.pass_mark) == (1, 75)
        assert (new.version, new.pass_mark) == (2, 67.5)
        assert [e.item_id for e in new.entries] == [e.item_id for e in old.entries]
        after = db.session.execute(
            select(Result.id, Result.percent, Result.passed).order_by(Result.id)
        ).all()
        assert after == before
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "angoff.adopt"))
        assert event.actor_id == coordinator.user.id and event.subject_id == str(new.id)
        assert event.data["pass_mark"] == 67.5 and event.data["previous_pass_mark"] == 75
        assert db.session.get(AngoffStudy, study).adopted_form_id == new.id
    assert coordinator.post(f"{STUDIES}/{study}/adopt").status_code == 409  # only once
    with app.app_context():
        assert _count(Form) == 2  # T-P1 v1 and v2: the refused second adoption made none


def test_ratings_export_columns(app, world, study, people):
    ids = item_ids(app, world.form_id)
    rate_all(people["ann"], study, ids, ANN)
    response = people["coordinator"].client.get(f"{STUDIES}/{study}/ratings.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["study", "form", "version", "round", "panellist", "email",
                             "item_id", "rating", "saved_at"]  # fmt: skip
    assert {(r["panellist"], r["item_id"], int(r["rating"])) for r in rows} == {
        ("Ann Panel", key, value) for key, value in ANN.items()
    }
    xlsx = people["coordinator"].client.get(f"{STUDIES}/{study}/ratings.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert people["coordinator"].client.get(f"{STUDIES}/{study}/ratings.txt").status_code == 404


def test_panel_takes_staff_accounts_only(app, study, people):
    coordinator = people["coordinator"]
    candidate = people["candidate"].user
    response = coordinator.post(f"{STUDIES}/{study}/panellists", user_id=str(candidate.id))
    assert response.status_code == 400
    assert coordinator.post(f"{STUDIES}/{study}/panellists", user_id="x").status_code == 400
    again = coordinator.post(f"{STUDIES}/{study}/panellists", user_id=str(people["ann"].user.id))
    assert again.status_code == 409
    with app.app_context():
        assert _count(AngoffPanellist) == 2


def test_opening_needs_a_name_and_a_part_one_form(app, world, people):
    coordinator = people["coordinator"]
    assert coordinator.post(STUDIES, form_id=str(world.form_id), name=" ").status_code == 400
    assert coordinator.post(STUDIES, form_id="999999", name="X").status_code == 400
    with app.app_context():
        assert _count(AngoffStudy) == 0


def test_adopt_is_refused_when_a_newer_form_version_exists(app, world, study, people):
    coordinator, ids = people["coordinator"], item_ids(app, world.form_id)
    rate_all(people["ann"], study, ids, ANN)
    coordinator.post(f"{STUDIES}/{study}/advance", to="round2")
    coordinator.post(f"{STUDIES}/{study}/advance", to="closed")
    with app.app_context():
        old = db.session.get(Form, world.form_id)
        newer = Form(code=old.code, version=2, title=old.title, endorsement=old.endorsement,
                     part="MC", duration_minutes=90, pass_mark=70, content_hash="n" * 64)  # fmt: skip
        db.session.add(newer)
        db.session.commit()
    response = coordinator.post(f"{STUDIES}/{study}/adopt")
    assert response.status_code == 409
    assert "newer version (v2)" in response.get_data(as_text=True)
    with app.app_context():
        assert _count(Form) == 2
        assert db.session.get(AngoffStudy, study).adopted_form_id is None
