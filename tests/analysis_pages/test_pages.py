"""Every analytics page, chart and download renders for the coordinator, is refused to every
other role, answers 404 with a message for what does not exist, and hides small groups."""

import io
from urllib.parse import quote

import openpyxl
import pandas as pd
import pytest

from app.codes import ROLES
from app.extensions import db
from tests.analysis_pages.conftest import CODE, W1, add_part_two_result

BASE = "/coordinator/analytics"
W1Q = quote(W1)
PAGES = [
    f"{BASE}/",
    f"{BASE}/items/{CODE}",
    f"{BASE}/items/{CODE}?window={W1Q}",
    f"{BASE}/items/{CODE}?version=1",
    f"{BASE}/items/{CODE}/item/T-001",
    f"{BASE}/pass-rates",
    f"{BASE}/pass-rates?by=track&by=attempt&part=MC&endorsement=IMH&attempt=first",
    f"{BASE}/scores",
    f"{BASE}/part-two",
]
CHARTS = [
    f"{BASE}/items/{CODE}/scatter.svg",
    f"{BASE}/pass-rates/by-window.svg",
    f"{BASE}/scores/histogram.svg",
    f"{BASE}/scores/cut-scores.svg",
]
TABLES = [
    f"{BASE}/items/{CODE}/download/items",
    f"{BASE}/items/{CODE}/download/summary",
    f"{BASE}/items/{CODE}/item/T-001/options",
    f"{BASE}/pass-rates/download/rates",
    f"{BASE}/pass-rates/download/by-window",
    f"{BASE}/scores/download/distribution",
    f"{BASE}/scores/download/cut-scores",
    f"{BASE}/part-two/download/criteria",
]
DOWNLOADS = [f"{url}.{fmt}" for url in TABLES for fmt in ("csv", "xlsx")]


@pytest.fixture
def open_groups(app, monkeypatch):
    """Show every group's rate (the world has only a handful of results)."""
    monkeypatch.setitem(app.config, "REPORT_MIN_GROUP", 1)


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_for_the_coordinator(coordinator, world, open_groups, url):
    response = coordinator.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert '<div class="analytics">' in html
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", CHARTS)
def test_charts_are_svg_images(coordinator, world, open_groups, url):
    response = coordinator.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "image/svg+xml"
    assert response.data.lstrip().startswith(b"<?xml") and b"<svg" in response.data
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize("url", DOWNLOADS)
def test_downloads_parse(coordinator, world, open_groups, url):
    with_part_two(coordinator.application)
    response = coordinator.get(url)
    assert response.status_code == 200, url
    assert "attachment" in response.headers["Content-Disposition"]
    if url.endswith(".csv"):
        table = pd.read_csv(io.BytesIO(response.data))
    else:
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        rows = list(book.active.iter_rows(values_only=True))
        table = pd.DataFrame(rows[1:], columns=rows[0])
    assert len(table) > 0 and len(table.columns) >= 2


def with_part_two(app):
    with app.app_context():
        if not db.session.scalar(db.text("SELECT count(*) FROM result WHERE part = 'VIGNETTE'")):
            add_part_two_result({"REFL": 3, "THINK": 1.5})
            db.session.commit()


def test_item_csv_has_the_contract_columns_and_figures(coordinator, world):
    url = f"{BASE}/items/{CODE}/download/items.csv?attempts=all"
    table = pd.read_csv(io.BytesIO(coordinator.get(url).data))
    assert table.columns.tolist()[:7] == [
        "item_id",
        "n",
        "p",
        "rpb",
        "d27",
        "alpha_if_deleted",
        "flag",
    ]
    assert table["p"].tolist() == [0.75, 0.5, 0.5, 0.5]


def test_item_analysis_defaults_to_first_attempts(coordinator, world):
    # c2's Window Two retake (4/4) is left out: T-001 right for c1 and c2 of c1, c2, c3
    html = coordinator.get(f"{BASE}/items/{CODE}").get_data(as_text=True)
    assert "first attempts only" in html and "version 1" in html
    table = pd.read_csv(io.BytesIO(coordinator.get(f"{BASE}/items/{CODE}/download/items.csv").data))
    assert table["p"].tolist() == [2 / 3, 1 / 3, 1 / 3, 1 / 3]
    assert table["n"].tolist() == [3] * 4


def test_a_small_sample_shows_n_and_p_only_with_a_note(coordinator, world):
    html = coordinator.get(f"{BASE}/items/{CODE}").get_data(as_text=True)
    assert "Small sample: 3 attempts, fewer than 30." in html
    assert "not estimated: fewer than 30 attempts" in html
    assert "Feldt" not in html.split("How these are worked out")[0]
    table = pd.read_csv(io.BytesIO(coordinator.get(f"{BASE}/items/{CODE}/download/items.csv").data))
    assert table[["rpb", "d27", "alpha_if_deleted"]].isna().all().all()
    assert table["flag"].isna().all()  # blank in CSV


