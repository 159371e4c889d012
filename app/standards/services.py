"""Standard setting (modified Angoff): studies, panels, ratings, the study's figures, adoption.

A study rates one Part One form version. Round one is blind (no statistics); round two shows
each item's p and the panel's round-one spread, prefilled with the panellist's own round-one
value. A panellist's round-two judgement of an item is their round-two rating if they saved one,
else their round-one rating (leaving it unchanged is keeping it). The study's figures use the
current round's judgements of the panellists who have rated every item.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import func, select

from app import audit
from app.analysis import frames
from app.analysis.rates import first_attempts
from app.bank.importer import content_hash
from app.coordinator import analytics_items
from app.coordinator.analytics_services import min_group
from app.extensions import db
from app.models import AngoffPanellist, AngoffRating, AngoffStudy, Form, FormEntry, Item, User
from app.security import is_whole_number
from app.standards import angoff

#: staff roles that may sit on a panel (content experts; never candidates)
PANEL_ROLES = ("proctor", "grader", "lead_grader", "coordinator")
VALUES = tuple(range(0, 101, angoff.STEP))
ROUND = {"round1": 1, "round2": 2, "closed": 2}


class StandardsError(Exception):
    """A request the study cannot take: the message says why, nothing was written."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


# --- coordinator -----------------------------------------------------------------------------


def studies() -> list[AngoffStudy]:
    """Every study, newest first."""
    return list(db.session.scalars(select(AngoffStudy).order_by(AngoffStudy.id.desc())))


def part_one_forms() -> list[Form]:
    """Part One form versions a study may rate, by code then version."""
    return list(
        db.session.scalars(select(Form).where(Form.part == "MC").order_by(Form.code, Form.version))
    )


def open_study(form_id: str, name: str, actor: User, now: datetime) -> AngoffStudy:
    """Open a round-one study of a Part One form version."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise StandardsError("Give the study a name of 1 to 200 characters.")
    form = db.session.get(Form, int(form_id)) if is_whole_number(form_id or "") else None
    if form is None or form.part != "MC":
        raise StandardsError("Choose a Part One form version.")
    study = AngoffStudy(form=form, name=name, opened_by=actor, created_at=now)
    db.session.add(study)
    db.session.flush()
    audit.record("angoff.open", study, actor, now=now, form_id=form.id)
    return study


def get_study(study_id: int) -> AngoffStudy:
    """The study, or 404."""
    study = db.session.get(AngoffStudy, study_id)
    if study is None:
        raise StandardsError("There is no such study.", 404)
    return study


def candidates_for_panel(study: AngoffStudy) -> list[User]:
    """Active staff accounts not yet on the panel."""
    taken = select(AngoffPanellist.user_id).where(AngoffPanellist.study_id == study.id)
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_(PANEL_ROLES), User.is_active, User.id.not_in(taken))
            .order_by(User.name)
        )
    )


def add_panellist(study: AngoffStudy, user_id: str, actor: User, now: datetime) -> User:
    """Name an active staff account to the panel (before the study closes)."""
    if study.status == "closed":
        raise StandardsError("The study is closed: its panel cannot change.", 409)
    user = db.session.get(User, int(user_id)) if is_whole_number(user_id or "") else None
    if user is None or user.role not in PANEL_ROLES or not user.is_active:
        raise StandardsError("Choose an active staff account (not a candidate).")
    if any(p.user_id == user.id for p in study.panellists):
        raise StandardsError(f"{user.name} is already on the panel.", 409)
    study.panellists.append(AngoffPanellist(user=user))
    db.session.flush()
    audit.record("angoff.panellist", study, actor, now=now, user_id=user.id)
    return user


def advance(study: AngoffStudy, to: str, actor: User, now: datetime) -> None:
    """Move a study from round one to round two, or from round two to closed."""
    allowed = {"round1": "round2", "round2": "closed"}
    if allowed.get(study.status) != to:
        raise StandardsError(f"A study in {study.status} cannot move to {to!r}.", 409)
    study.status = to
    db.session.flush()
    audit.record("angoff.advance", study, actor, now=now, status=to)


def adopt(study: AngoffStudy, actor: User, now: datetime) -> Form:
    """Make a new version of the study's form whose pass mark is the recommended cut (audited);
    results already computed keep the pass mark they were scored with."""
    if study.status != "closed":
        raise StandardsError("Close the study before adopting its cut.", 409)
    if study.adopted_form_id is not None:
        raise StandardsError("This study's cut has already been adopted.", 409)
    cut = summary(study).cut
    if not cut or not math.isfinite(cut["cut_percent"]):
        raise StandardsError("No panellist has rated every item: there is no cut to adopt.", 409)
    base = study.form
    newest = db.session.scalar(select(func.max(Form.version)).where(Form.code == base.code))
    if newest != base.version:
        # copying the rated version's items over a newer version would undo its changes
        raise StandardsError(
            f"{base.code} has a newer version (v{newest}) than the one rated (v{base.version}):"
            " its items may differ, so this cut cannot be adopted for it.",
            409,
        )
    pass_mark = round(cut["cut_percent"], 2)
    version = newest + 1
    fields = dict(
        code=base.code,
        title=base.title,
        endorsement=base.endorsement,
        part=base.part,
        track=base.track,
        duration_minutes=base.duration_minutes,
        pass_mark=float(pass_mark),
        shuffle_items=base.shuffle_items,
        shuffle_options=base.shuffle_options,
        answer_count=base.answer_count,
        rubric_id=base.rubric_id,
        is_sample=base.is_sample,
    )
    # the importer's hash of the same fields: re-importing an unchanged bank file (with its own
    # pass mark) makes a further version rather than silently matching this one
    item_ids = [e.item_id for e in base.entries]
    form = Form(**fields, version=version, content_hash=content_hash({"fields": fields,
                "extra": item_ids}), created_at=now)  # fmt: skip
    form.entries = [FormEntry(position=e.position, item_id=e.item_id) for e in base.entries]
    db.session.add(form)
    db.session.flush()
    study.adopted_form = form
    audit.record("angoff.adopt", form, actor, now=now, study_id=study.id, from_form_id=base.id,
                 previous_pass_mark=base.pass_mark, pass_mark=form.pass_mark)  # fmt: skip
    return form


# --- the study's figures ---------------------------------------------------------------------


@dataclass
class Summary:
    """The study's current-round figures."""

    study: AngoffStudy
    round: int
    items: list[Item]
    complete: pd.DataFrame  #: panellists x item keys, those who rated every item
    progress: list[dict] = field(default_factory=list)
    cuts: list[dict] = field(default_factory=list)
    cut: dict | None = None
    impact: dict | None = None
    impact_note: str = ""


