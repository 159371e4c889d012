"""Configuration: the embedded SQLite default, PostgreSQL through DATABASE_URL."""

import os
from pathlib import Path

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):  # the scheme many hosts hand out; SQLAlchemy wants its own
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url or f"sqlite:///{INSTANCE / 'endorsement.sqlite'}"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Tokens must outlive a 90-minute part plus accommodations: bound to the session, no expiry.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    #: proxies in front of the app (load balancer, TLS terminator) whose X-Forwarded-For and
    #: X-Forwarded-Proto are trusted; sign-in limits per address need the client's real address
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))
    #: seconds after the deadline in which a save still counts (network latency, not extra time)
    SAVE_GRACE_SECONDS = int(os.environ.get("SAVE_GRACE_SECONDS", "10"))
    #: how often an exam page re-syncs its clock and sees pauses/extensions (seconds)
    EXAM_POLL_SECONDS = int(os.environ.get("EXAM_POLL_SECONDS", "10"))
    #: a grader needs this exact-agreement rate on the calibration set before live responses
    GRADING_CALIBRATION_RATE = float(os.environ.get("GRADING_CALIBRATION_RATE", "0.8"))
    #: share of resolved responses the lead grader back-reads
    GRADING_BACK_READ_SHARE = float(os.environ.get("GRADING_BACK_READ_SHARE", "0.05"))
    #: readings a grader may hold open at once unless the lead grader sets another capacity
    GRADING_DEFAULT_CAPACITY = int(os.environ.get("GRADING_DEFAULT_CAPACITY", "20"))
    #: argon2id cost: OWASP's recommended minimum (19 MiB, 2 passes) by default, so a cohort
    #: signing in at once does not saturate the CPU; raise it where sign-ins are spread out.
    #: Stored hashes are upgraded at the next sign-in when these change.
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "2"))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", "19456"))
    #: login attempts allowed per account and per address within LOGIN_WINDOW_SECONDS
    LOGIN_MAX_ATTEMPTS = int(os.environ.get("LOGIN_MAX_ATTEMPTS", "10"))
    LOGIN_WINDOW_SECONDS = 900
    #: groups smaller than this are suppressed in pass-rate reports
    REPORT_MIN_GROUP = int(os.environ.get("REPORT_MIN_GROUP", "5"))
    #: item analyses of fewer attempts show n and p only (no rpb, d27, KR-20, SEM)
    ITEM_MIN_N = int(os.environ.get("ITEM_MIN_N", "30"))
    #: item analyses of fewer attempts flag no item
    ITEM_FLAG_MIN_N = int(os.environ.get("ITEM_FLAG_MIN_N", "100"))
    #: exam windows close on these application deadlines (month, day)
    WINDOW_DEADLINES = ((1, 31), (4, 30), (7, 31), (10, 31))
    #: minutes of optional break between Part One and Part Two
    BREAK_MINUTES = int(os.environ.get("BREAK_MINUTES", "15"))
    #: days a candidate waits before retaking a failed part
    RETAKE_WAIT_DAYS = int(os.environ.get("RETAKE_WAIT_DAYS", "90"))


class DevConfig(Config):
    """`make run` on one machine over plain http://127.0.0.1."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SESSION_COOKIE_SECURE = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - fixed for reproducible tests
    SESSION_COOKIE_SECURE = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8192
    SAVE_GRACE_SECONDS = 5
