"""Security headers on every response; input no handler may see (NUL, oversized URL ids,
bodies over MAX_CONTENT_LENGTH)."""

from flask import Flask, Response, abort, current_app, request
from werkzeug.routing import IntegerConverter, ValidationError

#: PostgreSQL's integer, the type of every id column
MAX_ID = 2**31 - 1

# Scripts and styles only from our own files: no inline script can run, injected or not.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def _set_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html":
        # exam pages hold answers: no shared or back-button cache may keep them
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class DatabaseInteger(IntegerConverter):
    """<int:...> in URLs, capped at the id columns' range: a larger number is "not found" (404)
    rather than an overflow error from the database (PostgreSQL past 2**31, SQLite past 2**63)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if not is_whole_number(value):  # int() refuses very long digit strings outright
            raise ValidationError()
        return super().to_python(value)


def bound_url_integers(app: Flask) -> None:
    """Use DatabaseInteger for <int:...>; call before any rule is added (rules bind it then)."""
    app.url_map.converters["int"] = DatabaseInteger


def is_whole_number(raw: str) -> bool:
    """ASCII digits within the id columns' range: safe to int() and to store.

    str.isdigit() alone accepts "²" and "٣" (int() then fails) and any length (the column
    overflows), so form fields that carry numbers are checked with this instead."""
    return raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_ID)) and int(raw) <= MAX_ID


def _refuse_nul() -> None:
    # No form needs NUL, and PostgreSQL cannot take it in text, not even as a query parameter:
    # refuse it here, naming the field, instead of a database error (500) from whichever field
    # or URL part first reaches the database.
    if "\x00" in request.path:
        abort(404)
    for source in (request.args, request.form):
        for name, values in source.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                label = name.replace("\x00", "").replace("_", " ").replace("-", " ").capitalize()
                abort(
                    422,
                    description=f"{label} contains a character that cannot be stored (NUL); "
                    "remove it and try again.",
                )


def _refuse_oversized_body() -> None:
    # A declared length over the limit is refused before a byte of the body is read, and before
    # CSRF or any view touches the form.
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return
    if (request.content_length or 0) > limit:
        abort(413)
    # No length given (chunked): Werkzeug reads at most `limit` bytes and then stops without
    # an error, which would parse a silently cut form. Read it here (kept for the form parser)
    # and refuse a body that reaches the limit.
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if request.content_length is None and chunked and len(request.get_data(cache=True)) >= limit:
        abort(413)


def register(app: Flask) -> None:
    """Install the header hook and the input guards (the body size first of all)."""
    app.after_request(_set_headers)
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_oversized_body)
    app.before_request(_refuse_nul)