def test_the_xlsx_item_table_holds_the_same_figures(coordinator, world):
    data = coordinator.get(f"{BASE}/items/{CODE}/download/items.xlsx?attempts=all").data
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [cell.value for cell in sheet[1]]
    p = header.index("p")
    assert [row[p] for row in sheet.iter_rows(min_row=2, values_only=True)] == [0.75, 0.5, 0.5, 0.5]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "coordinator"])
def test_every_other_role_is_refused(app, create_user_, world, role):
    from tests.conftest import sign_in

    client = app.test_client()
    sign_in(client, create_user_(role).email)
    for url in PAGES + CHARTS + DOWNLOADS:
        assert client.get(url).status_code == 403, (role, url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"{BASE}/items/NOPE", "There is no Part One form with code"),
        (f"{BASE}/items/NOPE/scatter.svg", "There is no Part One form with code"),
        (f"{BASE}/items/{CODE}?window=Nowhere", "There is no exam window named"),
        (f"{BASE}/items/{CODE}?version=4", "has no version 4"),
        (f"{BASE}/items/{CODE}/item/T-999", "is not on form"),
        (f"{BASE}/items/{CODE}/download/items.pdf", "csv or xlsx"),
        (f"{BASE}/items/{CODE}/download/nonsense.csv", "There is no table"),
        (f"{BASE}/pass-rates?window=Nowhere", "There is no exam window named"),
        (f"{BASE}/pass-rates/download/nonsense.csv", "There is no table"),
        (f"{BASE}/scores?window=Nowhere", "There is no exam window named"),
        (f"{BASE}/scores/pie.svg", "There is no chart"),
        (f"{BASE}/part-two?window=Nowhere", "There is no exam window named"),
    ],
)
def test_unknown_things_are_404_with_a_message(coordinator, world, url, message):
    response = coordinator.get(url)
    assert response.status_code == 404, url
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/pass-rates?by=shoe_size",
        f"{BASE}/pass-rates?part=ESSAY",
        f"{BASE}/scores?attempt=third",
        f"{BASE}/items/{CODE}?version=abc",
        f"{BASE}/part-two?by=part",  # Part Two is one part: not a grouping there
    ],
)
def test_bad_filters_are_400(coordinator, world, url):
    assert coordinator.get(url).status_code == 400


def test_small_groups_are_suppressed_on_the_page(coordinator, world):
    html = coordinator.get(f"{BASE}/pass-rates?by=window").get_data(as_text=True)
    assert html.count("suppressed (fewer than 5)") == 2 + 2  # by-window table too
    assert "66.7%" not in html and "100.0%" not in html
    scores = coordinator.get(f"{BASE}/scores").get_data(as_text=True)
    assert "fewer than 5, so the distribution is not shown" in scores
    assert "histogram.svg" not in scores
    assert coordinator.get(f"{BASE}/scores/histogram.svg").status_code == 404


def test_groups_at_the_minimum_show_their_rates(coordinator, world, open_groups):
    html = coordinator.get(f"{BASE}/pass-rates?by=window").get_data(as_text=True)
    assert "suppressed (fewer than" not in html
    assert "50.0%" in html and "100.0%" in html  # Window One 1 of 2, Window Two 1 of 1


def test_flagged_items_are_highlighted(app, coordinator, world, monkeypatch):
    # T-001 (p = .75) is the only item above this threshold; thresholds are configuration
    monkeypatch.setitem(app.config, "ITEM_FLAG_THRESHOLDS", {"easy_above": 0.7})
    monkeypatch.setitem(app.config, "ITEM_MIN_N", 1)
    monkeypatch.setitem(app.config, "ITEM_FLAG_MIN_N", 1)
    html = coordinator.get(f"{BASE}/items/{CODE}?attempts=all").get_data(as_text=True)
    rows = [row for row in html.split("<tr") if "item/T-00" in row]
    assert len(rows) == 4
    flagged = [row for row in rows if 'class="flagged"' in row]
    assert len(flagged) == 1 and "T-001" in flagged[0] and "⚑" in flagged[0]
    assert "easy" in flagged[0]
    assert "(1 flagged)" in html
    assert "KR-20" in html and "scatter.svg" in html


