"""How resources look in the API (shapes in ../shared/api.md and api/openapi.py)."""
from accounts import policy
from calendars.tokens import private_feed_url, site_feed_url, unit_feed_url
from core import hooks
from core.time import format_instant, local_date, utcnow
from core.urls import absolute_url


def _clock(value):
    return value.strftime("%H:%M")


def site_json(site, today=None):
    today = today or local_date(utcnow())
    return {
        "slug": site.slug,
        "name": site.name,
        "ical_url": site_feed_url(site),
        "address": site.street,
        "postcode": site.postcode,
        "city": site.city,
        "opening_hours": [
            {"weekday": hours.weekday, "opens": _clock(hours.opens_at),
             "closes": _clock(hours.closes_at)}
            for hours in site.opening_hours
        ],
        # Past closures are history, not information a booker needs.
        "closures": [
            {"starts_on": closure.starts_on.isoformat(), "ends_on": closure.ends_on.isoformat(),
             "reason": closure.reason}
            for closure in site.closures
            if closure.ends_on >= today
        ],
    }


def unit_json(unit):
    return {
        "ical_url": unit_feed_url(unit),
        "id": unit.id,
        "site": unit.site.slug,
        "kind": unit.kind,
        "name": unit.name,
        "group": unit.group_name,
        "granularity": unit.granularity,
        "needs_approval": unit.needs_approval,
        "min_length": unit.min_length,
        "max_length": unit.max_length,
        "lead_time_minutes": unit.lead_time_minutes,
        "horizon_days": unit.horizon_days,
        "capacity": unit.capacity,
        "description": unit.description,
    }


def me_json(user, all_sites):
    managed = policy.managed_site_ids(user, [site.id for site in all_sites])
    return {
        "id": user.id,
        "email": user.email,
        "name": user.display_name,
        "ical_url": private_feed_url(user),
        "roles": {
            "chamber_admin": bool(user.is_chamber_admin),
            "manager_of": [site.slug for site in all_sites if site.id in managed],
        },
        "organisations": [
            {"id": membership.organisation.id, "name": membership.organisation.name,
             "role": membership.role}
            for membership in sorted(user.memberships, key=lambda m: m.organisation_id)
        ],
    }


def interval_json(start, end):
    return {"start": format_instant(start), "end": format_instant(end)}


def availability_json(results):
    return {
        "units": [
            {
                "unit_id": unit.id,
                "name": unit.name,
                "kind": unit.kind,
                "granularity": unit.granularity,
                "free": [interval_json(start, end) for start, end in free],
            }
            for unit, free in results
        ]
    }


def booking_json(booking):
    return {
        "id": booking.id,
        "unit_id": booking.unit_id,
        "site": booking.unit.site.slug,
        "status": str(booking.status),
        "start": format_instant(booking.starts_at),
        "end": format_instant(booking.ends_at),
        "series_id": booking.series_id,
        "hold_expires_at": format_instant(booking.hold_expires_at),
        "price": booking.price,
        # Billing answers once it exists and payment is due; until then there is none.
        "checkout_url": hooks.ask("checkout_url", booking, default=None),
        "purpose": booking.purpose,
        "attendees": booking.attendees,
        "created_at": format_instant(booking.created_at),
    }


def series_json(result):
    return {
        "series_id": result.series.id,
        "bookings": [booking_json(booking) for booking in result.bookings],
        "skipped": [interval_json(start, end) for start, end in result.skipped],
    }
