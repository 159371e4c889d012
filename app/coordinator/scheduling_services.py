"""Scheduling: exam windows, sittings, seats with accommodations, and track approvals.

Every service checks the whole input before it writes anything, then flushes; the view commits
once. A `Problem` carries the message for the coordinator and the HTTP status to answer with."""

import secrets
from dataclasses import asdict
from datetime import datetime

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import audit
from app.codes import PARTS, track_label
from app.coordinator import seat_rules
from app.coordinator.scheduling_input import (
    Accommodations,
    Problem,
    SeatInput,
    SittingInput,
    WindowInput,
)
from app.extensions import db
from app.localtime import to_local
from app.mail import notices
from app.models import (
    Approval,
    Attempt,
    ExamWindow,
    Form,
    Incident,
    Seat,
    Sitting,
    SittingForm,
    User,
)

# No 0/O or 1/I/L: the proctor reads the code aloud and candidates type it under pressure.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


# --- queries -------------------------------------------------------------------------------


def windows() -> list[ExamWindow]:
    """Every exam window, the latest first."""
    stmt = select(ExamWindow).options(selectinload(ExamWindow.sittings))
    return list(db.session.scalars(stmt.order_by(ExamWindow.opens_on.desc())))


def proctors() -> list[User]:
    """Active proctor accounts, by name."""
    stmt = select(User).where(User.role == "proctor", User.is_active.is_(True))
    return list(db.session.scalars(stmt.order_by(User.name)))


def find_candidates(query: str, page: int, per_page: int = 25, not_in: Sitting | None = None):
    """Candidates whose name or email contains the query (not seated in `not_in`), paged."""
    stmt = select(User).where(User.role == "candidate").options(selectinload(User.approvals))
    if query := query.strip().lower()[:100]:
        stmt = stmt.where(or_(User.email.like(f"%{query}%"), User.name.ilike(f"%{query}%")))
    if not_in is not None:
        stmt = stmt.where(
            User.id.not_in(select(Seat.candidate_id).where(Seat.sitting_id == not_in.id))
        )
    stmt = stmt.order_by(User.name, User.email)
    return db.paginate(stmt, page=max(page, 1), per_page=per_page, error_out=False)


def form_choices() -> dict[str, list[tuple[str, str]]]:
    """Per part, the (code, latest title) of every form code in the bank."""
    choices: dict[str, list[tuple[str, str]]] = {part: [] for part in PARTS}
    seen: set[str] = set()
    for form in db.session.scalars(select(Form).order_by(Form.code, Form.version.desc())):
        if form.code not in seen:
            seen.add(form.code)
            choices[form.part].append((form.code, form.title))
    return choices


def seats_with_attempts(sitting: Sitting) -> set[int]:
    """Ids of the sitting's seats that have an attempt (they can no longer be removed)."""
    stmt = select(Attempt.seat_id).join(Seat).where(Seat.sitting_id == sitting.id)
    return set(db.session.scalars(stmt))


# --- windows -------------------------------------------------------------------------------


def _window_problems(data: WindowInput, window: ExamWindow | None) -> list[str]:
    problems = []
    if data.closes_on < data.opens_on:
        problems.append(
            "The window closes before it opens: choose a closing date on or after the opening date."
        )
    same_name = select(ExamWindow.id).where(func.lower(ExamWindow.name) == data.name.lower())
    if window is not None:
        same_name = same_name.where(ExamWindow.id != window.id)
    if db.session.scalar(same_name.limit(1)) is not None:
        problems.append(f"A window named “{data.name}” already exists: choose another name.")
    overlapping = select(ExamWindow).where(
        ExamWindow.opens_on <= data.closes_on, ExamWindow.closes_on >= data.opens_on
    )
    if window is not None:
        overlapping = overlapping.where(ExamWindow.id != window.id)
    for other in db.session.scalars(overlapping.order_by(ExamWindow.opens_on)):
        problems.append(
            f"The window would overlap “{other.name}” ({other.opens_on:%Y-%m-%d} to "
            f"{other.closes_on:%Y-%m-%d}): exam windows may not overlap."
        )
    for sitting in window.sittings if window is not None else []:
        local_day = to_local(sitting.starts_at).date()
        if not data.opens_on <= local_day <= data.closes_on:
            problems.append(
                f"Sitting “{sitting.name}” on {local_day:%Y-%m-%d} would fall outside "
                "the window: move it first."
            )
    return problems


