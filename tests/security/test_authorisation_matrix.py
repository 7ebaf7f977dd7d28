"""Every route of the app for every role, against a table written by hand from the roles of
the design (../shared/design.md), not from accounts/policy.py.

Each route gets one representative request: GET when the rule serves GET, else a POST with
an empty body. The answer is sorted into a class:

- ``OK``: allowed (2xx, a redirect elsewhere than the login page, or 400/409/422: the
  request got past authorisation and was refused for its content or state);
- ``LOGIN``: not signed in (a redirect to the login page; 401 under /api/);
- ``DENIED``: signed in but not allowed (403);
- ``MISSING``: 404 (a bogus capability token).

A route the table does not know fails the coverage test, naming the route.
"""
import re

import pytest

from extensions import db
from tests.conftest import AuthActions
from tests.security.world import ROLES, build_world

OK, LOGIN, DENIED, MISSING = "OK", "LOGIN", "DENIED", "MISSING"


def policy(visitor, member, org_admin, other_manager, manager, chamber_admin):
    return dict(zip(ROLES, (visitor, member, org_admin, other_manager, manager, chamber_admin)))


# Named policies. "manager" runs Witten (where everything in the world lives); "other
# manager" runs Herne; the member and the organisation admin belong to the organisation
# that the member's booking is billed to.
PUBLIC = policy(OK, OK, OK, OK, OK, OK)
LOGGED_IN = policy(LOGIN, OK, OK, OK, OK, OK)
ANY_MANAGER = policy(LOGIN, DENIED, DENIED, OK, OK, OK)
SITE_MANAGER = policy(LOGIN, DENIED, DENIED, DENIED, OK, OK)
CHAMBER_ADMIN = policy(LOGIN, DENIED, DENIED, DENIED, DENIED, OK)
# The member's booking billed to the organisation: booker, organisation admin, site staff.
BOOKING_VIEWERS = policy(LOGIN, OK, OK, DENIED, OK, OK)
# Check-in: the booker and the site's staff.
BOOKER_OR_SITE = policy(LOGIN, OK, DENIED, DENIED, OK, OK)
# The member's own series / waitlist entry.
SERIES_VIEWERS = policy(LOGIN, OK, DENIED, DENIED, OK, OK)
OWN_ONLY = policy(LOGIN, OK, DENIED, DENIED, DENIED, DENIED)
ORGANISATION_MEMBERS = policy(LOGIN, OK, OK, DENIED, DENIED, OK)
ORGANISATION_ADMINS = policy(LOGIN, DENIED, OK, DENIED, DENIED, OK)
# The tenancy the organisation applied for at Witten.
TENANCY_VIEWERS = policy(LOGIN, DENIED, OK, DENIED, OK, OK)
# The invoice to the organisation for a booking at Witten.
INVOICE_VIEWERS = policy(LOGIN, DENIED, OK, DENIED, OK, OK)
# Tenancies are the business of organisation admins and lab staff; applying is for
# organisation admins only.
TENANCY_PAGES = policy(LOGIN, DENIED, OK, OK, OK, OK)
TENANCY_APPLICANTS = policy(LOGIN, DENIED, OK, DENIED, DENIED, DENIED)
# The membership in the request is the member's own: a member may leave.
MEMBER_LEAVES = policy(LOGIN, OK, OK, DENIED, DENIED, OK)
# The de-minimis record: the organisation's admins, and every lab's staff (who grant the
# subsidised prices and must see the ceiling).
DEMINIMIS_READERS = policy(LOGIN, DENIED, OK, OK, OK, OK)
# Moving or cancelling a booking because of a tenancy clash: the booking in the world is
# not in a clash, so the site's staff get a 404 after passing the check.
NOT_A_CLASH = policy(LOGIN, DENIED, DENIED, DENIED, MISSING, MISSING)
# A capability URL with a token that was never issued.
BOGUS_CAPABILITY = policy(MISSING, MISSING, MISSING, MISSING, MISSING, MISSING)

