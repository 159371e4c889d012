"""Import: all or nothing, versions on change, used versions never modified, export round-trip."""

from sqlalchemy import func, select

from app.bank.export import export_bank
from app.bank.importer import import_bank
from app.bank.loader import read_bank
from app.extensions import db
from app.models import Form, Item
from tests.bank.test_validate import GOOD_FORM, GOOD_ITEM, write
from tests.conftest import ROOT


def _import(app, path):
    with app.app_context():
        summary = import_bank(read_bank(path))
        db.session.commit()
        return summary


def test_sample_bank_imports_and_reimport_changes_nothing(app, runner):
    result = runner.invoke(args=["bank", "import", str(ROOT / "question_bank")])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["bank", "import", str(ROOT / "question_bank")])
    assert "items: 0 new version(s), 120 unchanged" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Item.id))) == 120
        form = db.session.scalar(select(Form).where(Form.code == "IMH-P1-SAMPLE"))
        assert len(form.items) == 60 and form.pass_mark == 80


def test_changed_item_gets_a_new_version_and_the_form_too(app, tmp_path):
    write(tmp_path, "bank.toml", GOOD_ITEM.format() + GOOD_FORM)
    _import(app, tmp_path)
    write(
        tmp_path,
        "bank.toml",
        (GOOD_ITEM.format() + GOOD_FORM).replace("Which is best?", "Which is wisest?"),
    )
    summary = _import(app, tmp_path)
    assert summary.created["item"] == 1 and summary.created["form"] == 1
    with app.app_context():
        versions = db.session.execute(select(Item.version, Item.stem).order_by(Item.version)).all()
        assert versions == [(1, "Which is best?"), (2, "Which is wisest?")]  # v1 untouched
        forms = db.session.scalars(select(Form).order_by(Form.version)).all()
        assert [f.items[0].version for f in forms] == [1, 2]


def test_export_round_trips(app, tmp_path):
    _import(app, ROOT / "question_bank")
    with app.app_context():
        counts = export_bank(tmp_path / "out")
    assert counts["item"] == 120 and counts["form"] >= 2
    exported = read_bank(tmp_path / "out")
    assert exported.problems == []
    summary = _import(app, tmp_path / "out")
    assert sum(summary.created.values()) == 0  # the same content, so no new versions
