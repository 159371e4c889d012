"""The sitting report: one row per seat with its times, accommodations, incidents and signs of
trouble, for printing after the day and for the coordinator's records (HTML and CSV)."""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from app.exam import proctoring
from app.exam.late import DeclinedBatch, seat_declined
from app.extensions import db
from app.models import Attempt, AuditEvent, Incident, LateAnswer, Seat, Sitting
from app.templating import when

PART_LABELS = {"MC": "Part One", "VIGNETTE": "Part Two"}
#: audit actions whose data carries time given back to an attempt, and the key holding it
TIME_EVENTS = {"proctor.credit": "credited_seconds", "proctor.resume": "paused_seconds"}


@dataclass
class ReportRow:
    seat: Seat
    status: str
    attempts: dict[str, Attempt]
    credited_seconds: int = 0
    paused_seconds: int = 0
    incidents: list[Incident] = field(default_factory=list)
    #: answers that reached the server after deadline + grace (held, accepted or not)
    late_answers: int = 0
    #: the declined ones, one batch per decision (kept with who, when and why)
    late_declined: list[DeclinedBatch] = field(default_factory=list)

    @property
    def extension_minutes(self) -> int:
        return sum(a.extension_minutes for a in self.attempts.values())

    @property
    def focus_losses(self) -> int:
        return sum(a.focus_losses for a in self.attempts.values())

    @property
    def accommodations(self) -> str:
        seat = self.seat
        parts = []
        if seat.time_multiplier != 1:
            parts.append(f"time x {seat.time_multiplier:g}")
        if seat.extra_minutes:
            parts.append(f"+{seat.extra_minutes} min")
        if seat.accommodation_note:
            parts.append(seat.accommodation_note)
        return "; ".join(parts)


def _time_given(attempt_ids: list[int]) -> dict[tuple[int, str], int]:
    """Seconds credited or paused per (attempt id, audit action), from the audit log."""
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action.in_(TIME_EVENTS),
            AuditEvent.subject_type == "attempt",
            AuditEvent.subject_id.in_([str(i) for i in attempt_ids]),
        )
    )
    totals: Counter = Counter()
    for event in events:
        totals[(int(event.subject_id), event.action)] += int(
            event.data.get(TIME_EVENTS[event.action], 0)
        )
    return totals


def _late_counts(attempt_ids: list[int]) -> dict[int, int]:
    """Late answers per attempt, whatever was decided about them."""
    stmt = (
        select(LateAnswer.attempt_id, func.count())
        .where(LateAnswer.attempt_id.in_(attempt_ids))
        .group_by(LateAnswer.attempt_id)
    )
    return {attempt_id: n for attempt_id, n in db.session.execute(stmt)}


def _incidents_by_seat(sitting: Sitting) -> dict[int | None, list[Incident]]:
    out: dict[int | None, list[Incident]] = {}
    for incident in reversed(proctoring.incidents(sitting)):
        out.setdefault(incident.seat_id, []).append(incident)
    return out


def sitting_report(sitting: Sitting, now: datetime) -> tuple[list[ReportRow], list[Incident]]:
    """One row per seat, plus the incidents recorded for the whole sitting (no seat)."""
    rows = proctoring.roster(sitting, now)
    by_seat = proctoring.attempts_by_seat([r.seat.id for r in rows])
    attempt_ids = [a.id for group in by_seat.values() for a in group]
    given = _time_given(attempt_ids)
    late = _late_counts(attempt_ids)
    declined = seat_declined([r.seat.id for r in rows])
    incidents = _incidents_by_seat(sitting)
    report = []
    for r in rows:
        attempts = {a.part: a for a in by_seat.get(r.seat.id, [])}
        ids = [a.id for a in attempts.values()]
        report.append(
            ReportRow(
                r.seat,
                r.status,
                attempts,
                credited_seconds=sum(given[(i, "proctor.credit")] for i in ids),
                paused_seconds=sum(given[(i, "proctor.resume")] for i in ids),
                incidents=incidents.get(r.seat.id, []),
                late_answers=sum(late.get(i, 0) for i in ids),
                late_declined=declined.get(r.seat.id, []),
            )
        )
    return report, incidents.get(None, [])


CSV_COLUMNS = (
    "candidate",
    "email",
    "track",
    "status",
    "arrived",
    "admitted",
    "id_checked",
    "id_check_note",
    "part_one_started",
    "part_one_submitted",
    "part_one_closed_by",
    "part_two_started",
    "part_two_submitted",
    "part_two_closed_by",
    "accommodations",
    "extension_minutes",
    "credited_minutes",
    "paused_minutes",
    "incidents",
    "focus_losses",
    "late_answers",
    "late_answers_declined",
    "voided",
)


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run: a leading = + - @ is quoted away."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _at(value: datetime | None) -> str:
    return when(value) if value else ""


def _part_cells(row: ReportRow, part: str) -> list[str]:
    attempt = row.attempts.get(part)
    if attempt is None:
        return ["", "", ""]
    return [_at(attempt.started_at), _at(attempt.submitted_at), attempt.submit_reason or ""]


def _csv_row(row: ReportRow) -> list:
    seat = row.seat
    return [
        seat.candidate.name,
        seat.candidate.email,
        seat.track,
        row.status,
        _at(seat.checked_in_at),
        _at(seat.admitted_at),
        _at(seat.id_checked_at),
        seat.id_check_note,
        *_part_cells(row, "MC"),
        *_part_cells(row, "VIGNETTE"),
        row.accommodations,
        row.extension_minutes,
        round(row.credited_seconds / 60, 1),
        round(row.paused_seconds / 60, 1),
        " | ".join(f"{when(i.at)} {i.category}: {i.note}" for i in row.incidents),
        row.focus_losses,
        row.late_answers,
        " | ".join(f"{d.line} {when(d.at)}: {d.reason}" for d in row.late_declined),
        _at(seat.voided_at),
    ]


def report_csv(rows: list[ReportRow]) -> str:
    """The report as CSV, one line per seat, times through the same `when` as the pages."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(v) for v in _csv_row(row)])
    return out.getvalue()