EXPECTED = {
    # public pages and files
    "GET /": PUBLIC,
    "GET /sites/<slug>": PUBLIC,
    "GET /calendar/<slug>/week": PUBLIC,
    "GET /calendar/<slug>/month": PUBLIC,
    "GET /calendar/units/<int:unit_id>/week": PUBLIC,
    "GET /calendar/units/<int:unit_id>/month": PUBLIC,
    "GET /units/<int:unit_id>": PUBLIC,
    # the world's unit has no photo: 404 for everybody
    "GET /units/<int:unit_id>/photo": policy(MISSING, MISSING, MISSING, MISSING, MISSING,
                                             MISSING),
    "GET /book": PUBLIC,
    "GET /terms": PUBLIC,
    "GET /impressum": PUBLIC,
    "GET /datenschutz": PUBLIC,
    "GET /barrierefreiheit": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /static/<path:filename>": PUBLIC,
    "GET /ical/sites/<slug>.ics": PUBLIC,
    "GET /ical/units/<int:unit_id>.ics": PUBLIC,
    "POST /billing/stripe/webhook": PUBLIC,  # signed by Stripe, not by a session
    # accounts
    "GET /login": PUBLIC,
    "GET /register": PUBLIC,
    "GET /password/reset": PUBLIC,
    "GET /confirm": PUBLIC,
    "GET /confirm/<token>": PUBLIC,  # a bad link explains itself
    "GET /password/reset/<token>": PUBLIC,
    "GET /invitations/<token>": PUBLIC,  # a bad invitation link explains itself (422)
    "POST /logout": LOGGED_IN,
    "GET /account": LOGGED_IN,
    "GET /account/password": LOGGED_IN,
    "GET /account/data.json": LOGGED_IN,
    "GET /account/delete": LOGGED_IN,
    "GET /organisations/new": LOGGED_IN,
    "GET /organisations/<int:organisation_id>": ORGANISATION_MEMBERS,
    "GET /organisations/<int:organisation_id>/edit": ORGANISATION_ADMINS,
    "POST /organisations/<int:organisation_id>/invitations": ORGANISATION_ADMINS,
    "POST /organisations/<int:organisation_id>/members/<int:membership_id>/remove":
        MEMBER_LEAVES,
    "POST /organisations/<int:organisation_id>/members/<int:membership_id>/role":
        ORGANISATION_ADMINS,
    "GET /admin/users": CHAMBER_ADMIN,
    "GET /admin/users/<int:user_id>": CHAMBER_ADMIN,
    "POST /admin/users/<int:user_id>/chamber-admin": CHAMBER_ADMIN,
    "POST /admin/users/<int:user_id>/site-roles": CHAMBER_ADMIN,
    # booking pages
    "GET /book/new": LOGGED_IN,
    "GET /my/bookings": LOGGED_IN,
    "GET /bookings/<int:booking_id>": BOOKING_VIEWERS,
    "POST /bookings/<int:booking_id>/cancel": BOOKING_VIEWERS,
    "POST /bookings/<int:booking_id>/check-in": BOOKER_OR_SITE,
    "GET /bookings/<int:booking_id>/ics": BOOKING_VIEWERS,
    "GET /series/<int:series_id>": SERIES_VIEWERS,
    "POST /series/<int:series_id>/cancel": SERIES_VIEWERS,
    "GET /waitlist": LOGGED_IN,
    "POST /waitlist": LOGGED_IN,
    "GET /waitlist/<int:entry_id>": OWN_ONLY,
    "POST /waitlist/<int:entry_id>/accept": OWN_ONLY,
    "POST /waitlist/<int:entry_id>/leave": OWN_ONLY,
    "GET /tenancies": TENANCY_PAGES,
    # public events and pop-ups; publishing: the booker and the billed organisation's admins
    "GET /events": PUBLIC,
    "GET /events/<slug>": PUBLIC,
    "GET /events.ics": PUBLIC,
    "GET /events/<slug>.ics": PUBLIC,
    "GET /popups": PUBLIC,
    "GET /popups/<slug>": PUBLIC,
    "GET /popups.ics": PUBLIC,
    "GET /popups/<slug>.ics": PUBLIC,
    "POST /bookings/<int:booking_id>/listing": ORGANISATION_MEMBERS,
    "POST /bookings/<int:booking_id>/listing/unpublish": ORGANISATION_MEMBERS,
    "GET /tenancies/apply": TENANCY_APPLICANTS,
    # calendars
    "GET /calendars": LOGGED_IN,
    "POST /calendars/token": LOGGED_IN,
    "POST /calendars/organisations/<int:organisation_id>/token": ORGANISATION_ADMINS,
    "GET /calendars/units/<int:unit_id>/sources": SITE_MANAGER,
    "POST /calendars/units/<int:unit_id>/sources": SITE_MANAGER,
    "POST /calendars/sources/<int:source_id>/delete": SITE_MANAGER,
    "POST /calendars/sources/<int:source_id>/sync": SITE_MANAGER,
    "GET /ical/users/<token>.ics": BOGUS_CAPABILITY,
    "GET /ical/organisations/<token>.ics": BOGUS_CAPABILITY,
    "GET /ical/manage/<slug>/<token>.ics": BOGUS_CAPABILITY,
    # billing and invoices
    "GET /billing/bookings/<int:booking_id>/pay": BOOKING_VIEWERS,
    "GET /billing/series/<int:series_id>/pay": SERIES_VIEWERS,
    "GET /billing/funding": CHAMBER_ADMIN,
    "GET /billing/accounts": CHAMBER_ADMIN,
    "POST /billing/accounts/<int:organisation_id>": CHAMBER_ADMIN,
    "GET /billing/funding/new": CHAMBER_ADMIN,
    "GET /billing/funding/<int:programme_id>": CHAMBER_ADMIN,
    "GET /billing/organisations/<int:organisation_id>/deminimis": DEMINIMIS_READERS,
    "GET /billing/organisations/<int:organisation_id>/deminimis.pdf": DEMINIMIS_READERS,
    "GET /invoices/": LOGGED_IN,
    "GET /invoices/<int:invoice_id>": INVOICE_VIEWERS,
    "GET /invoices/<int:invoice_id>/pdf": INVOICE_VIEWERS,
    "GET /invoices/<int:invoice_id>/xml": INVOICE_VIEWERS,
    "POST /invoices/<int:invoice_id>/paid": CHAMBER_ADMIN,
    "POST /invoices/<int:invoice_id>/credit-note": CHAMBER_ADMIN,
    "GET /invoices/open": CHAMBER_ADMIN,
    "GET /invoices/datev": CHAMBER_ADMIN,
    # lab management
    "GET /manage/": ANY_MANAGER,
    "GET /manage/dashboard": ANY_MANAGER,
    "GET /manage/<slug>": SITE_MANAGER,
    "GET /manage/<slug>/dashboard": SITE_MANAGER,
    "GET /manage/<slug>/audit": SITE_MANAGER,
    "GET /manage/<slug>/day": SITE_MANAGER,
    "GET /manage/<slug>/hours": SITE_MANAGER,
    "GET /manage/<slug>/requests": SITE_MANAGER,
    "POST /manage/<slug>/requests": SITE_MANAGER,
    "GET /manage/<slug>/tenancies": SITE_MANAGER,
    "GET /manage/<slug>/closures": SITE_MANAGER,
    "POST /manage/<slug>/closures": SITE_MANAGER,
    "POST /manage/<slug>/closures/holidays": SITE_MANAGER,
    "POST /manage/<slug>/closures/<int:closure_id>/remove": SITE_MANAGER,
    "GET /manage/<slug>/units": SITE_MANAGER,
    "GET /manage/<slug>/units/new": SITE_MANAGER,
    "GET /manage/<slug>/units/<int:unit_id>/edit": SITE_MANAGER,
    "POST /manage/<slug>/units/<int:unit_id>/photo": SITE_MANAGER,
    "POST /manage/<slug>/units/<int:unit_id>/deactivate": SITE_MANAGER,
    "POST /manage/<slug>/units/<int:unit_id>/reactivate": SITE_MANAGER,
    "POST /manage/<slug>/bookings/<int:booking_id>/check-in": SITE_MANAGER,
    "POST /manage/bookings/<int:booking_id>/cancel-clash": NOT_A_CLASH,
    "POST /manage/bookings/<int:booking_id>/move": NOT_A_CLASH,
    "POST /manage/tenancies/<int:tenancy_id>/approve": SITE_MANAGER,
    "POST /manage/tenancies/<int:tenancy_id>/reject": SITE_MANAGER,
    "POST /manage/tenancies/<int:tenancy_id>/end": SITE_MANAGER,
    "GET /reports": ANY_MANAGER,
    "GET /reports/<section>.csv": ANY_MANAGER,
    "GET /reports/summary.pdf": ANY_MANAGER,
    # JSON API
    "GET /api/v1/openapi.json": PUBLIC,
    "GET /api/v1/sites": PUBLIC,
    "GET /api/v1/sites/<slug>": PUBLIC,
    "GET /api/v1/sites/<slug>/units": PUBLIC,
    "GET /api/v1/units/<int:unit_id>": PUBLIC,
    "GET /api/v1/availability": PUBLIC,
    "GET /api/v1/me": LOGGED_IN,
    "POST /api/v1/me/ical-token": LOGGED_IN,
    "POST /api/v1/quotes": PUBLIC,  # prices are public; billing to an organisation is not
    "GET /api/v1/bookings": LOGGED_IN,
    "POST /api/v1/bookings": LOGGED_IN,
    "GET /api/v1/bookings/<int:booking_id>": BOOKING_VIEWERS,
    "POST /api/v1/bookings/<int:booking_id>/cancel": BOOKING_VIEWERS,
    "POST /api/v1/bookings/<int:booking_id>/check-in": BOOKER_OR_SITE,
    "POST /api/v1/bookings/<int:booking_id>/approve": SITE_MANAGER,
    "POST /api/v1/bookings/<int:booking_id>/reject": SITE_MANAGER,
    "POST /api/v1/bookings/<int:booking_id>/move": SITE_MANAGER,
    "GET /api/v1/tenancies": LOGGED_IN,
    "POST /api/v1/tenancies": LOGGED_IN,
    "GET /api/v1/tenancies/<int:tenancy_id>": TENANCY_VIEWERS,
    "POST /api/v1/tenancies/<int:tenancy_id>/approve": SITE_MANAGER,
    "POST /api/v1/tenancies/<int:tenancy_id>/reject": SITE_MANAGER,
    "POST /api/v1/tenancies/<int:tenancy_id>/end": SITE_MANAGER,
}

