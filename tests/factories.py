"""Factory helpers that build committed rows with sensible defaults (``make`` fixture)."""
import itertools
from datetime import datetime, time, timedelta, timezone

from accounts.models import Organisation
from accounts.services import add_membership, create_user, grant_site_role
from billing.models import UnitPrice
from bookings.models import Booking, BookingSeries
from extensions import db
from spaces.models import Closure, OpeningHours, Site, Unit

PASSWORD = "secret-password"
_numbers = itertools.count(1)


class Factories:
    def user(self, email=None, *, password=PASSWORD, role="member", sites=(), confirmed=True,
             organisation=None, membership_role="member", name=None, locale="de"):
        """role: member | manager | admin. ``sites``: Site objects the manager runs."""
        email = email or f"user{next(_numbers)}@example.org"
        user = create_user(email, password, name, confirmed=confirmed,
                           chamber_admin=role == "admin", locale=locale)
        for site in sites:
            grant_site_role(user, site.id)
        if organisation is not None:
            add_membership(user, organisation, membership_role)
        db.session.commit()
        return user

    def organisation(self, name=None, kind="startup", **fields):
        organisation = Organisation(name=name or f"Organisation {next(_numbers)}", kind=kind,
                                    **fields)
        db.session.add(organisation)
        db.session.commit()
        return organisation

    def site(self, slug=None, *, hours=None, name=None):
        """A site open Mon-Fri 8-20 and Sat 10-16 unless ``hours`` {weekday: (open, close)}."""
        slug = slug or f"site{next(_numbers)}"
        site = Site(slug=slug, name=name or f"Stadtlabor {slug.title()}", street="Teststraße 1",
                    postcode="44787", city="Bochum")
        if hours is None:
            hours = {day: (time(8), time(20)) for day in range(5)}
            hours[5] = (time(10), time(16))
        for weekday, (opens, closes) in hours.items():
            site.opening_hours.append(OpeningHours(weekday=weekday, opens_at=opens, closes_at=closes))
        db.session.add(site)
        db.session.commit()
        return site

    def unit(self, site=None, kind="desk", *, granularity="hour", name=None, price_cents=None,
             **fields):
        site = site or self.site()
        unit = Unit(site=site, kind=kind, granularity=granularity,
                    name=name or f"{kind} {next(_numbers)}", **fields)
        db.session.add(unit)
        db.session.flush()
        if price_cents is not None:
            db.session.add(UnitPrice(unit_id=unit.id, net_cents_per_step=price_cents))
        db.session.commit()
        return unit

    def closure(self, site, starts_on, ends_on=None, reason="Feiertag"):
        closure = Closure(site=site, starts_on=starts_on, ends_on=ends_on or starts_on,
                          reason=reason)
        db.session.add(closure)
        db.session.commit()
        return closure

    def booking(self, unit=None, *, user=None, starts_at=None, ends_at=None, status="confirmed",
                hold_expires_at=None, organisation=None, series=None, **fields):
        """A booking row written directly (no rules checked): for setting up a calendar.
        Default: 10:00-12:00 UTC on 2027-03-16 (a Tuesday)."""
        unit = unit or self.unit()
        user = user or self.user()
        starts_at = starts_at or datetime(2027, 3, 16, 10, tzinfo=timezone.utc)
        ends_at = ends_at or starts_at + timedelta(hours=2)
        booking = Booking(unit_id=unit.id, booked_by_id=user.id, starts_at=starts_at,
                          ends_at=ends_at, status=status, hold_expires_at=hold_expires_at,
                          billed_organisation_id=organisation.id if organisation else None,
                          series_id=series.id if series else None,
                          terms_version=fields.pop("terms_version", "2026-11"), **fields)
        db.session.add(booking)
        db.session.commit()
        return booking

    def series(self, unit=None, *, user=None, rrule="FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;COUNT=2"):
        """An empty booking series (add occurrences with ``booking(series=...)``)."""
        unit = unit or self.unit()
        user = user or self.user()
        series = BookingSeries(unit_id=unit.id, booked_by_id=user.id, rrule=rrule)
        db.session.add(series)
        db.session.commit()
        return series
