"""Helpers for account tests that use several clients.

The requests run without an outer app context, so each request loads its own user (an
outer app context would share ``g`` and with it the logged-in user between clients).
"""
import re
from contextlib import contextmanager

from core.models import OutboxMessage
from extensions import db
from tests.conftest import row_counts
from tests.factories import PASSWORD, Factories

LINK = re.compile(r"https?://\S+")


@contextmanager
def app_ctx(app):
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()


def build(app, work):
    """Run ``work(make)`` in a short app context and return its result (ids, not rows)."""
    with app_ctx(app):
        return work(Factories())


def query(app, work):
    with app_ctx(app):
        return work()


def table_counts(app):
    with app_ctx(app):
        return row_counts()


def mails(app, recipient=None):
    """The outbox as plain dicts, oldest first."""
    with app_ctx(app):
        statement = db.select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient is not None:
            statement = statement.where(OutboxMessage.recipient == recipient)
        return [
            {"recipient": m.recipient, "subject": m.subject, "body": m.body_text, "kind": m.kind,
             "html": m.body_html}
            for m in db.session.scalars(statement)
        ]


def links_in(mail):
    return LINK.findall(mail["body"])


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def english(client):
    """Switch this client's session to English (messages asserted in English)."""
    client.get("/?lang=en")
    return client