# Requests that change state run after all reads; these last of all (they end the session
# or the booking that other rows point at).
LAST = ("POST /logout",)


def route_key(rule):
    methods = rule.methods - {"HEAD", "OPTIONS"}
    method = "GET" if "GET" in methods else sorted(methods)[0]
    return f"{method} {rule.rule}"


def routes(app):
    return {route_key(rule): rule for rule in app.url_map.iter_rules()}


def test_every_route_is_in_the_table(app):
    keys = set(routes(app))
    missing = sorted(keys - set(EXPECTED))
    stale = sorted(set(EXPECTED) - keys)
    assert not missing, "routes missing from the authorisation table: " + ", ".join(missing)
    assert not stale, "table entries for routes that no longer exist: " + ", ".join(stale)


def classify(path, response):
    status = response.status_code
    if status == 401 or (status in (301, 302, 303) and
                         "/login" in response.headers.get("Location", "")):
        return LOGIN
    if status == 403:
        return DENIED
    if status == 404:
        return MISSING
    if status < 400 or status in (400, 409, 422):
        return OK
    return f"HTTP {status}"


# Routes that need a query or form field to reach their authorisation check.
EXTRA = {
    "GET /book/new": lambda p: {"query_string": {"unit": p["unit_id"]}},
    "POST /waitlist": lambda p: {"data": {"unit_id": p["unit_id"]}},
}


