"""`flask report ...`: coordinator reports on the command line, from CSV files or the database."""

import math
from pathlib import Path

import click
import pandas as pd
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from app.analysis.items import analyse_items

CANDIDATE_COLUMN = "candidate_id"
KEY_COLUMNS = ("item_id", "key")
SUMMARY_FIELDS = ("n", "items", "mean", "sd", "kr20", "sem")

report = AppGroup("report", help="Coordinator reports on exam data.")

_FILE = click.Path(dir_okay=False, path_type=Path)


# with_appcontext=False: the CSV mode needs no app, so it runs (and is tested) without one; the
# --form mode loads the app itself, as `flask` does for any command (see _app_context).
@report.command("items", with_appcontext=False)
@click.option(
    "--responses",
    "responses_path",
    type=_FILE,
    default=None,
    help="Wide CSV: candidate_id, then one column per item id (blank = omitted).",
)
@click.option("--key", "key_path", type=_FILE, default=None, help="CSV with item_id,key.")
@click.option(
    "--form",
    "form_code",
    default=None,
    help="Instead of files: a Part One form code, analysed from its closed attempts.",
)
@click.option(
    "--version",
    "form_version",
    type=click.IntRange(min=1),
    default=None,
    help="With --form: only this version (default: all versions pooled).",
)
@click.option(
    "--window", "window_name", default=None, help="With --form: only this exam window (name)."
)
@click.option(
    "--out",
    "out_path",
    type=_FILE,
    default=None,
    help="Write the item table here (default: stdout).",
)
def items_command(
    responses_path: Path | None,
    key_path: Path | None,
    form_code: str | None,
    form_version: int | None,
    window_name: str | None,
    out_path: Path | None,
) -> None:
    """Item analysis: p, rpb, d27, alpha if deleted, flags and option shares per item."""
    if form_code is not None:
        if responses_path or key_path:
            raise click.UsageError("give either --form or --responses and --key, not both")
        responses, key = database_responses(form_code, form_version, window_name)
    else:
        if form_version is not None or window_name is not None:
            raise click.UsageError("--version and --window go with --form")
        if responses_path is None or key_path is None:
            raise click.UsageError("give --responses and --key (CSV files), or --form CODE")
        responses = read_responses(responses_path)
        key = read_key(key_path)
        check_same_items(responses, key, responses_path, key_path)
    write_item_report(responses, key, out_path)


def database_responses(
    code: str, version: int | None, window: str | None
) -> tuple[pd.DataFrame, pd.Series]:
    """The closed attempts of a Part One form (and window) as the responses frame and key."""
    from app.analysis import frames
    from app.models import now_utc

    _app_context()
    try:
        responses, key = frames.part_one_responses(code, now_utc(), version, window)
    except (frames.UnknownSelection, frames.MixedVersions) as problem:
        raise click.ClickException(str(problem)) from None
    if responses.empty:
        where = f" in window {window!r}" if window else ""
        raise click.ClickException(f"form {code} has no closed attempts{where} to analyse")
    return responses, key


@report.command("pass-rates")
@click.option(
    "--by",
    default=",".join(("window", "part")),
    show_default=True,
    help="Comma-separated groups: window, endorsement, track, part, attempt (first or "
    "retake), form.",
)
@click.option(
    "--min-group",
    type=click.IntRange(min=0),
    default=None,
    help="Groups smaller than this show n only (default: REPORT_MIN_GROUP).",
)
@click.option("--out", "out_path", type=_FILE, default=None, help="CSV file (default: stdout).")
def pass_rates_command(by: str, min_group: int | None, out_path: Path | None) -> None:
    """Pass rates per group: n, passed, rate; small groups are suppressed (n only)."""
    from app.analysis import frames
    from app.analysis.outcomes import grouped_pass_rates, parse_by

    try:
        groups = parse_by(by)
    except ValueError as problem:
        raise click.BadParameter(str(problem), param_hint="--by") from None
    minimum = current_app.config["REPORT_MIN_GROUP"] if min_group is None else min_group
    table = grouped_pass_rates(frames.results_frame(), groups, minimum)
    text = table.to_csv(index=False)  # full precision: rounding is for display
    if out_path is None:
        click.echo(text, nl=False)
    else:
        _write_text(out_path, text)
        click.echo(f"{len(table)} group(s) written to {out_path}", err=True)


