"""Importing a checked bank: a new version for each changed record, all or nothing."""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app import audit
from app.bank.loader import BankContent
from app.extensions import db
from app.models import Form, FormEntry, Item, Rubric, Vignette


class BankInvalid(Exception):
    """The bank has problems; nothing was imported."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} problem(s) in the bank")
        self.problems = problems


@dataclass
class ImportSummary:
    """How many records of each kind were new versions, and how many were unchanged."""

    created: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    def __str__(self) -> str:
        kinds = sorted(set(self.created) | set(self.unchanged))
        return "; ".join(
            f"{k}s: {self.created[k]} new version(s), {self.unchanged[k]} unchanged" for k in kinds
        )


def content_hash(data: dict) -> str:
    """A stable hash of authored content (key order and whitespace of the file do not count)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _latest(model, key_column, key: str):
    return db.session.scalar(
        select(model).where(key_column == key).order_by(model.version.desc()).limit(1)
    )


def _next_version(model, key_column, key: str) -> int:
    return (db.session.scalar(select(func.max(model.version)).where(key_column == key)) or 0) + 1


def _upsert(
    model,
    key_column,
    key: str,
    fields: dict,
    kind: str,
    summary: ImportSummary,
    extra_hash=None,
    attach=None,
):
    # The hash covers the stored fields (not the file's spelling), so 80 and 80.0 or an omitted
    # default make no new version; extra_hash adds what the fields do not show (pinned ids).
    digest = content_hash({"fields": fields, "extra": extra_hash})
    latest = _latest(model, key_column, key)
    if latest is not None and latest.content_hash == digest:
        summary.unchanged[kind] += 1
        return latest
    record = model(**fields, version=_next_version(model, key_column, key), content_hash=digest)
    if attach:
        attach(record)
    db.session.add(record)
    db.session.flush()
    summary.created[kind] += 1
    return record


def _import_item(data: dict, summary: ImportSummary) -> Item:
    fields = dict(
        key=data["key"],
        endorsement=data["endorsement"],
        domain=data["domain"],
        stem=data["stem"],
        options=data["options"],
        correct_option=data["correct"],
        rationale=data.get("rationale", ""),
        is_sample=data.get("sample", False),
    )
    return _upsert(Item, Item.key, data["key"], fields, "item", summary)


def _import_vignette(data: dict, summary: ImportSummary) -> Vignette:
    fields = dict(
        key=data["key"],
        title=data["title"],
        tracks=data["tracks"],
        kind=data["kind"],
        text=data["text"],
        prompt=data["prompt"],
        is_sample=data.get("sample", False),
    )
    return _upsert(Vignette, Vignette.key, data["key"], fields, "vignette", summary)


def _import_rubric(data: dict, summary: ImportSummary) -> Rubric:
    fields = dict(
        key=data["key"],
        title=data["title"],
        tracks=data["tracks"],
        criteria=data["criterion"],
        pass_rule=data["pass_rule"],
        resolution=data.get("resolution", {"kind": "adjacent_mean"}),
        is_sample=data.get("sample", False),
    )
    return _upsert(Rubric, Rubric.key, data["key"], fields, "rubric", summary)


def _import_form(data: dict, items: dict, vignettes: dict, rubrics: dict, summary) -> Form:
    is_mc = data["part"] == "MC"
    entries = (
        [items[k] for k in data["items"]] if is_mc else [vignettes[k] for k in data["vignettes"]]
    )
    rubric = None if is_mc else rubrics[data["rubric"]]
    fields = dict(
        code=data["code"],
        title=data["title"],
        endorsement=data["endorsement"],
        part=data["part"],
        track=data.get("track"),
        duration_minutes=data["duration_minutes"],
        pass_mark=float(data.get("pass_mark", 80)),
        shuffle_items=data.get("shuffle_items", True),
        shuffle_options=data.get("shuffle_options", True),
        answer_count=data.get("answer_count"),
        rubric_id=rubric and rubric.id,
        is_sample=data.get("sample", False),
    )

    def attach(form: Form) -> None:
        form.entries = [
            FormEntry(position=n, item=e if is_mc else None, vignette=None if is_mc else e)
            for n, e in enumerate(entries, 1)
        ]

    # The pinned versions are part of the form: a new item version makes a new form version.
    return _upsert(
        Form,
        Form.code,
        data["code"],
        fields,
        "form",
        summary,
        extra_hash=[e.id for e in entries],
        attach=attach,
    )


def import_bank(content: BankContent, actor=None) -> ImportSummary:
    """Import a checked bank (flushes only); raises BankInvalid, importing nothing, on problems."""
    if content.problems:
        raise BankInvalid(content.problems)
    summary = ImportSummary()
    items = {k: _import_item(r.data, summary) for k, r in content.of("item").items()}
    vignettes = {k: _import_vignette(r.data, summary) for k, r in content.of("vignette").items()}
    rubrics = {k: _import_rubric(r.data, summary) for k, r in content.of("rubric").items()}
    for record in content.of("form").values():
        _import_form(record.data, items, vignettes, rubrics, summary)
    audit.record(
        "bank.imported",
        "bank",
        actor=actor,
        **{"created": dict(summary.created), "unchanged": dict(summary.unchanged)},
    )
    return summary
