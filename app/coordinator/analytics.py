"""Coordinator analytics pages: item analysis, pass rates, scores and cut score, Part Two.

Every table downloads as CSV or XLSX and every chart is an SVG from its own route, drawn from
the same filters as the page (passed along in the query string). Read-only but for the item
analysis cache, which the item views commit.
"""

import io
from datetime import datetime

import pandas as pd
from flask import Blueprint, Response, render_template, request
from sqlalchemy.exc import IntegrityError

from app.analysis.outcomes import CRITERION_GROUPS, GROUPS
from app.auth.roles import role_required
from app.codes import ENDORSEMENTS
from app.coordinator import analytics_charts as charts
from app.coordinator import analytics_items as items_service
from app.coordinator import analytics_services as services
from app.coordinator import analytics_windows as windows_service
from app.coordinator.analytics_services import AnalyticsError
from app.errors import render_error
from app.extensions import db
from app.localtime import local_iso
from app.models import now_utc

bp = Blueprint("analytics", __name__, template_folder="templates")

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: an SVG opened on its own is a document: it may style itself but never run anything
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
#: characters that make a spreadsheet read a cell as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@bp.context_processor
def _helpers() -> dict:
    return {"records": services.records}


@bp.errorhandler(AnalyticsError)
def analytics_error(error: AnalyticsError):
    """An unknown form, window or item, or a bad filter: say which, change nothing."""
    return render_error(error.status, error.message)


@bp.get("/")
@role_required("coordinator")
def index():
    """Part One forms and exam windows to choose from, with what each holds."""
    forms, windows = services.index(now_utc())
    return render_template("coordinator/analytics/index.html", forms=forms, windows=windows)


# --- item analysis ---------------------------------------------------------------------------


def _item_report(code: str):
    report = items_service.item_report(items_service.parse_selection(code, request.args), now_utc())
    _keep_cache()
    return report


def _keep_cache() -> None:
    """Commit the item analysis cache row a read may have written (the one write here)."""
    try:
        db.session.commit()
    except IntegrityError:  # another request stored the same analysis first: theirs stands
        db.session.rollback()


@bp.get("/items/<code>")
@role_required("coordinator")
def items(code: str):
    """A form's item analysis: test summary, scatter, item table with flagged items marked."""
    report = _item_report(code)
    return render_template(
        "coordinator/analytics/items.html",
        report=report,
        query=report.selection.query(),
        scopes=items_service.SCOPES,
    )


@bp.get("/items/<code>/scatter.svg")
@role_required("coordinator")
def items_chart(code: str):
    """Difficulty against discrimination for the form's items."""
    report = _item_report(code)
    if report.analysis is None:
        raise AnalyticsError(report.problem or "No analysis.", 409)
    return _svg(charts.item_scatter(report.analysis.items, report.thresholds))


@bp.get("/items/<code>/download/<table>.<fmt>")
@role_required("coordinator")
def download_items(code: str, table: str, fmt: str):
    """The item table, the option table or the test summary as CSV or XLSX."""
    _check_format(fmt)
    report = _item_report(code)
    suffix = f"-{report.window}" if report.window else ""
    return _download(items_service.item_table(report, table), fmt, f"{code}{suffix}-{table}")


@bp.get("/items/<code>/item/<key>")
@role_required("coordinator")
def item(code: str, key: str):
    """One item: its stem and options with counts and shares overall, upper and lower 27%."""
    detail = _item_detail(code, key)
    return render_template(
        "coordinator/analytics/item.html", detail=detail, query=detail.selection.query()
    )


@bp.get("/items/<code>/item/<key>/options.<fmt>")
@role_required("coordinator")
def download_options(code: str, key: str, fmt: str):
    """One item's option table as CSV or XLSX."""
    _check_format(fmt)
    return _download(_item_detail(code, key).options, fmt, f"{code}-{key}-options")


def _item_detail(code: str, key: str):
    selection = items_service.parse_selection(code, request.args)
    detail = items_service.item_detail(selection, key, now_utc())
    _keep_cache()
    return detail


@bp.get("/items/<code>/windows")
@role_required("coordinator")
def windows(code: str):
    """A form across exam windows: test-level figures, and one item's p and rpb (drift)."""
    comparison = _comparison(code)
    return render_template(
        "coordinator/analytics/windows.html",
        comparison=comparison,
        query=comparison.selection.query(),
        scopes=items_service.SCOPES,
    )


@bp.get("/items/<code>/windows.svg")
@role_required("coordinator")
def windows_chart(code: str):
    """Test-level figures and one item's p and rpb across windows."""
    comparison = _comparison(code)
    return _svg(charts.window_drift(comparison.tests, comparison.drift, comparison.item))


@bp.get("/items/<code>/windows/download/<table>.<fmt>")
@role_required("coordinator")
def download_windows(code: str, table: str, fmt: str):
    """The per-window test table or the item's drift table as CSV or XLSX."""
    _check_format(fmt)
    comparison = _comparison(code)
    tables = {"tests": comparison.tests, "drift": comparison.drift}
    if table not in tables:
        raise AnalyticsError(f"There is no table {table!r} here: use tests or drift.")
    return _download(tables[table], fmt, f"{code}-windows-{table}")


def _comparison(code: str):
    args = request.args.to_dict()
    args.pop("window", None)  # every window is the point here
    selection = items_service.parse_selection(code, args)
    comparison = windows_service.compare_windows(selection, request.args.get("item"), now_utc())
    _keep_cache()
    return comparison


