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

from app.models import Form
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
    # per app, keyed by row id and content hash: a test's fresh database may reuse an id
    cache: dict = current_app.extensions.setdefault("exam_form_content", {})
    key = (form.id, form.content_hash)
    content = cache.get(key)
    if content is None:
        content = _prepare(form)
        with _LOCK:
            if len(cache) >= MAX_FORMS:
                cache.clear()
            cache[key] = content
    return content