def _app_context() -> None:
    """Push the app's context for a database mode, loading the app as `flask` does."""
    if current_app:
        return
    ctx = click.get_current_context()
    app = ctx.ensure_object(ScriptInfo).load_app()
    ctx.with_resource(app.app_context())


def write_item_report(responses: pd.DataFrame, key: pd.Series, out_path: Path | None) -> None:
    """Analyse; write the item table as CSV to out_path or stdout, the summary to stderr."""
    try:
        analysis = analyse_items(responses, key)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    table = analysis.items.to_csv(index=False)  # full precision: rounding is for display
    if out_path is None:
        click.echo(table, nl=False)
    else:
        _write_text(out_path, table)
    click.echo(format_summary(analysis.summary), err=True)


def format_summary(summary: dict) -> str:
    """The test summary on one line: n=... items=... mean=... sd=... kr20=... sem=..."""
    return " ".join(f"{name}={_figure(summary[name])}" for name in SUMMARY_FIELDS)


def read_responses(path: Path) -> pd.DataFrame:
    """The wide responses CSV as a frame indexed by candidate_id, answers as strings."""
    frame = _read_csv(path)
    if CANDIDATE_COLUMN not in frame.columns:
        raise click.ClickException(f"{path}: no {CANDIDATE_COLUMN} column (found {_list(frame)})")
    ids = frame[CANDIDATE_COLUMN]
    if ids.isna().any():
        rows = [position + 2 for position in ids.index[ids.isna()]]  # + header, 1-based
        raise click.ClickException(f"{path}: blank {CANDIDATE_COLUMN} on lines {rows}")
    if ids.duplicated().any():
        repeated = sorted(set(ids[ids.duplicated()]))
        raise click.ClickException(f"{path}: {CANDIDATE_COLUMN} repeated: {', '.join(repeated)}")
    frame = frame.set_index(CANDIDATE_COLUMN)
    if frame.columns.empty or frame.empty:
        raise click.ClickException(f"{path}: needs at least one item column and one candidate")
    return frame


def read_key(path: Path) -> pd.Series:
    """The key CSV (item_id,key) as a Series item id -> correct option."""
    frame = _read_csv(path)
    missing = [column for column in KEY_COLUMNS if column not in frame.columns]
    if missing:
        raise click.ClickException(
            f"{path}: needs columns item_id and key; missing {', '.join(missing)}"
            f" (found {_list(frame)})"
        )
    blank = frame.loc[frame["key"].isna() | frame["item_id"].isna(), "item_id"]
    if not blank.empty:
        raise click.ClickException(f"{path}: blank item_id or key for items {blank.tolist()}")
    repeated = frame["item_id"][frame["item_id"].duplicated()]
    if not repeated.empty:
        raise click.ClickException(f"{path}: item_id repeated: {', '.join(sorted(set(repeated)))}")
    return pd.Series(frame["key"].to_numpy(), index=frame["item_id"].to_numpy(), name="key")


def check_same_items(
    responses: pd.DataFrame, key: pd.Series, responses_path: Path, key_path: Path
) -> None:
    """Refuse a key and responses that do not cover exactly the same items, naming both."""
    answered, keyed = set(responses.columns), set(key.index)
    problems = []
    if keyed - answered:
        unanswered = ", ".join(sorted(keyed - answered))
        problems.append(f"{key_path}: items not in {responses_path}: {unanswered}")
    if answered - keyed:
        unkeyed = ", ".join(sorted(answered - keyed))
        problems.append(f"{responses_path}: items not in {key_path}: {unkeyed}")
    if problems:
        raise click.ClickException("; ".join(problems))


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV with every cell as a string; only a blank cell is missing."""
    try:
        # keep_default_na=False: an option or item called "NA" or "None" stays itself
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True
        )
    except FileNotFoundError as error:
        raise click.ClickException(f"{path}: no such file") from error
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise click.ClickException(f"{path}: not a readable CSV file ({error})") from error
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame


def _write_text(path: Path, text: str) -> None:
    """Write the report, turning a bad output path into a clear error."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"{path}: cannot write ({error.strerror})") from error


def _figure(value: float) -> str:
    """An integer as is, a float to 4 decimals, NaN as 'nan'."""
    if isinstance(value, int):
        return str(value)
    return "nan" if math.isnan(value) else f"{value:.4f}"


def _list(frame: pd.DataFrame) -> str:
    """The frame's column names for an error message."""
    return ", ".join(map(str, frame.columns)) or "no columns"
