"""A real SMTP server on 127.0.0.1 (aiosmtpd) that collects what the outbox sends."""
import socket
import threading
from datetime import datetime
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from core.time import localize

NOW = localize(datetime(2027, 3, 1, 9, 0))


def berlin(year, month, day, hour=0, minute=0):
    return localize(datetime(year, month, day, hour, minute))


class Collector:
    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    """Start, stop and restart on the same port; ``messages`` are the parsed mails."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.collector = Collector()
        self.controller = None

    @property
    def messages(self):
        return self.collector.messages

    def start(self):
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    server = SmtpServer()
    server.start()
    saved = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "PUBLIC_BASE_URL")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port,
                      PUBLIC_BASE_URL="https://stadtlabor.example")
    yield server
    server.stop()
    app.config.update(saved)


def parts(message):
    """(text, html, [(filename, content_type, content)]) of a received mail."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    attachments = [
        (part.get_filename(), part.get_content_type(), part.get_content())
        for part in message.iter_attachments()
    ]
    return (text.get_content() if text else None, html.get_content() if html else None,
            attachments)