# --- pass rates ------------------------------------------------------------------------------


def _rate_report():
    return services.pass_rate_report(services.parse_filters(request.args))


@bp.get("/pass-rates")
@role_required("coordinator")
def pass_rates():
    """Pass rates by window, endorsement, track, part and first attempt or retake."""
    report = _rate_report()
    return render_template(
        "coordinator/analytics/pass_rates.html",
        report=report,
        query=report.filters.query(),
        groups=GROUPS,
        endorsements=ENDORSEMENTS,
    )


@bp.get("/pass-rates/by-window.svg")
@role_required("coordinator")
def pass_rates_chart():
    """Pass rate per window and part; suppressed groups are gaps."""
    report = _rate_report()
    return _svg(charts.pass_rate_by_window(report.by_window, report.min_group))


@bp.get("/pass-rates/download/<table>.<fmt>")
@role_required("coordinator")
def download_pass_rates(table: str, fmt: str):
    """The pass-rate table or the by-window table as CSV or XLSX."""
    _check_format(fmt)
    return _download(services.rate_table(_rate_report(), table), fmt, f"pass-rates-{table}")


# --- scores and cut score --------------------------------------------------------------------


def _score_report():
    # one form and first attempts unless pooling is chosen: a pass rate mixing forms and
    # retakes answers no question a board asks
    codes = services.part_one_codes()
    defaults = {"attempt": "first", "form": codes[0] if codes else None}
    filters = services.parse_filters(request.args, default_by=(), defaults=defaults)
    return services.score_report(filters)


@bp.get("/scores")
@role_required("coordinator")
def scores():
    """Part One score histogram with the pass mark, and the cut-score impact curve."""
    report = _score_report()
    return render_template(
        "coordinator/analytics/scores.html",
        report=report,
        query=report.filters.query(),
        forms=services.part_one_codes(),
        endorsements=ENDORSEMENTS,
    )


@bp.get("/scores/<chart>.svg")
@role_required("coordinator")
def scores_chart(chart: str):
    """The score histogram or the cut-score curve."""
    report = _score_report()
    if chart not in ("histogram", "cut-scores"):
        raise AnalyticsError(f"There is no chart {chart!r} here: use histogram or cut-scores.")
    if report.suppressed:
        raise AnalyticsError(f"Fewer than {report.min_group} results: not drawn.", 404)
    if chart == "histogram":
        return _svg(charts.score_histogram(report.distribution, report.pass_marks))
    return _svg(charts.cut_score_curve(report.curve, report.pass_marks))


@bp.get("/scores/download/<table>.<fmt>")
@role_required("coordinator")
def download_scores(table: str, fmt: str):
    """The score distribution or the cut-score table as CSV or XLSX."""
    _check_format(fmt)
    return _download(services.score_table(_score_report(), table), fmt, f"scores-{table}")


# --- Part Two --------------------------------------------------------------------------------


def _criterion_report():
    filters = services.parse_filters(request.args, default_by=(), groups=CRITERION_GROUPS)
    return services.criterion_report(filters)


@bp.get("/part-two")
@role_required("coordinator")
def part_two():
    """Part Two: share of final levels at or above the rubric's floor, per criterion."""
    report = _criterion_report()
    return render_template(
        "coordinator/analytics/part_two.html",
        report=report,
        query=report.filters.query(),
        groups={name: GROUPS[name] for name in CRITERION_GROUPS},
        endorsements=ENDORSEMENTS,
    )


@bp.get("/part-two/download/criteria.<fmt>")
@role_required("coordinator")
def download_criteria(fmt: str):
    """The Part Two criterion table as CSV or XLSX."""
    _check_format(fmt)
    return _download(_criterion_report().rates, fmt, "part-two-criteria")


# --- responses -------------------------------------------------------------------------------


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise AnalyticsError(f"Downloads come as csv or xlsx, not {fmt!r}.")


def _svg(body: bytes) -> Response:
    response = Response(body, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


def _download(table: pd.DataFrame, fmt: str, name: str) -> Response:
    """A table as a CSV or XLSX attachment (cells that would be formulas are quoted)."""
    table = _inert(_local_times(table))
    stem = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in name)
    if fmt == "csv":
        # full precision: rounding is for display (repr floats read back exactly)
        body = table.to_csv(index=False).encode("utf-8")
    else:
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            table.to_excel(writer, index=False, sheet_name=stem[:31])
        body = buffer.getvalue()
    filename = f"{stem}.{fmt}"
    # content_type, not mimetype: Flask would append a second charset to a text/ mimetype
    response = Response(body, content_type=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _local_times(table: pd.DataFrame) -> pd.DataFrame:
    """Datetime columns as ISO 8601 wall time in the association's zone with its offset, so a
    spreadsheet shows local time and still names the instant (the database keeps UTC)."""
    table = table.copy()
    for column in table.columns:
        values = table[column]
        if not (pd.api.types.is_datetime64_any_dtype(values) or values.dtype == object):
            continue
        values = values.astype(object)
        if values.map(lambda v: isinstance(v, datetime)).any():
            table[column] = values.map(_local_cell)
    return table


def _local_cell(value):
    if value is pd.NaT:
        return None
    return local_iso(value) if isinstance(value, datetime) else value


def _inert(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting like a formula get a leading apostrophe (CSV/XLSX injection)."""
    table = table.copy()
    for column in table.columns:
        if table[column].dtype == object or pd.api.types.is_string_dtype(table[column]):
            table[column] = table[column].map(
                lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v
            )
    return table