def test_item_detail_shows_stem_options_shares_and_the_key(coordinator, world):
    html = coordinator.get(f"{BASE}/items/{CODE}/item/T-001?attempts=all").get_data(as_text=True)
    assert "Stem of T-001 v1: which is best?" in html
    assert "Option b of T-001" in html
    assert "Version 1" in html
    table = html.split('<table class="options">')[1].split("</table>")[0]
    assert table.count('<th scope="row">') == 5  # a-d and omitted, nothing from other items
    key_row = html.split('<tr class="key">')[1].split("</tr>")[0]
    assert "✓ key" in key_row and ">a " in key_row and "75.0%" in key_row


def test_mixed_versions_say_so_and_link_each_version(app, coordinator, world):
    from tests.analysis_pages.test_frames import _second_version

    with app.app_context():
        _second_version(items_changed=True)
    html = coordinator.get(f"{BASE}/items/{CODE}?version=all").get_data(as_text=True)
    assert "have different items" in html and "version=2" in html
    assert coordinator.get(f"{BASE}/items/{CODE}?version=2").status_code == 200


def test_part_two_has_an_empty_state_then_rates_per_criterion(app, coordinator, world, open_groups):
    html = coordinator.get(f"{BASE}/part-two").get_data(as_text=True)
    assert "No Part Two results yet" in html
    with_part_two(app)
    html = coordinator.get(f"{BASE}/part-two").get_data(as_text=True)
    assert "Label REFL" in html and "Label THINK" in html
    table = pd.read_csv(io.BytesIO(coordinator.get(f"{BASE}/part-two/download/criteria.csv").data))
    assert table[["criterion", "passed"]].values.tolist() == [["REFL", 1], ["THINK", 0]]


def test_the_coordinator_nav_links_analytics(coordinator, world):
    html = coordinator.get(f"{BASE}/").get_data(as_text=True)
    nav = html.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    assert f'href="{BASE}/"' in nav
    assert f"{BASE}/items/{CODE}" in html and W1 in html


def test_empty_platform_pages_render(coordinator):
    for url in (f"{BASE}/", f"{BASE}/pass-rates", f"{BASE}/scores", f"{BASE}/part-two"):
        assert coordinator.get(url).status_code == 200, url


def test_window_comparison_is_reached_from_the_items_page(coordinator, world):
    html = coordinator.get(f"{BASE}/items/{CODE}?attempts=all").get_data(as_text=True)
    link = html.split("Compare this form across exam windows")[0].rsplit('href="', 1)[1]
    page = coordinator.get(link.split('"')[0].replace("&amp;", "&"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # Window One: c1, c2, c3 closed (c4 open, c5 voided); Window Two: c2's retake
    assert "Window One" in text and "Window Two" in text
    drift = text.split("Item T-001 by window")[1]
    assert "0.67" in drift and "1.00" in drift  # T-001: 2 of 3, then 1 of 1
    assert "suppressed (fewer than 5)" in text  # pass rates of 3 and 1 attempts


def test_window_comparison_chart_and_tables(coordinator, world):
    base = f"{BASE}/items/{CODE}/windows"
    chart = coordinator.get(f"{base}.svg?attempts=all&item=T-002")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert "T-002" in chart.get_data(as_text=True)
    drift = pd.read_csv(io.BytesIO(coordinator.get(f"{base}/download/drift.csv?attempts=all").data))
    assert drift["window"].tolist() == [W1, "Window Two"]
    assert drift["p"].tolist() == [2 / 3, 1.0]
    assert coordinator.get(f"{base}?item=NOPE").status_code == 404


def test_scores_default_to_one_form_and_first_attempts(coordinator, world, open_groups):
    html = coordinator.get(f"{BASE}/scores").get_data(as_text=True)
    assert f"<strong>Showing:</strong> {CODE} · first attempts only" in html
    # first attempts: c1 (passed) and c2 (failed); the retake only when pooled
    assert "(1 of 2)" in html
    pooled = coordinator.get(f"{BASE}/scores?attempt=all&form=all").get_data(as_text=True)
    assert "first attempts and retakes pooled" in pooled and "(2 of 3)" in pooled
    assert "attempt=all" in pooled.split("histogram.svg")[1].split('"')[0]


def test_window_comparison_with_a_second_version_never_fails(app, coordinator, world):
    # pooled per window: a window whose attempts used one version pools fine; a window that
    # mixed versions with different items would be a 409 naming them, never a 500
    from tests.analysis_pages.test_frames import _second_version

    with app.app_context():
        _second_version(items_changed=True)
    response = coordinator.get(f"{BASE}/items/{CODE}/windows?version=all")
    assert response.status_code in (200, 409)
    if response.status_code == 409:
        assert "have different items" in response.get_data(as_text=True)
    assert coordinator.get(f"{BASE}/items/{CODE}/windows?version=2").status_code == 200