def judgements(study: AngoffStudy, round_no: int) -> pd.DataFrame:
    """Panellists (names) x item keys: round one's values, or round two's over round one's."""
    names = {p.user_id: p.user.name for p in study.panellists}
    keys = {item.id: item.key for item in study.form.items}
    rows = db.session.execute(
        select(AngoffRating.user_id, AngoffRating.item_id, AngoffRating.round, AngoffRating.value)
        .where(AngoffRating.study_id == study.id, AngoffRating.round <= round_no)
        .order_by(AngoffRating.round)
    ).all()
    table = pd.DataFrame(index=pd.Index(list(names.values()), name="panellist"),
                         columns=list(keys.values()), dtype=float)  # fmt: skip
    for user_id, item_id, _round, value in rows:  # later rounds overwrite earlier ones
        if user_id in names and item_id in keys:
            table.loc[names[user_id], keys[item_id]] = value
    return table


def summary(study: AngoffStudy) -> Summary:
    """Each panellist's progress and cut, the recommended cut, its SE, spread and impact."""
    round_no = ROUND[study.status]
    table = judgements(study, round_no)
    complete = table.dropna()
    made = Summary(study=study, round=round_no, items=study.form.items, complete=complete)
    made.progress = [
        {"name": name, "rated": int(row.notna().sum()), "items": table.shape[1]}
        for name, row in table.iterrows()
    ]
    if complete.empty or complete.shape[1] == 0:
        return made
    made.cuts = angoff.panellist_cuts(complete).to_dict("records")
    made.cut = angoff.recommended_cut(complete)
    results = frames.results_frame()
    results = first_attempts(results[(results["part"] == "MC") &
                                     (results["form"] == study.form.code)])  # fmt: skip
    if len(results) < min_group():
        made.impact_note = (
            f"{len(results)} first-attempt results for {study.form.code}: fewer than"
            f" {min_group()}, so the impact is not shown."
        )
    else:
        made.impact = angoff.impact(results, made.cut["cut_percent"])
    return made


