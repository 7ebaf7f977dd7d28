"""A catalogue of bad input over the JSON API and the main forms: every request is refused
with a 4xx and a clear message (the JSON error shape under /api/), never a 500; nothing is
written; injected HTML never comes back unescaped."""
from datetime import timedelta

import pytest

from accounts.auth import issue_api_token
from accounts.models import User
from core.time import utcnow
from extensions import db
from tests.conftest import AuthActions
from tests.security.world import build_world

HUGE = "x" * 100_000
SQL = "'; DROP TABLE bookings; --"
HTML = "<script>alert(1)</script>"
NUL = "desk\x00"
RLO = "\u202eevil"
ANCIENT = "0001-01-01T10:00:00"
FAR_FUTURE = "9999-12-31T10:00:00"

# Values that are bad wherever a field expects an id, an instant, a slug or an amount.
BAD_VALUES = [HUGE, SQL, HTML, NUL, RLO, ANCIENT, FAR_FUTURE, -1, -10**12, 10**30, 1.5,
              True, None, [], {}, ""]


def booking_body(params, **override):
    start = (utcnow() + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
    body = {"unit_id": params["unit_id"], "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(), "terms_accepted": True}
    body.update(override)
    return body


def tenancy_body(params, **override):
    today = utcnow().date()
    body = {"organisation_id": params["organisation_id"], "unit_ids": [params["unit_id"]],
            "weekdays": ["TU"], "start_time": "09:00", "end_time": "12:00",
            "starts_on": (today + timedelta(days=200)).isoformat(),
            "ends_on": (today + timedelta(days=260)).isoformat(), "purpose": "Advice",
            "proposed_monthly_fee_cents": 10_000}
    body.update(override)
    return body


def api_cases(params):
    """(label, method, path, json body or raw bytes)"""
    cases = []
    for field in ("unit_id", "start", "end", "organisation_id", "purpose", "attendees",
                  "recurrence", "partial", "terms_accepted", "site", "kind"):
        for value in BAD_VALUES:
            if field == "purpose" and isinstance(value, str) and value not in (HUGE, NUL):
                continue  # a harmless purpose text is a valid booking
            if field in ("partial", "terms_accepted") and value is True:
                continue
            if value is None and field not in ("unit_id", "start", "end", "terms_accepted"):
                continue  # optional fields may be null
            body = booking_body(params, **{field: value})
            cases.append((f"booking {field}={value!r:.30}", "POST", "/api/v1/bookings", body))
            # A quote ignores the terms; the fields describing the slot must still be valid.
            if field in ("unit_id", "start", "end", "organisation_id", "attendees"):
                cases.append((f"quote {field}={value!r:.30}", "POST", "/api/v1/quotes", body))
    for field in ("organisation_id", "unit_ids", "weekdays", "start_time", "end_time",
                  "starts_on", "ends_on", "proposed_monthly_fee_cents", "purpose"):
        for value in BAD_VALUES + ["0001-01-01", "9999-12-31"]:
            if field == "purpose" and isinstance(value, str) and value not in (HUGE, NUL, ""):
                continue
            cases.append((f"tenancy {field}={value!r:.30}", "POST", "/api/v1/tenancies",
                          tenancy_body(params, **{field: value})))
    for query in (f"site={SQL}&kind=desk&start=2027-03-01T08:00&end=2027-03-01T20:00",
                  f"site=witten&kind={HTML}&start=2027-03-01T08:00&end=2027-03-01T20:00",
                  f"unit={params['unit_id']}&start={ANCIENT}&end=0001-01-02T10:00:00",
                  f"unit={params['unit_id']}&start={FAR_FUTURE}&end=9999-12-31T12:00:00",
                  f"unit={params['unit_id']}&start=%00&end=%E2%80%AE",
                  f"unit=-1&start=2027-03-01T08:00&end=2027-03-01T20:00",
                  f"unit=99999999999999999999&start=2027-03-01T08:00&end=2027-03-01T20:00",
                  f"unit={params['unit_id']}&start={'9' * 5000}&end=x"):
        cases.append((f"availability {query[:40]}", "GET", f"/api/v1/availability?{query}", None))
    for raw in (b"{", b"not json", b"[1, 2]", b"null", b'"string"', b"\xff\xfe",
                b'{"unit_id": 1,}', b"{" * 10_000):
        for path in ("/api/v1/bookings", "/api/v1/quotes", "/api/v1/tenancies"):
            cases.append((f"raw {raw[:12]!r} to {path}", "POST", path, raw))
    cases.append(("cancel reason huge", "POST", f"/api/v1/bookings/{params['booking_id']}/cancel",
                  {"reason": HUGE}))
    cases.append(("cancel reason type", "POST", f"/api/v1/bookings/{params['booking_id']}/cancel",
                  {"reason": ["x"]}))
    return cases


@pytest.fixture
def world(make):
    return build_world(make)


def test_bad_api_input_is_a_4xx_json_error_and_writes_nothing(client, world, counts):
    member = db.session.scalar(db.select(User).where(User.email == world.emails["org_admin"]))
    headers = {"Authorization": f"Bearer {issue_api_token(member)}"}
    db.session.rollback()
    before = counts()
    problems = []
    for label, method, path, body in api_cases(world.params):
        kwargs = {"data": body, "content_type": "application/json"} if isinstance(body, bytes) \
            else ({"json": body} if body is not None else {})
        db.session.rollback()
        response = client.open(path, method=method, headers=headers, **kwargs)
        payload = response.get_json(silent=True) or {}
        error = payload.get("error") if isinstance(payload, dict) else None
        if not 400 <= response.status_code < 500:
            problems.append(f"{label}: {response.status_code} {response.get_data(True)[:200]}")
        elif not (error and error.get("code") and error.get("message")):
            problems.append(f"{label}: {response.status_code} without the JSON error shape")
        elif response.mimetype != "application/json":
            # JSON may quote the input back; only a non-JSON answer could render it as HTML.
            problems.append(f"{label}: answered {response.mimetype}, not JSON")
    assert not problems, f"{len(problems)} bad requests misanswered:\n" + "\n".join(problems)
    assert counts() == before


FORM_CASES = [
    ("/register", {"email": HTML, "display_name": HTML, "password": "x",
                   "password_repeat": "y", "locale": "de"}),
    ("/register", {"email": f"{SQL}@example.org", "display_name": HUGE,
                   "password": "secret-password1", "password_repeat": "secret-password1",
                   "locale": "de"}),
    ("/register", {"email": "a\x00@example.org", "display_name": RLO, "password": HUGE,
                   "password_repeat": HUGE, "locale": HTML}),
    ("/login", {"email": SQL, "password": SQL}),
    ("/login", {"email": HUGE, "password": "\x00"}),
    ("/login", {"email": HTML, "password": HTML}),
    ("/password/reset", {"email": HTML}),
]


def test_bad_form_input_is_refused_without_a_500_or_raw_html(client, world, counts):
    before = counts()
    problems = []
    for path, data in FORM_CASES:
        db.session.rollback()
        response = client.post(path, data=data)
        text = response.get_data(as_text=True)
        if response.status_code >= 500 or response.status_code == 200 and path != "/password/reset":
            problems.append(f"{path} {str(data)[:60]}: {response.status_code}")
        if HTML in text:
            problems.append(f"{path}: the script tag comes back unescaped")
    assert not problems, "\n".join(problems)
    # A reset request for an unknown address writes nothing either (no enumeration).
    assert counts() == before


def test_bad_booking_and_tenancy_forms_are_refused(client, world, counts):
    AuthActions(client).login(world.emails["org_admin"])
    params = world.params
    before = counts()
    problems = []
    attempts = []
    for start, end in ((ANCIENT, "0001-01-01T12:00:00"), (FAR_FUTURE, "9999-12-31T12:00:00"),
                       ("\x00", RLO), (HTML, SQL), (HUGE, HUGE)):
        attempts.append(("GET", "/book/new", {"query_string": {
            "unit": params["unit_id"], "start": start, "end": end}}))
        attempts.append(("POST", "/book/new", {"query_string": {
            "unit": params["unit_id"], "start": start, "end": end},
            "data": {"purpose": HTML, "accept_terms": "y", "organisation_id": SQL}}))
    for field, value in (("starts_on", "0001-01-01"), ("ends_on", "9999-12-31"),
                         ("proposed_monthly_fee", "-5"), ("purpose", HUGE),
                         ("organisation_id", SQL), ("unit_ids", HTML)):
        data = {"organisation_id": params["organisation_id"], "unit_ids": params["unit_id"],
                "weekdays": "TU", "start_time": "09:00", "end_time": "12:00",
                "starts_on": "2027-06-01", "ends_on": "2027-07-01", "purpose": "Advice",
                "proposed_monthly_fee": "100", field: value}
        attempts.append(("POST", "/tenancies/apply", {"data": data}))
    for method, path, kwargs in attempts:
        db.session.rollback()
        response = client.open(path, method=method, **kwargs)
        if response.status_code >= 500 or (method == "POST" and response.status_code in (
                200, 201)):
            problems.append(f"{method} {path} {str(kwargs)[:80]}: {response.status_code}")
        if HTML in response.get_data(as_text=True):
            problems.append(f"{method} {path}: the script tag comes back unescaped")
    assert not problems, "\n".join(problems)
    db.session.rollback()
    after = counts()
    # Logging in may stamp the user row; no booking, tenancy, audit entry or mail appears.
    for table in ("bookings", "tenancies", "audit_entries", "outbox_messages"):
        assert after[table] == before[table], table
