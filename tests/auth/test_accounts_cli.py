"""Accounts from the CLI: one with a prompted password, a cohort from CSV, per-row errors."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Approval, User
from tests.conftest import csrf_from, sign_in


def count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_users_create_reads_password_from_stdin(app, runner, client):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "new@test.example",
            "--name",
            "New Person",
            "--role",
            "candidate",
            "--track",
            "IMH-SPECIALIST",
            "--with-password",
        ],
        input="a-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert sign_in(client, "new@test.example", "a-long-password").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Approval.track)) == "IMH-SPECIALIST"


def test_users_create_refuses_unknown_role(app, runner):
    result = runner.invoke(
        args=["users", "create", "--email", "x@test.example", "--name", "X", "--role", "wizard"]
        + ["--with-password"],
        input="a-long-password\n",
    )
    assert result.exit_code != 0 and "role: 'wizard' is unknown" in result.output
    assert count_users(app) == 0


def test_users_import_creates_a_cohort(app, runner, tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(
        "email,name,role,tracks,password\n"
        "a@test.example,Ann A,candidate,IMH-SPECIALIST,first-password\n"
        "b@test.example,Ben B,candidate,ECMH-MENTOR-POLICY,second-password\n"
    )
    result = runner.invoke(args=["users", "import", str(path), "--with-passwords"])
    assert result.exit_code == 0, result.output
    assert count_users(app) == 2


def test_users_import_names_every_bad_row_and_imports_nothing(app, runner, tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(
        "email,name,role,tracks,password\n"
        "good@test.example,Good,candidate,IMH-SPECIALIST,first-password\n"
        "not-an-email,Bad,candidate,,second-password\n"
        "good@test.example,Again,candidate,NOPE,third-password\n"
    )
    result = runner.invoke(args=["users", "import", str(path), "--with-passwords"])
    assert result.exit_code != 0
    assert "row 3: email: 'not-an-email' is not a valid address" in result.output
    assert "row 4: tracks: 'NOPE' is unknown" in result.output
    assert "row 4: email: good@test.example repeats row 2" in result.output
    assert count_users(app) == 0


def test_demo_is_idempotent_and_every_account_signs_in(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    users = count_users(app)
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and count_users(app) == users == 22
    for line in first.output.splitlines():
        if "@demo.example" in line:
            email = line.split()[1]
            assert sign_in(app.test_client(), email, "endorse-demo").status_code == 302, email


def test_demo_leaves_part_two_responses_waiting_for_the_graders(app, runner):
    from app.demo_grading import earlier_attempts
    from app.models.grading import Response

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        attempts = earlier_attempts()
        assert sorted(a.part for a in attempts) == ["MC"] * 4 + ["VIGNETTE"] * 4
        assert all(a.submitted_at is not None for a in attempts)
        assert len(db.session.scalars(select(Response)).all()) == 8
    client = app.test_client()
    assert sign_in(client, "grader1@demo.example", "endorse-demo").status_code == 302
    assert "declare any conflicts of interest" in client.get("/grading/").text
    token = csrf_from(client.get("/grading/conflicts").text)
    client.post("/grading/conflicts", data={"csrf_token": token})  # declares none
    assert "Next response" in client.get("/grading/").text
    read = client.post("/grading/next", data={"csrf_token": token})
    assert read.status_code == 302 and "/read/" in read.headers["Location"]


def test_overlong_email_is_named_not_a_crash(app, runner):
    email = "a" * 250 + "@test.example"
    result = runner.invoke(
        args=["users", "create", "--email", email, "--name", "Long", "--role", "candidate"],
        input="a-long-password\n",
    )
    assert result.exit_code != 0 and "longer than 254 characters" in result.output
    assert count_users(app) == 0


def test_demo_refuses_a_database_with_real_accounts_unless_forced(app, runner, create_user_):
    create_user_("coordinator", email="office@association.example")
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code == 1
    assert "not demo accounts (office@association.example)" in refused.output
    assert count_users(app) == 1  # no demo account with the published password was added
    forced = runner.invoke(args=["demo", "--force"])
    assert forced.exit_code == 0, forced.output
    assert count_users(app) == 23


def test_unlock_command_clears_an_accounts_failed_sign_ins(app, runner, create_user_):
    from app.models import AuditEvent, LoginFailure

    user = create_user_("candidate")
    for n in range(5):  # LOGIN_FREE_FAILURES: the next try must wait
        sign_in(app.test_client(), user.email, f"wrong-password-{n}")
    assert sign_in(app.test_client(), user.email).status_code == 429
    result = runner.invoke(args=["users", "unlock", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert f"Unlocked {user.email}" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "user.unlocked" and event.data == {"failures_cleared": 5}
    assert sign_in(app.test_client(), user.email).status_code == 302
    missing = runner.invoke(args=["users", "unlock", "nobody@test.example"])
    assert missing.exit_code == 1 and "no account with email nobody@test.example" in missing.output