def ratings_table(study: AngoffStudy) -> pd.DataFrame:
    """Every saved rating, one row each, for download."""
    rows = db.session.execute(
        select(
            User.name,
            User.email,
            Item.key,
            AngoffRating.round,
            AngoffRating.value,
            AngoffRating.saved_at,
        )  # fmt: skip
        .join(User, User.id == AngoffRating.user_id)
        .join(Item, Item.id == AngoffRating.item_id)
        .where(AngoffRating.study_id == study.id)
        .order_by(AngoffRating.round, User.name, Item.key)
    ).all()
    table = pd.DataFrame(
        rows, columns=["panellist", "email", "item_id", "round", "rating", "saved_at"]
    )
    table["saved_at"] = table["saved_at"].map(lambda t: t.isoformat() if t else "")
    return table.assign(study=study.name, form=study.form.code, version=study.form.version)[
        ["study", "form", "version", "round", "panellist", "email", "item_id", "rating",
         "saved_at"]
    ]  # fmt: skip


# --- panellist -------------------------------------------------------------------------------


def my_studies(user: User) -> list[AngoffStudy]:
    """The studies this account sits on, newest first."""
    return list(
        db.session.scalars(
            select(AngoffStudy)
            .join(AngoffPanellist, AngoffPanellist.study_id == AngoffStudy.id)
            .where(AngoffPanellist.user_id == user.id)
            .order_by(AngoffStudy.id.desc())
        )
    )


def panel_study(study_id: int, user: User) -> AngoffStudy:
    """The study if this account is on its panel; 404 otherwise (no hint that it exists)."""
    study = db.session.get(AngoffStudy, study_id)
    if study is None or not any(p.user_id == user.id for p in study.panellists):
        raise StandardsError("There is no such study on your panels.", 404)
    return study


@dataclass
class RatingRow:
    """One item as a panellist rates it."""

    item: Item
    value: int | None
    p: float | None = None
    spread: dict | None = None


def rating_rows(study: AngoffStudy, user: User, now: datetime) -> list[RatingRow]:
    """The form's items with the panellist's current value; in round two, each item's p and the
    panel's round-one min/median/max as well (round one carries no statistics)."""
    round_no = ROUND[study.status]
    mine = {
        (r.item_id, r.round): r.value
        for r in db.session.scalars(
            select(AngoffRating).where(
                AngoffRating.study_id == study.id, AngoffRating.user_id == user.id
            )
        )
    }
    rows = [
        RatingRow(
            item,
            mine.get((item.id, 2), mine.get((item.id, 1)))
            if round_no == 2
            else mine.get((item.id, 1)),
        )  # fmt: skip
        for item in study.form.items
    ]
    if round_no == 1:
        return rows
    first = judgements(study, 1)
    p_by_key = _item_p(study, now)
    for row in rows:
        values = first[row.item.key].dropna() if row.item.key in first else pd.Series()
        if len(values):
            row.spread = {"min": values.min(), "median": values.median(), "max": values.max(),
                          "n": len(values)}  # fmt: skip
        row.p = p_by_key.get(row.item.key)
    return rows


def _item_p(study: AngoffStudy, now: datetime) -> dict[str, float]:
    """Each item's p from the (cached) item analysis of the study's form version."""
    selection = analytics_items.Selection(study.form.code, study.form.version, None, "first")
    try:
        report = analytics_items.item_report(selection, now)
    except analytics_items.AnalyticsError:
        return {}
    if report.analysis is None:
        return {}
    table = report.analysis.items
    return {
        key: float(p) for key, p in zip(table["item_id"], table["p"], strict=True) if pd.notna(p)
    }


def save_rating(study: AngoffStudy, user: User, item_id: int, raw: str, now: datetime) -> Item:
    """Save the panellist's rating of one item in the study's current round."""
    if study.status == "closed":
        raise StandardsError("The study is closed: ratings can no longer change.", 409)
    item = next((i for i in study.form.items if i.id == item_id), None)
    if item is None:
        raise StandardsError("That item is not on this study's form.", 404)
    raw = (raw or "").strip()
    if not is_whole_number(raw) or int(raw) not in VALUES:
        raise StandardsError(f"A rating is 0 to 100 in steps of {angoff.STEP}, not {raw!r}.")
    round_no = ROUND[study.status]
    rating = db.session.scalar(
        select(AngoffRating).where(
            AngoffRating.study_id == study.id,
            AngoffRating.user_id == user.id,
            AngoffRating.item_id == item.id,
            AngoffRating.round == round_no,
        )
    )
    if rating is None:
        rating = AngoffRating(study_id=study.id, user_id=user.id, item_id=item.id, round=round_no,
                              value=0)  # fmt: skip
        db.session.add(rating)
    rating.value, rating.saved_at = int(raw), now
    db.session.flush()
    return item
