"""Template filters shared by every blueprint."""

from datetime import datetime

from flask import Flask

from app import sanitize
from app.codes import DOMAINS, track_label


def when(value: datetime | None) -> str:
    """A datetime as '2026-11-24 10:42 UTC' (all times are shown in UTC, stated as such)."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def register(app: Flask) -> None:
    """Install the filters."""
    app.add_template_filter(when)
    app.add_template_filter(track_label)
    app.add_template_filter(lambda code: DOMAINS.get(code, code), "domain_label")
    # bank text (stems, options, vignettes, descriptors): the Markdown subset, sanitised
    app.add_template_filter(sanitize.rich, "rich")
    app.add_template_filter(sanitize.rich_inline, "rich_inline")
