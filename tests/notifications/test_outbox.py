"""The outbox delivers over a real SMTP server: at least once, never lost, never twice."""
import threading
from datetime import timedelta

import sqlalchemy as sa

from core import outbox
from core.models import OutboxMessage
from core.time import utcnow
from extensions import db
from tests.notifications.conftest import NOW, parts


def queue(user, count=1, now=NOW, **extra):
    rows = [
        outbox.enqueue_mail(user.email, "account_password_changed", "account_password_changed",
                            locale=user.locale, now=now, user=user, **extra)
        for _ in range(count)
    ]
    db.session.flush()
    ids = [row.id for row in rows]
    db.session.commit()
    return ids


def row(row_id):
    db.session.rollback()
    return db.session.get(OutboxMessage, row_id, populate_existing=True)


def test_a_mail_arrives_with_both_parts_attachment_and_its_message_id(app, make, smtp):
    user = make.user("ada@example.org", locale="en")
    outbox.enqueue_mail(
        user.email, "account_confirm", "account_confirm", locale="en", now=NOW, user=user,
        link="https://stadtlabor.example/confirm/abc", hours=48,
        attachments=[outbox.attachment(
            "hello.ics", "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
            "text/calendar; method=REQUEST; charset=UTF-8")])
    db.session.commit()
    row_id = db.session.scalar(sa.select(OutboxMessage.id))
    assert outbox.send_pending(now=NOW) == 1

    (message,) = smtp.messages
    stored = row(row_id)
    assert message["Message-ID"] == stored.message_id
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == stored.subject
    text, html, attachments = parts(message)
    assert text.replace("\r\n", "\n").strip() == stored.body_text.strip()
    assert "https://stadtlabor.example/confirm/abc" in text
    assert '<a href="https://stadtlabor.example/confirm/abc">' in html
    assert 'lang="en"' in html
    (filename, content_type, content), = attachments
    assert (filename, content_type) == ("hello.ics", "text/calendar")
    assert "METHOD:REQUEST" in content
    assert stored.status == "sent" and stored.sent_at == NOW and stored.attempts == 1


def test_rows_survive_an_outage_back_off_and_are_sent_once_when_it_is_back(app, make, smtp):
    user = make.user()
    ids = queue(user, count=2)
    smtp.stop()

    assert outbox.send_pending(now=NOW) == 0
    first = [row(each) for each in ids]
    assert [each.attempts for each in first] == [1, 1]
    assert all(each.status == "pending" and each.last_error for each in first)
    assert {each.next_attempt_at for each in first} == {NOW + timedelta(minutes=1)}

    # Not due yet: nothing is tried.
    assert outbox.send_pending(now=NOW + timedelta(seconds=30)) == 0
    assert row(ids[0]).attempts == 1
    # Due again, still down: the pause doubles.
    later = NOW + timedelta(minutes=1)
    assert outbox.send_pending(now=later) == 0
    assert row(ids[0]).attempts == 2
    assert row(ids[0]).next_attempt_at == later + timedelta(minutes=2)

    smtp.start()
    assert outbox.send_pending(now=later + timedelta(minutes=2)) == 2
    assert outbox.send_pending(now=later + timedelta(hours=1)) == 0
    received = sorted(message["Message-ID"] for message in smtp.messages)
    assert received == sorted(row(each).message_id for each in ids)
    assert all(row(each).status == "sent" for each in ids)


def test_backoff_grows_and_is_capped():
    assert [outbox.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert outbox.backoff(30) == outbox.MAX_BACKOFF


def test_two_concurrent_senders_never_send_a_row_twice(app, make, smtp):
    user = make.user()
    ids = queue(user, count=30)
    results, errors = [], []

    def sender():
        try:
            with app.app_context():
                results.append(outbox.send_pending(now=NOW))
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(results) == 30
    received = [message["Message-ID"] for message in smtp.messages]
    assert len(received) == 30 and len(set(received)) == 30
    assert set(received) == {row(each).message_id for each in ids}


def test_a_sender_that_died_mid_way_is_replaced_with_the_same_message_id(app, make, smtp):
    user = make.user()
    (row_id,) = queue(user)
    # A sender claims the row and crashes before it could mark it sent.
    claim = outbox._claim_next(NOW)
    assert claim[0] == row_id and claim[1]
    # Its lease protects the row from a second sender meanwhile...
    assert outbox.send_pending(now=NOW + timedelta(minutes=1)) == 0
    assert smtp.messages == []
    # ...until it runs out: then the row goes out, recognisably the same mail.
    assert outbox.send_pending(now=NOW + outbox.CLAIM_LEASE) == 1
    (message,) = smtp.messages
    assert message["Message-ID"] == row(row_id).message_id
    # The dead sender's late report changes nothing.
    assert not outbox._finish(row_id, claim[1], status="pending")
    assert row(row_id).status == "sent"


def test_the_resent_mail_is_identical_in_its_headers(app, make):
    user = make.user()
    (row_id,) = queue(user)
    with app.test_request_context():
        first = outbox.build_message(row(row_id))
        second = outbox.build_message(row(row_id))
    for header in ("Message-ID", "Date", "Subject", "To", "From"):
        assert first[header] == second[header]


def test_cli_outbox_send_prints_the_count(app, make, runner, smtp):
    user = make.user()
    queue(user, count=3, now=utcnow())
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "3 sent"
    assert len(smtp.messages) == 3
    assert runner.invoke(args=["outbox", "send"]).output.strip() == "0 sent"


def test_cli_outbox_run_loops_and_sends(app, make, runner, smtp):
    user = make.user()
    queue(user, count=2, now=utcnow())
    result = runner.invoke(args=["outbox", "run", "--rounds", "2", "--interval", "0"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "2 sent in total"
    assert len(smtp.messages) == 2


def test_a_rolled_back_transaction_leaves_no_mail(app, make, counts):
    user = make.user()
    before = counts()
    outbox.enqueue_mail(user.email, "x", "account_password_changed", now=NOW, user=user)
    db.session.rollback()
    assert counts() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
