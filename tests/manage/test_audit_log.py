"""The site's audit log: who, when, what, before/after; newest first; read-only."""
from datetime import timedelta

from bookings.approvals import approve_booking, reject_booking
from core.audit import record
from core.models import AuditEntry
from extensions import db
from tests.manage.conftest import NOW, audit_entries, berlin


def test_decisions_show_in_the_log_with_who_when_and_before_after(
        make, witten_manager, event_space, requester, request_at_witten, browser):
    other = make.booking(event_space, user=requester, status="requested",
                         starts_at=berlin(2027, 3, 17, 10), ends_at=berlin(2027, 3, 17, 12))
    approve_booking(witten_manager, request_at_witten, now=NOW)
    reject_booking(witten_manager, other, now=NOW + timedelta(minutes=5), reason="Too loud")
    browser.login(witten_manager)
    page = browser.get("/manage/witten/audit")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    rejected = text.index(f"booking.rejected <small>(booking {other.id})")
    approved = text.index(f"booking.approved <small>(booking {request_at_witten.id})")
    assert rejected < approved  # newest first
    row = text[approved:text.index("</tr>", approved)]
    assert "requested" in row and "confirmed" in row
    assert "Too loud" in text
    assert "Wiebke Witten" in text


def test_the_log_shows_only_its_site_and_pages_through(make, witten, herne, witten_manager,
                                                       browser):
    for number in range(55):
        record("unit.updated", witten, site_id=witten.id, before={"name": f"old-{number:02}"},
               after={"name": f"new-{number:02}"}, now=NOW + timedelta(minutes=number))
    record("unit.updated", herne, site_id=herne.id, before={"name": "herne-secret"},
           after={"name": "x"}, now=NOW)
    db.session.commit()
    browser.login(witten_manager)
    first = browser.get("/manage/witten/audit").get_data(as_text=True)
    assert "new-54" in first and "new-05" in first and "new-04" not in first
    assert "herne-secret" not in first
    second = browser.get("/manage/witten/audit?page=2").get_data(as_text=True)
    assert "new-04" in second and "new-00" in second and "new-05" not in second


def test_no_route_changes_the_audit_log(app, witten_manager, request_at_witten, browser):
    approve_booking(witten_manager, request_at_witten, now=NOW)
    entries_before = [(e.id, e.action, e.before, e.after) for e in audit_entries()]
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    browser.login(witten_manager)
    entry_id = entries_before[-1][0]
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/manage/witten/audit", f"/manage/witten/audit/{entry_id}"):
            response = browser.client.open(path, method=method, data={"action": "x"})
            assert response.status_code in (404, 405), (method, path)
    assert [(e.id, e.action, e.before, e.after) for e in audit_entries()] == entries_before
    assert db.session.query(AuditEntry).count() == len(entries_before)
