"""The coordinator manages the bank from the browser: menu -> Bank -> upload a zip -> preview ->
confirm; an invalid file lists every problem and imports nothing."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Form, Item
from tests.bank.test_upload_page import bank_files, zipped
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_coordinator_uploads_previews_and_confirms_a_bank_zip(
    app, page, live_server, create_user_, tmp_path
):
    coordinator = create_user_("coordinator")
    archive = tmp_path / "bank.zip"
    archive.write_bytes(zipped(bank_files()))
    broken = tmp_path / "forms.toml"
    broken.write_text('[[form]]\ncode = "X-1"\ntitle = "x"\nendorsement = "IMH"\n')

    browser_sign_in(page, live_server, coordinator.email, PASSWORD)
    page.get_by_role("link", name="Bank", exact=True).click()
    page.set_input_files("#bank-file", str(broken))
    page.get_by_role("button", name="Check upload").click()
    problems = page.locator("#bank-problems li")
    assert problems.count() >= 2
    assert "forms.toml: X-1: part: is required" in page.text_content("#bank-problems")

    page.set_input_files("#bank-file", str(archive))
    page.get_by_role("button", name="Check upload").click()
    assert page.get_by_role("heading", name="Preview: bank.zip").is_visible()
    assert "item IMH-001: new (v1)" in page.text_content("#preview-changes")
    with app.app_context():
        assert db.session.scalar(select(func.count(Item.id))) == 0
    page.get_by_role("button", name="Confirm import").click()
    assert "Imported: forms: 10 new version(s)" in page.content()
    page.get_by_role("link", name="Forms", exact=True).click()
    assert "IMH-P1-SAMPLE" in page.text_content("table")
    with app.app_context():
        assert db.session.scalar(select(func.count(Item.id))) == 120
        assert db.session.scalar(select(func.count(Form.id))) == 10