def _window_state(window: ExamWindow) -> dict:
    return {
        "name": window.name,
        "opens_on": window.opens_on.isoformat(),
        "closes_on": window.closes_on.isoformat(),
    }


def create_window(data: WindowInput, actor: User, now: datetime) -> ExamWindow:
    """A new exam window (audited)."""
    if problems := _window_problems(data, None):
        raise Problem(" ".join(problems))
    window = ExamWindow(name=data.name, opens_on=data.opens_on, closes_on=data.closes_on)
    db.session.add(window)
    db.session.flush()
    audit.record("window.created", window, actor=actor, now=now, after=_window_state(window))
    return window


def update_window(window: ExamWindow, data: WindowInput, actor: User, now: datetime) -> None:
    """Rename or move a window; its sittings must stay inside it (audited)."""
    if problems := _window_problems(data, window):
        raise Problem(" ".join(problems))
    before = _window_state(window)
    window.name, window.opens_on, window.closes_on = data.name, data.opens_on, data.closes_on
    db.session.flush()
    if (after := _window_state(window)) != before:
        audit.record("window.updated", window, actor=actor, now=now, before=before, after=after)


# --- sittings ------------------------------------------------------------------------------


def _sitting_problems(window: ExamWindow, data: SittingInput) -> list[str]:
    problems = []
    if data.ends_at <= data.starts_at:
        problems.append("The end time must be after the start time.")
    proctor = db.session.get(User, data.proctor_id)
    if proctor is None or proctor.role != "proctor" or not proctor.is_active:
        problems.append("The chosen proctor is not an active proctor account.")
    if not window.opens_on <= (data.day or to_local(data.starts_at).date()) <= window.closes_on:
        problems.append(
            f"The sitting must start within the window ({window.opens_on:%Y-%m-%d} to "
            f"{window.closes_on:%Y-%m-%d})."
        )
    if not data.form_codes:
        problems.append("Offer at least one form.")
    known = {code for part in form_choices().values() for code, _title in part}
    if unknown := sorted(set(data.form_codes) - known):
        problems.append(f"Unknown form code(s): {', '.join(unknown)}.")
    return problems


def _sitting_state(sitting: Sitting) -> dict:
    return {
        "name": sitting.name,
        "starts_at": sitting.starts_at.isoformat(),
        "ends_at": sitting.ends_at.isoformat(),
        "proctor_id": sitting.proctor_id,
        "mode": sitting.mode,
        "forms": sitting.form_codes,
    }


