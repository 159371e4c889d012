"""Importing a checked bank: a new version for each changed record, all or nothing."""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app import audit
from app.bank import stored
from app.bank.loader import BankContent
from app.extensions import db
from app.models import Form, FormEntry, Item, Rubric, Vignette


class BankInvalid(Exception):
    """The bank has problems; nothing was imported."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} problem(s) in the bank")
        self.problems = problems


#: a record's fate in an import: first version, a new version of a changed record, or nothing
NEW, NEW_VERSION, UNCHANGED = "new", "new version", "unchanged"


@dataclass
class PlannedRecord:
    """One record of an upload and what importing it does (or did)."""

    kind: str
    key: str
    status: str
    version: int


@dataclass
class ImportSummary:
    """How many records of each kind were new versions, and how many were unchanged."""

    created: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    records: list[PlannedRecord] = field(default_factory=list)

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


def _note(summary: ImportSummary, kind: str, key: str, latest, changed: bool) -> None:
    if not changed:
        summary.unchanged[kind] += 1
        summary.records.append(PlannedRecord(kind, key, UNCHANGED, latest.version))
        return
    summary.created[kind] += 1
    version = 1 if latest is None else latest.version + 1
    summary.records.append(
        PlannedRecord(kind, key, NEW if latest is None else NEW_VERSION, version)
    )


def _upsert(
    model,
    key_column,
    key: str,
    fields: dict,
    kind: str,
    summary: ImportSummary,
    extra_hash=None,
    attach=None,
    dry_run: bool = False,
):
    # The hash covers the stored fields (not the file's spelling), so 80 and 80.0 or an omitted
    # default make no new version; extra_hash adds what the fields do not show (pinned ids).
    digest = content_hash({"fields": fields, "extra": extra_hash})
    latest = _latest(model, key_column, key)
    changed = latest is None or latest.content_hash != digest
    _note(summary, kind, key, latest, changed)
    if not changed:
        return latest
    if dry_run:
        return None  # a preview writes nothing: "will change" is all later records need to know
    record = model(**fields, version=_next_version(model, key_column, key), content_hash=digest)
    if attach:
        attach(record)
    db.session.add(record)
    db.session.flush()
    return record


def _import_item(data: dict, summary: ImportSummary, dry_run: bool = False) -> Item | None:
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
    return _upsert(Item, Item.key, data["key"], fields, "item", summary, dry_run=dry_run)


def _import_vignette(data: dict, summary: ImportSummary, dry_run: bool = False) -> Vignette | None:
    fields = dict(
        key=data["key"],
        title=data["title"],
        tracks=data["tracks"],
        kind=data["kind"],
        text=data["text"],
        prompt=data["prompt"],
        is_sample=data.get("sample", False),
    )
    return _upsert(
        Vignette, Vignette.key, data["key"], fields, "vignette", summary, dry_run=dry_run
    )


def _import_rubric(data: dict, summary: ImportSummary, dry_run: bool = False) -> Rubric | None:
    fields = dict(
        key=data["key"],
        title=data["title"],
        tracks=data["tracks"],
        criteria=data["criterion"],
        pass_rule=data["pass_rule"],
        resolution=data.get("resolution", {"kind": "adjacent_mean"}),
        is_sample=data.get("sample", False),
    )
    return _upsert(Rubric, Rubric.key, data["key"], fields, "rubric", summary, dry_run=dry_run)


def _pick(uploaded: dict, kind: str, key: str):
    # A record not in the upload is the stored latest version (a forms.toml uploaded alone).
    return uploaded[key] if key in uploaded else stored.latest(kind, key)


def _import_form(
    data: dict, items: dict, vignettes: dict, rubrics: dict, summary, dry_run: bool = False
) -> Form | None:
    is_mc = data["part"] == "MC"
    entries = (
        [_pick(items, "item", k) for k in data["items"]]
        if is_mc
        else [_pick(vignettes, "vignette", k) for k in data["vignettes"]]
    )
    rubric = None if is_mc else _pick(rubrics, "rubric", data["rubric"])
    if dry_run and (None in entries or (not is_mc and rubric is None)):
        # something it pins gets a new version, so the form will too
        latest = stored.latest("form", data["code"])
        _note(summary, "form", data["code"], latest, True)
        return None
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
        dry_run=dry_run,
    )


def _run(content: BankContent, dry_run: bool) -> ImportSummary:
    if content.problems:
        raise BankInvalid(content.problems)
    summary = ImportSummary()
    of = content.of
    items = {k: _import_item(r.data, summary, dry_run) for k, r in of("item").items()}
    vignettes = {k: _import_vignette(r.data, summary, dry_run) for k, r in of("vignette").items()}
    rubrics = {k: _import_rubric(r.data, summary, dry_run) for k, r in of("rubric").items()}
    for record in of("form").values():
        _import_form(record.data, items, vignettes, rubrics, summary, dry_run)
    return summary


def plan_import(content: BankContent) -> ImportSummary:
    """What importing a checked bank would do, record by record, writing nothing."""
    return _run(content, dry_run=True)


def import_bank(content: BankContent, actor=None, source: str | None = None) -> ImportSummary:
    """Import a checked bank (flushes only); raises BankInvalid, importing nothing, on problems."""
    summary = _run(content, dry_run=False)
    audit.record(
        "bank.imported",
        "bank",
        actor=actor,
        **{"created": dict(summary.created), "unchanged": dict(summary.unchanged)},
        **({"source": source} if source else {}),
    )
    return summary
