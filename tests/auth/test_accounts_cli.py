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
        ],
        input="a-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert sign_in(client, "new@test.example", "a-long-password").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Approval.track)) == "IMH-SPECIALIST"


def test_users_create_refuses_unknown_role(app, runner):
    result = runner.invoke(
        args=["users", "create", "--email", "x@test.example", "--name", "X", "--role", "wizard"],
        input="a-long-password\n",
    )
    assert result.exit_code != 0 and "role 'wizard' is unknown" in result.output
    assert count_users(app) == 0


def test_users_import_creates_a_cohort(app, runner, tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(
        "email,name,role,tracks,password\n"
        "a@test.example,Ann A,candidate,IMH-SPECIALIST,first-password\n"
        "b@test.example,Ben B,candidate,ECMH-MENTOR-POLICY,second-password\n"
    )
    result = runner.invoke(args=["users", "import", str(path)])
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
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code != 0
    assert "row 3: email 'not-an-email' is not a valid address" in result.output
    assert "row 4: track 'NOPE' is unknown" in result.output
    assert "row 4: email good@test.example repeats row 2" in result.output
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