def fill(rule, params):
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(params[m.group(1)]), rule)


def order(keys):
    reads = [k for k in keys if k.startswith("GET ")]
    writes = [k for k in keys if not k.startswith("GET ") and k not in LAST]
    return reads + writes + [k for k in keys if k in LAST]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(app, client, make, role):
    world = build_world(make)
    if role != "visitor":
        response = AuthActions(client).login(world.emails[role])
        assert response.status_code == 302, f"login as {role} failed"
    known = [key for key in routes(app) if key in EXPECTED]
    wrong = []
    for key in order(known):
        method, rule = key.split(" ", 1)
        path = fill(rule, world.params)
        extra = EXTRA[key](world.params) if key in EXTRA else {}
        # Requests share the test's app context and so its session: end its transaction,
        # which on SQLite holds the write lock that /readyz's own connection waits for.
        db.session.rollback()
        if method == "GET":
            response = client.get(path, **extra)
        elif path.startswith("/api/"):
            response = client.open(path, method=method, json={}, **extra)
        else:
            response = client.open(path, method=method, **({"data": {}} | extra))
        got = classify(path, response)
        expected = EXPECTED[key][role]
        if got != expected:
            wrong.append(f"{key} ({path}): expected {expected}, got {got} "
                         f"[{response.status_code} {response.headers.get('Location', '')}]")
    assert not wrong, f"{role}: {len(wrong)} routes differ from the table:\n" + "\n".join(wrong)
