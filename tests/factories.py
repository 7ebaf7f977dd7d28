"""Factory helpers that build committed rows with sensible defaults (``make`` fixture)."""
import itertools
from datetime import time

from accounts.models import Organisation
from accounts.services import add_membership, create_user, grant_site_role
from billing.models import UnitPrice
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
