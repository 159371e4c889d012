"""Template filters shared by every blueprint."""

from datetime import datetime

from flask import Flask
from markupsafe import Markup, escape

from app import localtime
from app.codes import DOMAINS, track_label


def when(value: datetime | None) -> str:
    """A datetime in the association's zone: '2026-01-15 16:00 MST' (plain text: CSVs, emails)."""
    return localtime.local_label(value)


def clock(value: datetime | None, seconds: bool = False) -> str:
    """The local time of day with the zone: '16:00 MST' (for events of today)."""
    return localtime.clock_label(value, seconds=seconds)


def when_here(value: datetime | None) -> Markup:
    """`when` in a <time> element that static/js/localtime.js completes with the reader's own
    time when their browser's zone differs from the association's."""
    if value is None:
        return Markup("—")
    return Markup('<time datetime="{}" data-local-instant data-zone="{}">{}</time>').format(
        localtime.utc_iso(value), localtime.association_zone().key, escape(when(value))
    )


def register(app: Flask) -> None:
    """Install the filters and the zone's name for forms and footers."""
    app.add_template_filter(when)
    app.add_template_filter(clock)
    app.add_template_filter(when_here)
    app.add_template_filter(track_label)
    app.add_template_filter(lambda code: DOMAINS.get(code, code), "domain_label")
    app.add_template_global(localtime.zone_label, "zone_label")
