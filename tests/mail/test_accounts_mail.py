"""People, invitations and password resets, with every message received by a real SMTP server."""

import io
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccountToken, AuditEvent, LoginFailure, MailMessage, User, now_utc
from tests.conftest import csrf_from, sign_in
from tests.smtp import link_in, text_of

PEOPLE = "/coordinator/people"


def post_from(client, page: str, url: str | None = None, data: dict | None = None, **kw):
    """POST a form with the CSRF token of the page it is on (to the page itself by default)."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url or page, data={**(data or {}), "csrf_token": token}, **kw)


def _add_person(coordinator, data: dict):
    """People → Add a person, which invites them."""
    return post_from(coordinator, f"{PEOPLE}/new", data=data)


def _import_csv(coordinator, csv: str):
    """People → Import a cohort, with the CSV text as the uploaded file."""
    upload = {"file": (io.BytesIO(csv.encode()), "cohort.csv")}
    return post_from(
        coordinator, f"{PEOPLE}/import", data=upload, content_type="multipart/form-data"
    )


def _forgot(client, email: str, **kw):
    """Forgot password? for the address."""
    return post_from(client, "/password/forgot", data={"email": email}, **kw)


def _set_password(client, path: str, new: str, confirm: str | None = None):
    """The set-password page of an emailed link, filled in."""
    return post_from(client, path, data={"new": new, "confirm": confirm or new})


def _link_path(app, message) -> str:
    """The path of the set-password link a message carries."""
    return link_in(message, "/password/set/").removeprefix(app.config["PUBLIC_URL"])


def _locked_out(app, email: str):
    """Ten failed sign-ins for the address: a new client's sign-in is refused (429)."""
    with app.app_context():
        db.session.add_all(
            [LoginFailure(email=email, address="127.0.0.1", at=now_utc()) for _ in range(10)]
        )
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, email).status_code == 429
    return client


def _user(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_new_person_is_invited_and_the_link_sets_a_password_once(app, coordinator, smtp, client):
    data = {"name": "Nia Okafor", "email": "Nia@Test.example", "role": "candidate"}
    response = _add_person(coordinator, data | {"tracks": "IMH-SPECIALIST"})
    assert response.status_code == 302
    message = smtp.one("nia@test.example", "account")
    url = link_in(message, "/password/set/")
    assert url.startswith(app.config["PUBLIC_URL"])
    assert "expires in 7 days" in text_of(message)
    with app.app_context():
        nia = db.session.scalar(select(User).where(User.email == "nia@test.example"))
        assert nia.approved_tracks == ["IMH-SPECIALIST"]
    path = url.removeprefix(app.config["PUBLIC_URL"])
    assert sign_in(client, "nia@test.example", "chosen-password-1").status_code == 401
    assert _set_password(client, path, "chosen-password-1").status_code == 302
    assert sign_in(client, "nia@test.example", "chosen-password-1").status_code == 302
    assert client.get(path).status_code == 404  # single use
    with app.app_context():
        stored = db.session.scalar(select(AccountToken.token_hash))
        assert stored != path.rsplit("/", 1)[1] and len(stored) == 64  # only the hash is kept
        sent = db.session.scalar(select(MailMessage).where(MailMessage.kind == "invitation"))
        assert sent.status == "sent" and "/password/set/" not in sent.body_text
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"user.created", "user.invited", "user.password_set"} <= actions


def test_the_invitation_expires(app, coordinator, smtp, client):
    _add_person(coordinator, {"name": "Late Lee", "email": "late@test.example", "role": "grader"})
    path = _link_path(app, smtp.one("late@test.example"))
    with time_machine.travel(now_utc() + timedelta(days=7, minutes=1)):
        assert client.get(path).status_code == 404
        page = client.get(f"{PEOPLE}/")  # anonymous: only the sign-in page
        assert page.status_code == 302