def new_access_code() -> str:
    """A short random code candidates type to enter an on-demand sitting."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _apply_sitting(sitting: Sitting, data: SittingInput) -> None:
    sitting.name, sitting.starts_at, sitting.ends_at = data.name, data.starts_at, data.ends_at
    sitting.proctor_id, sitting.mode = data.proctor_id, data.mode
    if data.mode == "on_demand":
        sitting.access_code = sitting.access_code or new_access_code()
    else:
        sitting.access_code = None  # a stale code must not admit anyone to a proctored sitting
    # Keep unchanged rows: deleting and re-adding a code would collide on UNIQUE(sitting, code).
    wanted = set(data.form_codes)
    sitting.forms = [f for f in sitting.forms if f.form_code in wanted]
    kept = {f.form_code for f in sitting.forms}
    sitting.forms += [SittingForm(form_code=code) for code in sorted(wanted - kept)]


def create_sitting(window: ExamWindow, data: SittingInput, actor: User, now: datetime) -> Sitting:
    """A new sitting in the window, with its forms (audited)."""
    if problems := _sitting_problems(window, data):
        raise Problem(" ".join(problems))
    sitting = Sitting(window=window)
    _apply_sitting(sitting, data)
    db.session.add(sitting)
    db.session.flush()
    audit.record("sitting.created", sitting, actor=actor, now=now, after=_sitting_state(sitting))
    return sitting


def _seats_problems(sitting: Sitting, data: SittingInput) -> list[str]:
    """Every seat that the changed time or forms would break (retake wait, missing form)."""
    wait_days = current_app.config["RETAKE_WAIT_DAYS"]
    attempted = seats_with_attempts(sitting)
    problems = []
    for seat in sitting.seats:
        if seat.voided_at is not None or seat.id in attempted:
            continue  # a seat already sat keeps its record whatever the sitting becomes
        parts, track = seat.part_list, seat.track
        if missing := seat_rules.offered_forms_problem(data.form_codes, track, parts):
            problems.append(f"{seat.candidate.name}: {missing}")
        if waiting := seat_rules.retake_wait_problem(
            seat.candidate, track, parts, data.starts_at, wait_days, exclude_seat=seat.id
        ):
            problems.append(waiting)
    if problems:
        problems.insert(0, "These seats would break; move or remove them first:")
    return problems


def update_sitting(sitting: Sitting, data: SittingInput, actor: User, now: datetime) -> None:
    """Change a sitting's time, proctor, mode or forms (audited: times are clocks)."""
    if problems := _sitting_problems(sitting.window, data):
        raise Problem(" ".join(problems))
    if problems := _seats_problems(sitting, data):
        raise Problem(" ".join(problems), 409)
    before = _sitting_state(sitting)
    _apply_sitting(sitting, data)
    db.session.flush()
    if (after := _sitting_state(sitting)) != before:
        audit.record("sitting.updated", sitting, actor=actor, now=now, before=before, after=after)


# --- seats ---------------------------------------------------------------------------------


def _accommodations(seat: Seat) -> dict:
    return {
        "time_multiplier": seat.time_multiplier,
        "extra_minutes": seat.extra_minutes,
        "note": seat.accommodation_note,
    }


def add_seat(sitting: Sitting, data: SeatInput, actor: User, now: datetime) -> Seat:
    """Seat an approved candidate for a track, with accommodations (audited)."""
    if sitting.closed_at is not None:
        raise Problem("This sitting is closed: no seats can be added.", 409)
    candidate = db.session.get(User, data.candidate_id)
    if candidate is None or candidate.role != "candidate":
        raise Problem("Candidate: choose a candidate account.")
    if data.track not in candidate.approved_tracks:
        raise Problem(
            f"{candidate.name} is not approved for {track_label(data.track)}: approve the "
            "candidate for that track on the Approvals page first."
        )
    if any(s.candidate_id == candidate.id for s in sitting.seats):
        raise Problem(f"{candidate.name} already has a seat in this sitting.")
    parts = _seat_parts(sitting, candidate, data.track)
    # By id, not relationship: the seat joins the session only inside the savepoint below.
    seat = Seat(
        sitting_id=sitting.id,
        candidate_id=candidate.id,
        track=data.track,
        parts=" ".join(parts),
        created_at=now,
    )
    _set_accommodations(seat, data.accommodations)
    try:
        with db.session.begin_nested():  # a concurrent duplicate loses cleanly, not with a 500
            db.session.add(seat)
    except IntegrityError:
        raise Problem(f"{candidate.name} already has a seat in this sitting.") from None
    audit.record(
        "seat.created",
        seat,
        actor=actor,
        now=now,
        sitting_id=sitting.id,
        candidate_id=candidate.id,
        track=seat.track,
        parts=seat.parts,
        accommodations=_accommodations(seat),
    )
    db.session.refresh(seat)  # load the sitting and candidate for the confirmation
    notices.seat_confirmation(seat, now)
    return seat


