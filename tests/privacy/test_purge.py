"""Retention: personal data of old bookings is anonymised; rows stay for statistics;
what invoices still need is kept."""
from datetime import datetime, timedelta, timezone

import pytest

from bookings.models import Booking, BookingSeries
from core import hooks
from core.models import AuditEntry, OutboxMessage
from core.time import utcnow
from extensions import db
from privacy.services import HOOK_BOOKINGS_NEEDED_FOR_ACCOUNTING, purge_personal_data

NOW = datetime(2030, 6, 1, 12, tzinfo=timezone.utc)
RETENTION_DAYS = 730


def _at(days_ago):
    return NOW - timedelta(days=days_ago)


@pytest.fixture
def people(make):
    organisation = make.organisation("Ruhrbeans")
    booker = make.user("booker@example.org", organisation=organisation)
    manager = make.user("manager@example.org")
    return booker, manager, organisation


def _old_booking(make, booker, manager, organisation, days_ago=800, **fields):
    fields.setdefault("purpose", "Anna Schmidt's birthday")
    return make.booking(user=booker, organisation=organisation, starts_at=_at(days_ago),
                        ends_at=_at(days_ago) + timedelta(hours=2), status="cancelled",
                        cancelled_by_id=manager.id, status_reason="called in sick",
                        **fields)


def _reload(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def test_old_bookings_lose_the_person_but_keep_the_statistics(make, people, counts):
    booker, manager, organisation = people
    old = _old_booking(make, booker, manager, organisation)
    recent = _old_booking(make, booker, manager, organisation, days_ago=700)
    before = counts()

    result = purge_personal_data(NOW, RETENTION_DAYS)

    assert result.bookings == 1
    old_row = _reload(Booking, old.id)
    assert (old_row.booked_by_id, old_row.cancelled_by_id) == (None, None)
    assert old_row.purpose == "" and old_row.status_reason is None
    # What the reports need stays: unit, times, status, the organisation billed.
    assert (old_row.unit_id, old_row.status, old_row.billed_organisation_id) == (
        old.unit_id, "cancelled", organisation.id)
    assert old_row.starts_at == old.starts_at
    recent_row = _reload(Booking, recent.id)
    assert recent_row.booked_by_id == booker.id
    assert recent_row.purpose == "Anna Schmidt's birthday"
    assert counts()["bookings"] == before["bookings"]


def test_the_purge_is_idempotent(make, people):
    _old_booking(make, *people)
    assert purge_personal_data(NOW, RETENTION_DAYS).bookings == 1
    assert purge_personal_data(NOW, RETENTION_DAYS).bookings == 0


def test_the_retention_period_is_configurable(make, people):
    booking = _old_booking(make, *people, days_ago=40)
    assert purge_personal_data(NOW, 60).bookings == 0
    assert purge_personal_data(NOW, 30).bookings == 1
    assert _reload(Booking, booking.id).booked_by_id is None


def test_bookings_an_invoice_still_needs_are_kept(make, people, monkeypatch):
    booker, manager, organisation = people
    invoiced = _old_booking(make, booker, manager, organisation)
    plain = _old_booking(make, booker, manager, organisation, days_ago=900)
    asked = []

    def needed_for_accounting(booking_ids, kept_since):
        asked.append((sorted(booking_ids), kept_since))
        return {invoiced.id}

    monkeypatch.setitem(hooks._HOOKS, HOOK_BOOKINGS_NEEDED_FOR_ACCOUNTING,
                        needed_for_accounting)
    result = purge_personal_data(NOW, RETENTION_DAYS, accounting_years=8)

    assert (result.bookings, result.kept_for_accounting) == (1, 1)
    eight_years_before = datetime(2022, 6, 1, 12, tzinfo=timezone.utc)
    assert asked == [(sorted([invoiced.id, plain.id]), eight_years_before)]
    assert _reload(Booking, invoiced.id).booked_by_id == booker.id
    assert _reload(Booking, plain.id).booked_by_id is None


def test_a_series_loses_its_booker_only_when_all_its_dates_are_purged(make, people):
    booker, manager, organisation = people
    unit = make.unit()
    series = make.series(unit, user=booker)
    _old_booking(make, booker, manager, organisation, series=series, unit=unit)
    still_recent = _old_booking(make, booker, manager, organisation, days_ago=100,
                                series=series, unit=unit)
    purge_personal_data(NOW, RETENTION_DAYS)
    assert _reload(BookingSeries, series.id).booked_by_id == booker.id

    purge_personal_data(NOW + timedelta(days=700), RETENTION_DAYS)
    assert _reload(Booking, still_recent.id).booked_by_id is None
    assert _reload(BookingSeries, series.id).booked_by_id is None


def test_audit_entries_of_purged_bookings_lose_actor_and_free_text(make, people):
    booker, manager, organisation = people
    booking = _old_booking(make, booker, manager, organisation)
    entry = AuditEntry(created_at=_at(800), actor_id=manager.id, action="booking.rejected",
                       subject_type="booking", subject_id=booking.id,
                       before={"status": "requested"},
                       after={"status": "rejected", "reason": "Frau Schmidt was rude"})
    db.session.add(entry)
    db.session.commit()

    purge_personal_data(NOW, RETENTION_DAYS)

    scrubbed = _reload(AuditEntry, entry.id)
    assert scrubbed.actor_id is None
    assert scrubbed.after == {"status": "rejected"}
    assert scrubbed.action == "booking.rejected"


def test_old_sent_mails_are_deleted_but_pending_and_recent_ones_stay(make, people):
    def mail(status, days_ago):
        row = OutboxMessage(created_at=_at(days_ago), next_attempt_at=_at(days_ago),
                            message_id=f"<{status}{days_ago}@x>", recipient="booker@example.org",
                            subject="Your booking", body_text="Hello Anna", kind="test",
                            status=status)
        db.session.add(row)
        return row

    old_sent, old_pending, recent_sent = mail("sent", 800), mail("pending", 800), mail("sent", 10)
    db.session.commit()
    ids = (old_sent.id, old_pending.id, recent_sent.id)

    assert purge_personal_data(NOW, RETENTION_DAYS).mails == 1
    remaining = set(db.session.scalars(db.select(OutboxMessage.id)))
    assert remaining == {ids[1], ids[2]}


def test_the_cli_prints_the_count_on_its_last_line(make, people, runner):
    booker, manager, organisation = people
    ended = utcnow() - timedelta(days=800)
    for offset in range(2):
        make.booking(user=booker, starts_at=ended - timedelta(days=offset, hours=3),
                     ends_at=ended - timedelta(days=offset), purpose="private")
    make.booking(user=booker, starts_at=utcnow() - timedelta(days=3),
                 ends_at=utcnow() - timedelta(days=3) + timedelta(hours=1), purpose="recent")

    result = runner.invoke(args=["privacy", "purge"])

    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "2 anonymised"
    db.session.expire_all()
    remaining = db.session.scalars(db.select(Booking.purpose).where(
        Booking.booked_by_id.is_not(None))).all()
    assert remaining == ["recent"]
