"""Configuration: production by default; development only when ENDORSEMENT_ENV asks for it.

The embedded SQLite file is the default database, PostgreSQL comes through DATABASE_URL."""

import os
from pathlib import Path

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def _database_url(default_file: str = "endorsement.sqlite") -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):  # the scheme many hosts hand out; SQLAlchemy wants its own
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url or f"sqlite:///{INSTANCE / default_file}"


class Config:
    """What every configuration shares; production and development differ only below."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    #: a separate key for the audit chain's HMAC: with it, database access alone cannot rewrite
    #: the chain (keep it out of the database's backups and off the database host if you can)
    AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Tokens must outlive a 90-minute part plus accommodations: bound to the session, no expiry.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") != "0"
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
    #: live readings a grader commits to per grading round unless the lead grader sets another
    GRADING_DEFAULT_CAPACITY = int(os.environ.get("GRADING_DEFAULT_CAPACITY", "20"))
    #: a response waiting longer than this for its second reading is shown to the lead grader
    GRADING_SECOND_READING_WAIT_HOURS = int(
        os.environ.get("GRADING_SECOND_READING_WAIT_HOURS", "72")
    )
    #: days after results are released in which a candidate who did not pass Part Two may
    #: request a review
    APPEAL_WINDOW_DAYS = int(os.environ.get("APPEAL_WINDOW_DAYS", "30"))
    #: argon2id cost: OWASP's recommended minimum (19 MiB, 2 passes) by default, so a cohort
    #: signing in at once does not saturate the CPU; raise it where sign-ins are spread out.
    #: Stored hashes are upgraded at the next sign-in when these change.
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "2"))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", "19456"))
    # OWASP's argon2id profile (19 MiB, 2 passes) has one lane: the same work per guess as four
    # lanes, but a sign-in keeps to one core instead of starting four threads that take both
    # cores of a small server from the candidates' saves for a few milliseconds at a time
    ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "1"))
    #: failed sign-ins of one account from one address before it must wait; the wait starts at
    #: LOGIN_FIRST_WAIT_SECONDS and doubles with each further failure up to LOGIN_MAX_WAIT_SECONDS.
    #: Failures from one address never make the owner wait at another (OWASP).
    LOGIN_FREE_FAILURES = int(os.environ.get("LOGIN_FREE_FAILURES", "5"))
    LOGIN_FIRST_WAIT_SECONDS = int(os.environ.get("LOGIN_FIRST_WAIT_SECONDS", "60"))
    LOGIN_MAX_WAIT_SECONDS = int(os.environ.get("LOGIN_MAX_WAIT_SECONDS", "900"))
    #: how long a failure counts toward an account's waits at one address (a success clears it)
    LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", str(24 * 3600)))
    #: credential stuffing: distinct accounts that may fail from one address within
    #: LOGIN_ADDRESS_WINDOW_SECONDS; high enough for an exam room behind one public address
    LOGIN_ADDRESS_ACCOUNTS = int(os.environ.get("LOGIN_ADDRESS_ACCOUNTS", "50"))
    LOGIN_ADDRESS_WINDOW_SECONDS = int(os.environ.get("LOGIN_ADDRESS_WINDOW_SECONDS", "900"))
    #: the largest request body accepted (413 otherwise, before the body is read): an essay at
    #: its 60,000-character limit is at most ~0.7 MB form-encoded; uploads need more headroom
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(4 * 1024 * 1024)))
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
    #: largest bank file or zip the coordinator may upload on the Bank page (bytes)
    BANK_UPLOAD_MAX_BYTES = int(os.environ.get("BANK_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))
    #: days a candidate waits before retaking a failed part
    RETAKE_WAIT_DAYS = int(os.environ.get("RETAKE_WAIT_DAYS", "90"))
    #: the association's time zone (IANA name): every form takes and every page, CSV and email
    #: shows local time in it; the database keeps UTC
    TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
    #: the address people reach the platform at; links in emails start with it
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
    #: single-use links: an invitation's lifetime (days) and a password reset's (minutes)
    INVITE_EXPIRY_DAYS = int(os.environ.get("INVITE_EXPIRY_DAYS", "7"))
    RESET_EXPIRY_MINUTES = int(os.environ.get("RESET_EXPIRY_MINUTES", "60"))
    #: *Forgot password?* requests one address may make within RESET_ADDRESS_WINDOW_SECONDS
    #: (any email, known or not) before it waits: one address cannot make us email every account
    RESET_ADDRESS_REQUESTS = int(os.environ.get("RESET_ADDRESS_REQUESTS", "10"))
    RESET_ADDRESS_WINDOW_SECONDS = int(os.environ.get("RESET_ADDRESS_WINDOW_SECONDS", "900"))
    #: Flask-Mail's settings under their standard names; without MAIL_SERVER every send is
    #: recorded as failed ("not configured") and shown on the coordinator's Mail page
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0").lower() in ("1", "true", "yes")
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0").lower() in ("1", "true", "yes")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "endorsement-exams@localhost")
    #: seconds to wait for the mail server before recording the send as failed
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))
    #: "smtp" sends through MAIL_SERVER; "outbox" (development only) writes .eml files to
    #: MAIL_OUTBOX_DIR (default instance/outbox), readable on the coordinator's Outbox page
    MAIL_BACKEND = "smtp"
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", "")


class ProductionConfig(Config):
    """The default: what `wsgi:app` and `flask --app wsgi` load unless told otherwise.

    No fallbacks: create_app refuses to start without SECRET_KEY, cookies are Secure unless
    SESSION_COOKIE_SECURE=0 says otherwise (plain http on loopback only)."""

    DEBUG = False
    TESTING = False


class DevelopmentConfig(Config):
    """`make run` (ENDORSEMENT_ENV=development) on one machine over plain http://127.0.0.1,
    with its own database file so the demo's published password never reaches the real one."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SESSION_COOKIE_SECURE = False
    SQLALCHEMY_DATABASE_URI = _database_url("demo.sqlite")
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    # no mail server on a developer's machine: every message lands in the outbox to read
    MAIL_BACKEND = "smtp" if os.environ.get("MAIL_SERVER") else "outbox"


#: ENDORSEMENT_ENV values; unset means production
ENVIRONMENTS = {"production": ProductionConfig, "development": DevelopmentConfig}


def config_from_environment() -> type[Config]:
    """The configuration ENDORSEMENT_ENV names (production when unset); refuses unknown names."""
    name = os.environ.get("ENDORSEMENT_ENV", "production").strip().lower() or "production"
    if name not in ENVIRONMENTS:
        raise RuntimeError(
            f"ENDORSEMENT_ENV={name!r} is unknown: use production or development (or unset)."
        )
    return ENVIRONMENTS[name]


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - fixed for reproducible tests
    SESSION_COOKIE_SECURE = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8192
    SAVE_GRACE_SECONDS = 5
    PUBLIC_URL = "http://127.0.0.1:5000"
    MAIL_BACKEND = "outbox"  # tests that check delivery point this at a local SMTP server
    MAIL_TIMEOUT = 5