def _seat_parts(sitting: Sitting, candidate: User, track: str) -> tuple[str, ...]:
    """The parts the candidate sits here; refuses when a form is missing or a wait is not over."""
    parts = seat_rules.parts_to_sit(candidate, track)
    if not parts:
        raise Problem(f"{candidate.name} has already passed both parts of {track_label(track)}.")
    if missing := seat_rules.offered_forms_problem(sitting.form_codes, track, parts):
        raise Problem(missing, 409)
    wait_days = current_app.config["RETAKE_WAIT_DAYS"]
    if waiting := seat_rules.retake_wait_problem(
        candidate, track, parts, sitting.starts_at, wait_days
    ):
        raise Problem(waiting, 409)
    return parts


def _set_accommodations(seat: Seat, acc: Accommodations) -> None:
    seat.time_multiplier, seat.extra_minutes = acc.time_multiplier, acc.extra_minutes
    seat.accommodation_note = acc.note


def change_accommodations(
    seat: Seat, acc: Accommodations, reason: str, actor: User, now: datetime
) -> bool:
    """Set a seat's accommodations; audited with before, after and why. False if unchanged."""
    before, after = _accommodations(seat), asdict(acc)
    if before == after:
        return False
    if not reason:
        raise Problem("Reason: say why the accommodations change (it is kept in the audit log).")
    _set_accommodations(seat, acc)
    db.session.flush()
    audit.record(
        "seat.accommodations_changed",
        seat,
        actor=actor,
        reason=reason,
        now=now,
        before=before,
        after=after,
    )
    return True


def remove_seat(seat: Seat, reason: str, actor: User, now: datetime) -> None:
    """Take a seat out of its sitting, if no attempt or incident refers to it (audited)."""
    if db.session.scalar(select(Attempt.id).where(Attempt.seat_id == seat.id).limit(1)):
        raise Problem(
            "This seat has an attempt, so it cannot be removed: the proctor can void it instead.",
            409,
        )
    if db.session.scalar(select(Incident.id).where(Incident.seat_id == seat.id).limit(1)):
        raise Problem("Incidents are recorded against this seat, so it cannot be removed.", 409)
    audit.record(
        "seat.removed",
        seat,
        actor=actor,
        reason=reason,
        now=now,
        sitting_id=seat.sitting_id,
        candidate_id=seat.candidate_id,
        track=seat.track,
        accommodations=_accommodations(seat),
    )
    db.session.delete(seat)
    db.session.flush()


# --- approvals -----------------------------------------------------------------------------


def _candidate(candidate_id: int) -> User:
    candidate = db.session.get(User, candidate_id)
    if candidate is None or candidate.role != "candidate":
        raise Problem("Candidate: choose a candidate account.")
    return candidate


def approve(candidate_id: int, track: str, reason: str, actor: User, now: datetime) -> User:
    """Approve a candidate to sit one track's exam (audited)."""
    candidate = _candidate(candidate_id)
    if track in candidate.approved_tracks:
        raise Problem(f"{candidate.name} is already approved for {track_label(track)}.")
    candidate.approvals.append(Approval(track=track))
    db.session.flush()
    audit.record("approval.granted", candidate, actor=actor, reason=reason, now=now, track=track)
    return candidate


def withdraw(candidate_id: int, track: str, reason: str, actor: User, now: datetime) -> User:
    """Withdraw a candidate's approval for a track, unless a pending seat still relies on it."""
    candidate = _candidate(candidate_id)
    approval = next((a for a in candidate.approvals if a.track == track), None)
    if approval is None:
        raise Problem(f"{candidate.name} is not approved for {track_label(track)}.")
    attempted = select(Attempt.id).where(Attempt.seat_id == Seat.id).exists()
    pending = db.session.scalar(
        select(Sitting.name)
        .join(Seat)
        .where(Seat.candidate_id == candidate.id, Seat.track == track, Seat.voided_at.is_(None))
        .where(~attempted)
        .limit(1)
    )
    if pending is not None:
        raise Problem(
            f"{candidate.name} holds a seat for this track in “{pending}”: remove the seat "
            "before withdrawing the approval.",
            409,
        )
    candidate.approvals.remove(approval)
    db.session.flush()
    audit.record("approval.withdrawn", candidate, actor=actor, reason=reason, now=now, track=track)
    return candidate
