"""Mails of billing that are not a booker's payment mails (those live in checkout)."""
import sqlalchemy as sa

from accounts.models import SiteRole, User
from core.outbox import enqueue_mail
from extensions import db


def managers_of(site_id):
    return db.session.scalars(
        sa.select(User).join(SiteRole, SiteRole.user_id == User.id)
        .where(SiteRole.site_id == site_id, SiteRole.role == "manager").order_by(User.id)
    ).all()


def tell_managers_subsidy_refused(booking, now):
    """The site's managers learn that a booking went ahead without its subsidy because of
    the de-minimis ceiling (inside the booking's transaction, through the outbox)."""
    for manager in managers_of(booking.unit.site_id):
        enqueue_mail(manager.email, "payment_subsidy_refused", "payment_subsidy_refused",
                     locale=manager.locale, now=now, booking=booking, unit=booking.unit,
                     site=booking.unit.site, organisation=booking.billed_organisation)
