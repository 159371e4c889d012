"""Request bodies over MAX_CONTENT_LENGTH get a clear 413 before the body is read; the largest
legitimate request (an essay at its character limit) still goes through.

"Not read" is measured by counting the bytes the app takes from wsgi.input, never by time."""

import io

from werkzeug.test import EnvironBuilder, run_wsgi_app

from app.exam.services import MAX_ESSAY_CHARS
from tests.conftest import csrf_from, sign_in
from tests.exam.test_part_two import part_two_seat, save_essay, start_part_two  # noqa: F401

MB = 1024 * 1024


class CountingBody(io.RawIOBase):
    """A body of `size` bytes made as it is read, counting what the app reads."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"a" * n
        self.read_bytes += n
        return n


def post_streamed(app, body: CountingBody, declared: bool, headers=None):
    """POST /login with a streamed body, with a Content-Length or chunked (no length)."""
    builder = EnvironBuilder(
        path="/login",
        method="POST",
        content_type="application/x-www-form-urlencoded",
        headers=headers or {},
    )
    environ = builder.get_environ()
    environ["wsgi.input"] = body
    if declared:
        environ["CONTENT_LENGTH"] = str(body.size)
    else:
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True  # what gunicorn says of a chunked body
    app_iter, status, response_headers = run_wsgi_app(app.wsgi_app, environ, buffered=True)
    return int(status.split()[0]), b"".join(app_iter).decode()


def test_an_oversized_body_with_a_length_is_refused_unread(app):
    body = CountingBody(100 * MB)
    status, page = post_streamed(app, body, declared=True)
    assert status == 413
    assert body.read_bytes == 0
    assert "larger than this site accepts (the limit is 4 MB)" in page
    assert "nothing was saved" in page and "<html" in page


def test_an_oversized_chunked_body_is_cut_off_at_the_limit(app):
    body = CountingBody(100 * MB)
    status, page = post_streamed(app, body, declared=False)
    assert status == 413
    assert body.read_bytes <= app.config["MAX_CONTENT_LENGTH"] + 64 * 1024
    assert "larger than this site accepts" in page


def test_a_small_chunked_body_is_read_as_usual(app):
    body = CountingBody(1000)
    status, page = post_streamed(app, body, declared=False)
    assert body.read_bytes == 1000
    assert status == 400 and "did not come from this site" in page  # CSRF, as for any form


def test_htmx_gets_a_short_413_fragment(app):
    body = CountingBody(10 * MB)
    status, fragment = post_streamed(app, body, declared=True, headers={"HX-Request": "true"})
    assert status == 413 and body.read_bytes == 0
    assert "<html" not in fragment and 'role="alert"' in fragment
    assert "Too large to send (the limit is 4 MB); nothing was saved." in fragment


def test_the_limit_is_a_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    body = CountingBody(1001)
    assert post_streamed(app, body, declared=True)[0] == 413 and body.read_bytes == 0


def test_an_essay_at_its_character_limit_in_four_byte_characters_is_saved(
    app,
    client,
    part_two_seat,  # noqa: F811
):
    """The largest legitimate request: every character percent-encoded as 12 bytes."""
    user, seat_id = part_two_seat
    sign_in(client, user.email)
    public_id, html, ct, vignettes = start_part_two(client, seat_id)
    essay = "\U0001d11e" * MAX_ESSAY_CHARS  # a musical symbol: 4 bytes in UTF-8
    response = save_essay(client, public_id, csrf_from(html), vignettes[0], essay, True, 1, ct)
    assert response.request.content_length > 12 * MAX_ESSAY_CHARS
    assert response.status_code == 200, response.text
