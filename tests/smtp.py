"""A real SMTP server (aiosmtpd) on 127.0.0.1 that the app sends to, for mail tests."""

import re
import socket
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+")


class Inbox:
    """What the server received; stop() and start() simulate a mail server outage."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list[EmailMessage] = []
        self.connections = 0  # EHLO greetings: one per SMTP connection
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 Message accepted"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.connections += 1
        session.host_name = hostname
        return responses

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def one(self, address: str, subject_part: str = "") -> EmailMessage:
        found = [m for m in self.to(address) if subject_part in m["Subject"]]
        assert len(found) == 1, [m["Subject"] for m in self.to(address)]
        return found[0]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_in(message: EmailMessage, path_part: str) -> str:
    """The first link in the plain text body whose URL contains path_part."""
    links = [u for u in LINK.findall(text_of(message)) if path_part in u]
    assert links, text_of(message)
    return links[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    """A running local SMTP server, and the app configured to send through it."""
    inbox = Inbox(_free_port())
    inbox.start()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", inbox.port)
    yield inbox
    inbox.stop()