def test_forgot_password_answers_the_same_for_unknown_emails(app, create_user_, smtp, client):
    create_user_("candidate", email="known@test.example")
    known = _forgot(client, "known@test.example", follow_redirects=True)
    unknown = _forgot(client, "nobody@test.example", follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: r.get_data(as_text=True).replace(csrf_from(r.get_data(as_text=True)), "")  # noqa: E731
    assert strip(known) == strip(unknown)
    assert "If an account uses that address" in known.get_data(as_text=True)
    assert [m["To"] for m in smtp.messages] == ["known@test.example"]
    assert "expires in 60 minutes" in text_of(smtp.messages[0])


def test_a_reset_link_ends_other_sessions_clears_limits_and_expires_in_an_hour(
    app, signed_in, smtp, create_user_
):
    other_browser, user = signed_in("candidate", email="rosa@test.example")
    fresh = _locked_out(app, user.email)
    _forgot(fresh, user.email)
    _forgot(fresh, user.email)  # within a minute: no second email
    assert len(smtp.to(user.email)) == 1
    later = now_utc() + timedelta(minutes=2)
    with time_machine.travel(later):
        _forgot(fresh, user.email)
    first, second = (link_in(m, "/password/set/") for m in smtp.to(user.email))
    base = app.config["PUBLIC_URL"]
    assert fresh.get(first.removeprefix(base)).status_code == 404  # a newer link replaced it
    path = second.removeprefix(base)
    with time_machine.travel(later + timedelta(minutes=61)):
        assert fresh.get(path).status_code == 404
    with time_machine.travel(later + timedelta(minutes=59)):
        assert fresh.get(path).status_code == 200
    response = _set_password(fresh, path, "a-new-password-2")
    assert response.status_code == 302
    assert other_browser.get("/exam/").status_code == 302  # its session ended
    assert sign_in(fresh, user.email, "a-new-password-2").status_code == 302  # limits cleared
    assert _count(app, LoginFailure) == 0


def test_a_mismatched_password_changes_nothing_and_keeps_the_link(app, create_user_, smtp, client):
    user = create_user_("candidate")
    _forgot(client, user.email)
    path = _link_path(app, smtp.one(user.email))
    response = _set_password(client, path, "a-new-password-2", confirm="different-pass")
    assert response.status_code == 422 and "differ" in response.get_data(as_text=True)
    assert client.get(path).status_code == 200
    assert sign_in(client, user.email).status_code == 302  # the old password still works


def test_disabling_ends_sessions_and_refuses_sign_in_until_enabled(app, coordinator, create_user_):
    user = create_user_("candidate", email="dana@test.example")
    theirs = app.test_client()
    assert sign_in(theirs, user.email).status_code == 302
    page = f"{PEOPLE}/{user.id}"
    assert post_from(coordinator, page, f"{page}/disable").status_code == 302
    assert theirs.get("/exam/").status_code == 302
    assert sign_in(theirs, user.email).status_code == 401
    assert post_from(coordinator, page, f"{page}/enable").status_code == 302
    assert sign_in(theirs, user.email).status_code == 302
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("user.%abled"))
                .order_by(AuditEvent.id)
            )
        )
        assert actions == ["user.disabled", "user.enabled"]


def test_unlock_clears_the_sign_in_limit(app, coordinator, create_user_):
    user = create_user_("proctor")
    theirs = _locked_out(app, user.email)
    page = f"{PEOPLE}/{user.id}"
    assert "10 failed sign-ins" in coordinator.get(page).get_data(as_text=True)
    assert post_from(coordinator, page, f"{page}/unlock").status_code == 302
    assert sign_in(theirs, user.email).status_code == 302
    with app.app_context():
        assert db.session.scalar(
            select(AuditEvent.action).where(AuditEvent.action == "user.unlocked")
        )


def test_edit_changes_details_and_tracks_audited(app, coordinator, create_user_):
    user = create_user_("candidate", tracks=["IMH-SPECIALIST"])
    page = f"{PEOPLE}/{user.id}"
    data = {
        "name": "Renamed Person",
        "email": "renamed@test.example",
        "role": "candidate",
        "tracks": ["ECMH-SPECIALIST"],
    }
    assert post_from(coordinator, page, f"{page}/edit", data).status_code == 302
    changed = _user(app, "renamed@test.example")
    assert changed.name == "Renamed Person"
    with app.app_context():
        assert db.session.get(User, user.id).approved_tracks == ["ECMH-SPECIALIST"]
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"user.updated", "approval.granted", "approval.withdrawn"} <= actions


def test_bad_edit_is_422_and_changes_nothing(app, coordinator, create_user_):
    user = create_user_("candidate")
    other = create_user_("candidate")
    page = f"{PEOPLE}/{user.id}"
    data = {"name": "", "email": other.email, "role": "wizard"}
    response = post_from(coordinator, page, f"{page}/edit", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        "name: is empty" in body
        and "already exists" in body
        and "role: &#39;wizard&#39; is unknown" in body
    )
    assert _user(app, user.email).name == user.name


