"""The Bank page: upload, every problem listed, preview, confirm; zip safety; the stored bank."""

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from app.bank import upload as upload_module
from app.extensions import db
from app.models import AuditEvent, BankUpload, Form, Item, Vignette
from tests.conftest import ROOT, csrf_from, sign_in

BANK = ROOT / "question_bank"


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def bank_files(changes: dict[str, tuple[str, str]] | None = None) -> dict[str, bytes]:
    """The sample bank as {path in zip: bytes}, with optional (old, new) text changes per file."""
    files = {}
    for path in sorted(BANK.rglob("*")):
        if path.is_file():
            name = "question_bank/" + str(path.relative_to(BANK))
            text = path.read_text()
            if changes and name in changes:
                old, new = changes[name]
                assert old in text
                text = text.replace(old, new, 1)
            files[name] = text.encode()
    return files


@pytest.fixture
def coordinator(client, create_user_):
    user = create_user_("coordinator")
    assert sign_in(client, user.email).status_code == 302
    return client


def upload(client, name: str, data: bytes):
    token = csrf_from(client.get("/coordinator/bank").get_data(as_text=True))
    return client.post(
        "/coordinator/bank/upload",
        data={"csrf_token": token, "bank": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def confirm(client, preview_url: str):
    page = client.get(preview_url).get_data(as_text=True)
    action = re.search(r'action="([^"]+/confirm)"', page).group(1)
    return client.post(action, data={"csrf_token": csrf_from(page)})


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_valid_zip_previews_then_imports_on_confirm(app, coordinator):
    staged = upload(coordinator, "bank.zip", zipped(bank_files()))
    assert staged.status_code == 302
    preview = coordinator.get(staged.headers["Location"]).get_data(as_text=True)
    assert '<th scope="row">items</th>\n      <td>120</td>' in preview
    assert "item <strong>IMH-001</strong>: new (v1)" in preview
    assert count(app, Item) == 0, "the preview writes nothing"
    done = confirm(coordinator, staged.headers["Location"])
    assert done.status_code == 302
    assert count(app, Item) == 120 and count(app, Form) == 10
    assert count(app, BankUpload) == 0
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bank.imported"))
        assert event.actor_id is not None and event.data["source"] == "bank.zip"
    assert "Imported:" in coordinator.get("/coordinator/bank").get_data(as_text=True)


def test_changed_record_only_becomes_a_new_version(app, coordinator):
    confirm(coordinator, upload(coordinator, "bank.zip", zipped(bank_files())).headers["Location"])
    changed = bank_files(
        {"question_bank/items/imh.toml": ('rationale = "', 'rationale = "Revised. ')}
    )
    staged = upload(coordinator, "bank.zip", zipped(changed))
    preview = coordinator.get(staged.headers["Location"]).get_data(as_text=True)
    changes = re.search(r'<ul id="preview-changes">(.*?)</ul>', preview, re.S).group(1)
    # the item, and the form that pins it, become new versions; nothing else changes
    assert re.findall(r"<strong>([^<]+)</strong>: new version \(v2\)", changes) == [
        "IMH-001",
        "IMH-P1-SAMPLE",
    ]
    confirm(coordinator, staged.headers["Location"])
    with app.app_context():
        versions = dict(
            db.session.execute(select(Item.key, func.max(Item.version)).group_by(Item.key)).all()
        )
        assert versions["IMH-001"] == 2 and versions["IMH-002"] == 1
        assert db.session.scalar(select(func.count()).where(Form.code == "IMH-P1-SAMPLE")) == 2
        assert db.session.scalar(select(func.count()).where(Form.code == "ECMH-P1-SAMPLE")) == 1


def test_invalid_zip_lists_every_problem_and_imports_nothing(app, coordinator):
    broken = bank_files(
        {
            "question_bank/items/imh.toml": ('domain = "DIRECT"', 'domain = "MAGIC"'),
            "question_bank/vignettes/imh.toml": ('kind = "clinical"', 'kind = "poem"'),
        }
    )
    response = upload(coordinator, "bank.zip", zipped(broken))
    assert response.status_code == 422
    problems = re.findall(r"<li><code>([^<]+)</code></li>", response.get_data(as_text=True))
    assert any(
        p.startswith("question_bank/items/imh.toml: IMH-") and ": domain: unknown domain code" in p
        for p in problems
    )
    assert any(
        p.startswith("question_bank/vignettes/imh.toml: V-IMH-") and ": kind: must be one of" in p
        for p in problems
    )
    assert count(app, Item) == 0 and count(app, Vignette) == 0 and count(app, BankUpload) == 0


def test_one_file_is_checked_against_the_bank_in_the_database(app, coordinator):
    forms = (BANK / "forms_part2.toml").read_bytes()
    alone = upload(coordinator, "forms_part2.toml", forms)
    assert alone.status_code == 422
    assert (
        "forms_part2.toml: IMH-SPECIALIST-P2-SAMPLE: vignettes[1]: no vignette"
        in alone.get_data(as_text=True)
    )
    confirm(coordinator, upload(coordinator, "bank.zip", zipped(bank_files())).headers["Location"])
    staged = upload(coordinator, "forms_part2.toml", forms)
    assert staged.status_code == 302
    preview = coordinator.get(staged.headers["Location"]).get_data(as_text=True)
    assert "Nothing: every record is already in the bank as uploaded." in preview
    retitled = forms.replace(
        b'title = "Sample Part Two: IMH-E\xc2\xae Mental Health Specialist"', b'title = "Renamed"'
    )
    staged = upload(coordinator, "forms_part2.toml", retitled)
    confirm(coordinator, staged.headers["Location"])
    with app.app_context():
        latest = db.session.scalar(
            select(Form)
            .where(Form.code == "IMH-SPECIALIST-P2-SAMPLE")
            .order_by(Form.version.desc())
        )
        assert latest.version == 2 and latest.title == "Renamed" and len(latest.vignettes) == 3


def test_cli_validates_one_file_against_the_database(runner):
    alone = runner.invoke(args=["bank", "validate", str(BANK / "forms_part2.toml")])
    assert alone.exit_code == 1
    assert runner.invoke(args=["bank", "import", str(BANK)]).exit_code == 0
    again = runner.invoke(args=["bank", "validate", str(BANK / "forms_part2.toml")])
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../evil.toml", "unsafe path &#39;../evil.toml&#39;"),
        ("/etc/evil.toml", "unsafe path &#39;/etc/evil.toml&#39;"),
        ("a/../../evil.toml", "unsafe path"),
        ("C:/evil.toml", "unsafe path"),
    ],
)
def test_zip_with_a_path_outside_the_folder_is_refused(app, coordinator, name, message):
    response = upload(coordinator, "bank.zip", zipped({name: b"[[item]]\n"}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(app, BankUpload) == 0


def test_zip_with_too_many_entries_is_refused(coordinator, monkeypatch):
    monkeypatch.setattr(upload_module, "MAX_ZIP_ENTRIES", 3)
    response = upload(coordinator, "bank.zip", zipped({f"f{n}.toml": b"" for n in range(4)}))
    assert response.status_code == 422
    assert "The zip holds 4 entries; at most 3 are allowed." in response.get_data(as_text=True)


def test_zip_bomb_is_refused_while_unpacking(coordinator, monkeypatch):
    monkeypatch.setattr(upload_module, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    bomb = zipped({"bank.toml": b"#" * (2 * 1024 * 1024)})
    assert len(bomb) < 20_000
    response = upload(coordinator, "bank.zip", bomb)
    assert response.status_code == 413
    assert "The zip unpacks to more than 1 MB" in response.get_data(as_text=True)


def test_upload_over_the_size_limit_is_refused(app, coordinator, monkeypatch):
    # kept under the test client's 500 KB spooling threshold, which leaves a temporary file open
    monkeypatch.setitem(app.config, "BANK_UPLOAD_MAX_BYTES", 100 * 1024)
    response = upload(coordinator, "bank.toml", b"#" * (100 * 1024 + 1))
    assert response.status_code == 413
    assert "The file is larger than 100 KB." in response.get_data(as_text=True)
    assert "up to 100 KB" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bank.txt", b"x", "Choose a bank file ending in .toml"),
        ("bank.zip", b"not a zip", "not a readable zip archive"),
        ("bank.zip", zipped({"README.md": b"hi"}), "The zip holds no .toml files"),
    ],
)
def test_unreadable_uploads_are_refused_clearly(coordinator, name, data, message):
    response = upload(coordinator, name, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_another_coordinator_cannot_confirm_the_upload(app, coordinator, create_user_):
    staged = upload(coordinator, "bank.zip", zipped(bank_files())).headers["Location"]
    other = app.test_client()
    assert sign_in(other, create_user_("coordinator").email).status_code == 302
    assert other.get(staged).status_code == 404
    token = csrf_from(other.get("/coordinator/bank").get_data(as_text=True))
    assert other.post(staged + "/confirm", data={"csrf_token": token}).status_code == 404
    assert count(app, Item) == 0


def test_discard_drops_the_upload(app, coordinator):
    staged = upload(coordinator, "bank.zip", zipped(bank_files())).headers["Location"]
    page = coordinator.get(staged).get_data(as_text=True)
    action = re.search(r'action="([^"]+/discard)"', page).group(1)
    assert coordinator.post(action, data={"csrf_token": csrf_from(page)}).status_code == 302
    assert count(app, BankUpload) == 0 and count(app, Item) == 0


def test_stored_bank_is_listed_by_kind_and_paged(coordinator, runner):
    assert runner.invoke(args=["bank", "import", str(BANK)]).exit_code == 0
    first = coordinator.get("/coordinator/bank").get_data(as_text=True)
    assert "120 items" in first and "Page 1 of 5" in first and "ECMH-001" in first
    second = coordinator.get("/coordinator/bank?kind=item&page=2").get_data(as_text=True)
    assert "ECMH-026" in second and "ECMH-001<" not in second
    forms = coordinator.get("/coordinator/bank?kind=form").get_data(as_text=True)
    assert "IMH-P1-SAMPLE" in forms and "v1" in forms
    for junk in ("?page=abc", "?page=99999999999", "?kind=nope"):
        assert coordinator.get("/coordinator/bank" + junk).status_code == 200


def test_confirm_checks_again_against_the_bank_as_it_is_then(app, coordinator, runner, tmp_path):
    assert runner.invoke(args=["bank", "import", str(BANK)]).exit_code == 0
    forms = (
        (BANK / "forms_part2.toml")
        .read_bytes()
        .replace(b"duration_minutes = 90", b"duration_minutes = 95", 1)
    )
    staged = upload(coordinator, "forms_part2.toml", forms)
    assert staged.status_code == 302
    preview = coordinator.get(staged.headers["Location"]).get_data(as_text=True)
    # meanwhile a vignette the form lists stops listing the form's track
    vignettes = (BANK / "vignettes" / "imh.toml").read_text()
    narrowed = vignettes.replace(
        'tracks = ["IMH-SPECIALIST", "IMH-MENTOR-CLINICAL"]', 'tracks = ["IMH-MENTOR-CLINICAL"]', 1
    )
    assert narrowed != vignettes
    (tmp_path / "v.toml").write_text(narrowed)
    assert runner.invoke(args=["bank", "import", str(tmp_path / "v.toml")]).exit_code == 0
    action = re.search(r'action="([^"]+/confirm)"', preview).group(1)
    response = coordinator.post(action, data={"csrf_token": csrf_from(preview)})
    assert response.status_code == 409
    assert "The bank changed since the preview" in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).where(Form.code == "IMH-SPECIALIST-P2-SAMPLE"))
            == 1
        )
