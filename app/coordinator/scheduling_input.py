"""Reading the scheduling forms: every field parsed defensively, junk named in a Problem (422).

The parsers never trust the browser's widgets: a date, time or number arrives as any text."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

from app.codes import TRACKS
from app.coordinator.windows import window_name
from app.localtime import LocalTimeError, parse_span
from app.security import is_whole_number

MODES = ("scheduled", "on_demand")
#: PostgreSQL's integer: a larger id would be a database error rather than "not found"
MAX_ID = 2**31 - 1
MAX_EXTRA_MINUTES = 600
MAX_MULTIPLIER = 4
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TIME = re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?")
DECIMAL = re.compile(r"[0-9]{1,2}(\.[0-9]{1,4})?")


class Problem(Exception):
    """Input the coordinator must fix (422), or a change the current state forbids (409)."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class WindowInput:
    name: str
    opens_on: date
    closes_on: date


@dataclass
class SittingInput:
    name: str
    starts_at: datetime
    ends_at: datetime
    proctor_id: int
    mode: str
    form_codes: list[str]
    #: the local date entered: the window holds sittings by the association's calendar
    day: date | None = None
    #: the end time was before the start time, so the sitting ends on the next local day
    ends_next_day: bool = False
    #: local times entered that happen twice (DST ends); the first occurrence was used
    ambiguous: tuple[str, ...] = field(default=())


@dataclass
class Accommodations:
    time_multiplier: float
    extra_minutes: int
    note: str


@dataclass
class SeatInput:
    candidate_id: int
    track: str
    accommodations: Accommodations


def text(form: MultiDict, key: str, label: str, max_length: int, required: bool = True) -> str:
    """A trimmed text field; PostgreSQL cannot store NUL, so it is refused, not a 500."""
    value = (form.get(key) or "").strip()
    if "\x00" in value:
        raise Problem(f"{label} contains a character that cannot be stored.")
    if required and not value:
        raise Problem(f"{label} is required.")
    if len(value) > max_length:
        raise Problem(f"{label} is longer than {max_length} characters.")
    return value


def parse_date(raw: str | None, label: str) -> date:
    """A YYYY-MM-DD date."""
    raw = (raw or "").strip()
    try:
        if not DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise Problem(f"{label} is not a date: use YYYY-MM-DD, e.g. 2026-11-24.") from None


def parse_time(raw: str | None, label: str) -> time:
    """A 24-hour HH:MM time (H:MM and a dot separator are accepted too: 9.30 is 09:30)."""
    raw = (raw or "").strip().replace(".", ":")
    if len(raw) == 4 and raw[1] == ":":
        raw = "0" + raw
    try:
        if not TIME.fullmatch(raw):
            raise ValueError(raw)
        return time.fromisoformat(raw)
    except ValueError:
        raise Problem(
            f"{label} is not a 24-hour time: use HH:MM from 00:00 to 23:59, e.g. 16:00 for 4 pm."
        ) from None


def parse_id(raw: str | None, label: str) -> int:
    """The id chosen in a select."""
    raw = (raw or "").strip()
    if not is_whole_number(raw) or int(raw) == 0:
        raise Problem(f"{label.capitalize()}: choose a {label} from the list.")
    return int(raw)


def parse_track(raw: str | None) -> str:
    """One of the eight track codes."""
    if raw not in TRACKS:
        raise Problem("Track: choose one of the eight tracks from the list.")
    return raw


def parse_multiplier(raw: str | None) -> float:
    """A time multiplier from 1 to 4 (blank means 1); a decimal comma is accepted."""
    raw = (raw or "").strip().replace(",", ".") or "1"
    if not DECIMAL.fullmatch(raw) or not 1 <= float(raw) <= MAX_MULTIPLIER:
        raise Problem("Time multiplier must be a number from 1 to 4, e.g. 1.5.")
    return float(raw)


def parse_extra_minutes(raw: str | None) -> int:
    """Whole extra minutes from 0 to 600 (blank means 0)."""
    raw = (raw or "").strip() or "0"
    if not is_whole_number(raw) or int(raw) > MAX_EXTRA_MINUTES:
        raise Problem(
            f"Extra minutes must be a whole number from 0 to {MAX_EXTRA_MINUTES}, e.g. 30."
        )
    return int(raw)


def window_input(form: MultiDict) -> WindowInput:
    """Name and dates of a window; a blank name becomes the readable default."""
    opens_on = parse_date(form.get("opens_on"), "Opens on")
    closes_on = parse_date(form.get("closes_on"), "Closes on")
    name = text(form, "name", "Name", 80, required=False) or window_name(opens_on, closes_on)
    return WindowInput(name, opens_on, closes_on)


def sitting_input(form: MultiDict, zone: ZoneInfo) -> SittingInput:
    """A sitting's name, local date and times in `zone`, proctor, mode and offered form codes.

    An end time before the start time is on the next day (a 16:00 to 01:00 sitting)."""
    name = text(form, "name", "Name", 120)
    day = parse_date(form.get("date"), "Date")
    starts = parse_time(form.get("starts"), "Start time")
    ends = parse_time(form.get("ends"), "End time")
    try:
        span = parse_span(day, starts, ends, zone)
    except LocalTimeError as error:
        raise Problem(str(error)) from None
    proctor_id = parse_id(form.get("proctor_id"), "proctor")
    mode = form.get("mode")
    if mode not in MODES:
        raise Problem("Mode: choose scheduled or on demand.")
    codes = sorted({c.strip() for c in form.getlist("form_codes") if c.strip()})
    return SittingInput(
        name,
        span.starts_at,
        span.ends_at,
        proctor_id,
        mode,
        codes,
        day,
        span.ends_next_day,
        span.ambiguous,
    )


def accommodations_input(form: MultiDict) -> Accommodations:
    """Time multiplier, extra minutes and the accommodation note."""
    return Accommodations(
        parse_multiplier(form.get("time_multiplier")),
        parse_extra_minutes(form.get("extra_minutes")),
        text(form, "accommodation_note", "Accommodation note", 2000, required=False),
    )


def seat_input(form: MultiDict) -> SeatInput:
    """The candidate, track and accommodations of a new seat."""
    return SeatInput(
        parse_id(form.get("candidate_id"), "candidate"),
        parse_track(form.get("track")),
        accommodations_input(form),
    )


def reason_input(form: MultiDict) -> str:
    """The optional or required 'why' that goes into the audit log."""
    return text(form, "reason", "Reason", 500, required=False)
