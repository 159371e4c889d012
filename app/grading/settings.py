"""Grading settings read from the app config, with the defaults the platform ships."""

from datetime import timedelta

from flask import current_app

#: longest comment kept per criterion, and for the overall comment
COMMENT_MAX = 4000


def calibration_rate() -> float:
    """Exact agreement with the calibration key needed before live responses (0 = no gate)."""
    return float(current_app.config.get("GRADING_CALIBRATION_RATE", 0.8))


def back_read_share() -> float:
    """Share of final responses sampled for the lead grader's back-reading."""
    return float(current_app.config.get("GRADING_BACK_READ_SHARE", 0.05))


def default_capacity() -> int:
    """A grader's capacity until the lead grader sets one."""
    return int(current_app.config.get("GRADING_DEFAULT_CAPACITY", 20))


def second_reading_wait() -> timedelta:
    """How long a response may wait for its second reading before the lead grader sees it."""
    return timedelta(hours=int(current_app.config.get("GRADING_SECOND_READING_WAIT_HOURS", 72)))


def appeal_window() -> timedelta:
    """How long after release a candidate may request a review of a failed Part Two."""
    return timedelta(days=int(current_app.config.get("APPEAL_WINDOW_DAYS", 30)))


def retake_wait_days() -> int:
    return int(current_app.config.get("RETAKE_WAIT_DAYS", 90))
