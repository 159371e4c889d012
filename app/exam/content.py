"""A Part One form's bank content, prepared once per process for the exam page and the start.

A form version is immutable: the importer makes a new version (a new row, a new content hash)
rather than editing one, and the items it pins are immutable versions too. So the stems and
options rendered for one form version can be kept and reused by every attempt on it. This
holds bank content only, never attempt state (order, answers, deadline), which is read from
the database on every request (DESIGN.md section 7).
"""

import threading
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select

from app.extensions import db
from app.models import Form, FormEntry, Item
from app.sanitize import rich, rich_inline

#: forms kept per app (one sitting offers a handful; a bigger set only re-renders)
MAX_FORMS = 32
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ItemContent:
    stem: Markup
    #: option id -> rendered text, in the bank's order
    options: dict[str, Markup]


@dataclass(frozen=True)
class FormContent:
    item_ids: tuple[int, ...]  # in the form's order
    items: dict[int, ItemContent]


def _prepare(form: Form) -> FormContent:
    items = {
        item.id: ItemContent(
            rich(item.stem), {o["id"]: rich_inline(o["text"]) for o in item.options}
        )
        for item in form.items
    }
    return FormContent(tuple(items), items)


def form_content(form: Form) -> FormContent:
    """The form's items with rendered stems and options, from this app's cache if prepared."""
    # keyed by what the content is, not only by row ids, which an emptied database reuses: the
    # form's hash and each pinned item's (one light query instead of loading the 60 items)
    pinned = select(FormEntry.item_id, Item.content_hash).join(Item, Item.id == FormEntry.item_id)
    rows = db.session.execute(
        pinned.where(FormEntry.form_id == form.id).order_by(FormEntry.position)
    ).all()
    cache: dict = current_app.extensions.setdefault("exam_form_content", {})
    key = (form.id, form.content_hash, tuple(tuple(row) for row in rows))
    content = cache.get(key)
    if content is None:
        content = _prepare(form)
        with _LOCK:
            if len(cache) >= MAX_FORMS:
                cache.clear()
            cache[key] = content
    return content