def test_people_list_searches_and_pages(app, coordinator, create_user_):
    for n in range(30):
        create_user_("candidate", name=f"Zed Person {n:02d}")
    create_user_("grader", name="Yara Grader")
    first = coordinator.get(f"{PEOPLE}/?q=zed").get_data(as_text=True)
    assert "30 people found" in first and "Page 1 of 2" in first and "Yara" not in first
    second = coordinator.get(f"{PEOPLE}/?q=zed&page=2").get_data(as_text=True)
    assert "Zed Person 29" in second and "Zed Person 00" not in second
    graders = coordinator.get(f"{PEOPLE}/?role=grader").get_data(as_text=True)
    assert "Yara Grader" in graders and "Zed Person" not in graders


def test_csv_import_with_semicolons_and_a_bom_invites_everyone(app, coordinator, smtp):
    csv = "\ufeffemail;name;role;tracks\nann@test.example;Ann A;;IMH-SPECIALIST ECMH-SPECIALIST\nbo@test.example;Bo B;grader;\n"
    response = _import_csv(coordinator, csv)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _user(app, "ann@test.example").role == "candidate"
    with app.app_context():
        ann = db.session.scalar(select(User).where(User.email == "ann@test.example"))
        assert ann.approved_tracks == ["ECMH-SPECIALIST", "IMH-SPECIALIST"]
    assert sorted(m["To"] for m in smtp.messages) == ["ann@test.example", "bo@test.example"]


def test_csv_import_names_every_bad_row_and_changes_nothing(app, coordinator, smtp):
    csv = (
        "email,name,role,tracks\n"
        "ok@test.example,Okay,candidate,\n"
        "broken,Bad Email,candidate,\n"
        "ok@test.example,,wizard,NOPE\n"
    )
    before = _count(app, User)
    response = _import_csv(coordinator, csv)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for line in (
        "row 3: email: &#39;broken&#39; is not a valid address",
        "row 4: name: is empty",
        "row 4: role: &#39;wizard&#39; is unknown",
        "row 4: tracks: &#39;NOPE&#39; is unknown",
        "row 4: email: ok@test.example repeats row 2",
    ):
        assert line in body
    assert _count(app, User) == before and _count(app, MailMessage) == 0 and smtp.messages == []


def test_csv_with_passwords_is_refused_in_the_browser(app, coordinator):
    csv = "email,name,role,tracks,password\nx@test.example,X,candidate,,secret-password\n"
    response = _import_csv(coordinator, csv)
    assert response.status_code == 422 and "row 1: password:" in response.get_data(as_text=True)


def test_cli_invites_by_default(app, runner, smtp, tmp_path):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "cli@test.example",
            "--name",
            "Cli",
            "--role",
            "proctor",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "/password/set/" in link_in(smtp.one("cli@test.example"), "/password/set/")
    path = tmp_path / "cohort.csv"
    path.write_text(
        "email,name,role,tracks\ncsv@test.example,Csv Person,candidate,IMH-SPECIALIST\n"
    )
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert smtp.one("csv@test.example")


def test_approvals_and_the_seat_picker_search_instead_of_listing_everyone(
    app, coordinator, create_user_, sitting
):
    for n in range(60):
        create_user_("candidate", name=f"Bulk Person {n:02d}", tracks=["IMH-SPECIALIST"])
    create_user_("candidate", name="Quinn Rare", tracks=["IMH-SPECIALIST"])
    approvals = coordinator.get("/coordinator/schedule/approvals").get_data(as_text=True)
    assert "Page 1 of 3" in approvals and approvals.count("<tr>") <= 26
    found = coordinator.get("/coordinator/schedule/approvals?q=quinn").get_data(as_text=True)
    assert "Quinn Rare" in found and "Bulk Person" not in found
    picker = coordinator.get(f"/coordinator/schedule/sittings/{sitting.id}").get_data(as_text=True)
    assert "50 of 61 shown" in picker
    narrowed = coordinator.get(f"/coordinator/schedule/sittings/{sitting.id}?q=rare")
    assert "Quinn Rare" in narrowed.get_data(as_text=True)
    assert "Bulk Person" not in narrowed.get_data(as_text=True)


def test_a_coordinator_changing_their_own_email_stays_signed_in(app, signed_in):
    client, me = signed_in("coordinator", email="me@test.example")
    page = f"{PEOPLE}/{me.id}"
    data = {"name": me.name, "email": "me.new@test.example", "role": "coordinator"}
    assert post_from(client, page, f"{page}/edit", data).status_code == 302
    assert client.get(f"{PEOPLE}/").status_code == 200
    refused = post_from(client, page, f"{page}/edit", {**data, "role": "grader"})
    assert refused.status_code == 422 and "cannot change your own role" in refused.get_data(
        as_text=True
    )
    assert post_from(client, page, f"{page}/disable").status_code == 409
