"""Bank text: the small Markdown subset renders; everything else stays inert text."""

from pathlib import Path

import pytest

from app.sanitize import rich, rich_inline

ROOT = Path(__file__).resolve().parents[2]


def test_plain_text_stays_plain():
    assert str(rich("A parent and her baby arrive late.")) == (
        "<p>A parent and her baby arrive late.</p>"
    )
    assert str(rich_inline("Call the family first")) == "Call the family first"


def test_the_subset_renders_paragraphs_emphasis_lists_and_a_table():
    html = str(
        rich(
            "First *one* and **two**.\n\nSecond\n\n- a\n- b\n\n1. x\n2. y\n\n"
            "| Age | Visits |\n|---|---|\n| 3 mo | 4 |"
        )
    )
    assert "<p>First <em>one</em> and <strong>two</strong>.</p>" in html
    assert "<p>Second</p>" in html
    assert "<ul>\n<li>a</li>\n<li>b</li>\n</ul>" in html
    assert "<ol>\n<li>x</li>\n<li>y</li>\n</ol>" in html
    assert "<table>" in html and "<th>Age</th>" in html and "<td>3 mo</td>" in html


def test_inline_keeps_emphasis_only():
    assert str(rich_inline("a *b*\n- c")) == "a <em>b</em><br>\n- c"


@pytest.mark.parametrize(
    ("source", "absent"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("<img src=x onerror=alert(2)>", "<img"),
        ("[click](javascript:alert(3))", "<a"),
        ("![x](http://example.org/x.png)", "<img"),
        ("# Heading", "<h1"),
        ("<b onclick=x>bold</b>", "<b "),
        ("```\ncode\n```", "<code"),
    ],
)
def test_everything_outside_the_subset_is_text(source, absent):
    html = str(rich(source)) + str(rich_inline(source))
    assert absent not in html
    assert "onerror=" not in html or "&lt;img" in html


def test_only_sanitize_imports_bleach():
    importers = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "app").rglob("*.py")
        if "import bleach" in path.read_text() or "from bleach" in path.read_text()
    ]
    assert importers == ["app/sanitize.py"]
