"""The association's local time: one IANA zone (config TIME_ZONE), UTC in the database.

Plain functions of explicit instants and zones, so the rules are testable without an app.
Daylight saving: a local time that does not exist (the spring-forward gap) is refused with a
clear message; a local time that happens twice (the autumn fold) means its first occurrence,
the one still on daylight time, and `is_ambiguous` lets a form say so.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

DEFAULT_ZONE = "UTC"


class LocalTimeError(ValueError):
    """A local date and time the zone cannot turn into one instant."""


def zone_named(name: str) -> ZoneInfo:
    """The zone of an IANA name such as 'America/Denver'; a clear error naming TIME_ZONE."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise LocalTimeError(
            f"TIME_ZONE {name!r} is not an IANA time zone name: use one such as "
            "'America/Denver', 'Europe/Paris' or 'UTC'."
        ) from None


def association_zone() -> ZoneInfo:
    """The app's configured zone (UTC outside an app, e.g. in a pure unit test)."""
    if not has_app_context():
        return ZoneInfo(DEFAULT_ZONE)
    return zone_named(current_app.config.get("TIME_ZONE") or DEFAULT_ZONE)


def zone_label(zone: ZoneInfo | None = None) -> str:
    """The zone as people read it on a form: 'America/Denver (MST/MDT)'."""
    zone = zone or association_zone()
    year = datetime.now(UTC).year
    names = []
    for month in (1, 7):
        name = datetime(year, month, 15, 12, tzinfo=zone).tzname() or ""
        if name not in names:
            names.append(name)
    return f"{zone.key} ({'/'.join(names)})" if names != [zone.key] else zone.key


def to_local(value: datetime, zone: ZoneInfo | None = None) -> datetime:
    """An aware instant as wall time in the zone (a naive value is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone or association_zone())


def local_label(value: datetime | None, zone: ZoneInfo | None = None) -> str:
    """'2026-01-15 16:00 MST': date, 24-hour time and the zone's abbreviation."""
    if value is None:
        return "—"
    return to_local(value, zone).strftime("%Y-%m-%d %H:%M %Z")


def clock_label(value: datetime | None, zone: ZoneInfo | None = None, seconds=False) -> str:
    """'16:00 MST' (or '16:00:05 MST'): the time of day only, for today's events."""
    if value is None:
        return "—"
    return to_local(value, zone).strftime("%H:%M:%S %Z" if seconds else "%H:%M %Z")


def utc_iso(value: datetime) -> str:
    """The instant as ISO 8601 in UTC with a Z, for machines (data attributes, scripts)."""
    return to_local(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_iso(value: datetime, zone: ZoneInfo | None = None) -> str:
    """ISO 8601 wall time with its offset, e.g. '2026-01-15T16:00:00-07:00' (for CSVs)."""
    return to_local(value, zone).replace(microsecond=0).isoformat()


def is_ambiguous(day: date, at: time, zone: ZoneInfo) -> bool:
    """Whether this wall time happens twice on that day (the autumn fold)."""
    first = datetime.combine(day, at, tzinfo=zone)
    return first.utcoffset() != first.replace(fold=1).utcoffset()


def parse_local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The aware UTC instant of a local date and time; refuses a time skipped by DST."""
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=zone)
    instant = wall.astimezone(UTC)
    # A skipped wall time does not survive the round trip (02:30 comes back as 03:30).
    if instant.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise LocalTimeError(
            f"{day:%Y-%m-%d} {at:%H:%M} does not exist in {zone.key}: the clocks skip it when "
            "daylight saving time begins. Choose a time an hour later or earlier."
        )
    return instant


@dataclass(frozen=True)
class LocalSpan:
    """A sitting's start and end as UTC instants, from local entries."""

    starts_at: datetime
    ends_at: datetime
    #: the end time was earlier than the start time, so it is on the next local day
    ends_next_day: bool
    #: a start or end time that happens twice (the first occurrence was used)
    ambiguous: tuple[str, ...] = ()


def parse_span(day: date, starts: time, ends: time, zone: ZoneInfo) -> LocalSpan:
    """Local date + start + end; an end before the start means the next day."""
    if ends == starts:
        raise LocalTimeError("The end time is the same as the start time: a sitting needs time.")
    next_day = ends < starts
    end_day = day + timedelta(days=1) if next_day else day
    ambiguous = tuple(
        f"{d:%Y-%m-%d} {t:%H:%M}"
        for d, t in ((day, starts), (end_day, ends))
        if is_ambiguous(d, t, zone)
    )
    return LocalSpan(
        parse_local(day, starts, zone), parse_local(end_day, ends, zone), next_day, ambiguous
    )
