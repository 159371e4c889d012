"""Writing the bank (latest version of each record) back out in the file format."""

from pathlib import Path

import tomli_w
from sqlalchemy import func, select

from app.extensions import db
from app.models import Form, Item, Rubric, Vignette


def _latest_of(model, key_column):
    newest = (
        select(key_column.label("k"), func.max(model.version).label("v"))
        .group_by(key_column)
        .subquery()
    )
    return db.session.scalars(
        select(model)
        .join(newest, (key_column == newest.c.k) & (model.version == newest.c.v))
        .order_by(key_column)
    )


def _item(item: Item) -> dict:
    data = {
        "key": item.key,
        "endorsement": item.endorsement,
        "domain": item.domain,
        "stem": item.stem,
        "options": item.options,
        "correct": item.correct_option,
    }
    if item.rationale:
        data["rationale"] = item.rationale
    return data | ({"sample": True} if item.is_sample else {})


def _vignette(v: Vignette) -> dict:
    data = {
        "key": v.key,
        "title": v.title,
        "tracks": v.tracks,
        "kind": v.kind,
        "text": v.text,
        "prompt": v.prompt,
    }
    return data | ({"sample": True} if v.is_sample else {})


def _rubric(r: Rubric) -> dict:
    data = {
        "key": r.key,
        "title": r.title,
        "tracks": r.tracks,
        "pass_rule": r.pass_rule,
        "resolution": r.resolution,
        "criterion": r.criteria,
    }
    return data | ({"sample": True} if r.is_sample else {})


def _form(f: Form) -> dict:
    data = {
        "code": f.code,
        "title": f.title,
        "endorsement": f.endorsement,
        "part": f.part,
        "duration_minutes": f.duration_minutes,
    }
    if f.part == "MC":
        data |= {
            "pass_mark": f.pass_mark,
            "item_count": len(f.items),
            "shuffle_items": f.shuffle_items,
            "shuffle_options": f.shuffle_options,
            "items": [i.key for i in f.items],
        }
    else:
        data |= {
            "track": f.track,
            "vignettes": [v.key for v in f.vignettes],
            "answer_count": f.answer_count,
            "rubric": f.rubric.key,
        }
    return data | ({"sample": True} if f.is_sample else {})


def export_bank(out_dir: str | Path) -> dict[str, int]:
    """Write items.toml, vignettes.toml, rubrics.toml and forms.toml; returns counts."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = {
        "items.toml": ("item", [_item(i) for i in _latest_of(Item, Item.key)]),
        "vignettes.toml": ("vignette", [_vignette(v) for v in _latest_of(Vignette, Vignette.key)]),
        "rubrics.toml": ("rubric", [_rubric(r) for r in _latest_of(Rubric, Rubric.key)]),
        "forms.toml": ("form", [_form(f) for f in _latest_of(Form, Form.code)]),
    }
    counts = {}
    for name, (kind, records) in plan.items():
        (out / name).write_bytes(tomli_w.dumps({kind: records}, multiline_strings=True).encode())
        counts[kind] = len(records)
    return counts
