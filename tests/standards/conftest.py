"""A Part One form of four items with a little history (tests/analysis_pages), staff accounts
and a study of the form opened through the coordinator's page."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AngoffStudy, Form
from tests.analysis_pages.conftest import build_world
from tests.conftest import csrf_from, sign_in

STUDIES = "/coordinator/analytics/standard-setting"


@dataclass
class Signed:
    client: object
    user: object
    token: str

    def post(self, url: str, **data):
        return self.client.post(url, data={**data, "csrf_token": self.token})


def signed(app, create_user_, role: str, name: str | None = None) -> Signed:
    user = create_user_(role, name=name)
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    return Signed(client, user, token)


@pytest.fixture
def world(app):
    with app.app_context():
        built = build_world()
        db.session.commit()
        return built


@pytest.fixture
def people(app, create_user_):
    """A coordinator, two panellists (a grader and a proctor), a bystanding grader, a candidate."""
    return {
        "coordinator": signed(app, create_user_, "coordinator", "Cora Ordinator"),
        "ann": signed(app, create_user_, "grader", "Ann Panel"),
        "ben": signed(app, create_user_, "proctor", "Ben Panel"),
        "outsider": signed(app, create_user_, "grader", "Otto Side"),
        "candidate": signed(app, create_user_, "candidate"),
    }


def open_study(app, coordinator: Signed, form_id: int, name: str = "Spring panel") -> int:
    response = coordinator.post(STUDIES, form_id=str(form_id), name=name)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        return db.session.scalar(select(AngoffStudy.id).where(AngoffStudy.name == name))


def add(coordinator: Signed, study_id: int, user) -> None:
    response = coordinator.post(f"{STUDIES}/{study_id}/panellists", user_id=str(user.id))
    assert response.status_code == 302, response.get_data(as_text=True)


def item_ids(app, form_id: int) -> dict[str, int]:
    with app.app_context():
        return {item.key: item.id for item in db.session.get(Form, form_id).items}


def rate_all(panellist: Signed, study_id: int, ids: dict[str, int], values: dict[str, int]):
    for key, value in values.items():
        url = f"/standard-setting/{study_id}/items/{ids[key]}"
        response = panellist.post(url, value=str(value))
        assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def study(app, world, people):
    """A round-one study of the world's form with Ann and Ben on the panel."""
    study_id = open_study(app, people["coordinator"], world.form_id)
    add(people["coordinator"], study_id, people["ann"].user)
    add(people["coordinator"], study_id, people["ben"].user)
    return study_id
