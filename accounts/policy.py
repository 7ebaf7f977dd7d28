"""Authorisation in one place: may this user do X on this site, organisation or booking?

Every view and API endpoint asks here. Objects are duck-typed (anything with ``site_id``,
``booked_by_id`` ...), so this module imports no domain above accounts.
"""
from accounts.models import MembershipRole


def _authenticated(user):
    return user is not None and getattr(user, "is_authenticated", False)


def is_chamber_admin(user):
    return _authenticated(user) and user.is_chamber_admin


def can_manage_site(user, site_id):
    """Lab managers act on their own sites only; chamber admins on all."""
    if not _authenticated(user):
        return False
    return user.is_chamber_admin or site_id in user.managed_site_ids


def is_any_manager(user):
    return _authenticated(user) and (user.is_chamber_admin or bool(user.managed_site_ids))


def managed_site_ids(user, all_site_ids):
    """The sites a user manages (all of them for a chamber admin)."""
    if is_chamber_admin(user):
        return set(all_site_ids)
    return user.managed_site_ids if _authenticated(user) else set()


def can_book(user):
    """Only confirmed accounts can book (double opt-in)."""
    return _authenticated(user) and user.is_confirmed


def membership_role(user, organisation_id):
    if not _authenticated(user):
        return None
    for membership in user.memberships:
        if membership.organisation_id == organisation_id:
            return membership.role
    return None


def is_member_of(user, organisation_id):
    return membership_role(user, organisation_id) is not None


def can_view_organisation(user, organisation_id):
    return is_chamber_admin(user) or is_member_of(user, organisation_id)


def can_manage_organisation(user, organisation_id):
    return is_chamber_admin(user) or membership_role(user, organisation_id) == MembershipRole.ADMIN


def can_bill_to(user, organisation_id):
    """Bookings may be billed to an organisation the booker belongs to."""
    return is_member_of(user, organisation_id)


def can_view_booking(user, booking):
    if not _authenticated(user):
        return False
    if booking.booked_by_id == user.id:
        return True
    if can_manage_site(user, booking.unit.site_id):
        return True
    org_id = booking.billed_organisation_id
    return org_id is not None and can_manage_organisation(user, org_id)


def can_view_series(user, series):
    """The series' booker, or whoever may see one of its occurrences."""
    if not _authenticated(user):
        return False
    return series.booked_by_id == user.id or any(
        can_view_booking(user, booking) for booking in series.bookings)


def can_cancel_booking(user, booking, now):
    """The booker (or their organisation's admin) until the start; managers always."""
    if can_manage_site(user, booking.unit.site_id):
        return True
    if booking.starts_at <= now:
        return False
    if _authenticated(user) and booking.booked_by_id == user.id:
        return True
    org_id = booking.billed_organisation_id
    return org_id is not None and can_manage_organisation(user, org_id)


def can_decide_booking(user, booking):
    return can_manage_site(user, booking.unit.site_id)


def can_check_in(user, booking):
    """The site's managers, and the booker on their own booking (when is the service's)."""
    if can_manage_site(user, booking.unit.site_id):
        return True
    return _authenticated(user) and booking.booked_by_id == user.id


def can_manage_users(user):
    return is_chamber_admin(user)


# --- partner tenancies and moves (bookings.tenancies, bookings.moves) ---------------------

def can_request_tenancy(user, organisation_id):
    """Organisation admins apply for their organisation."""
    return can_manage_organisation(user, organisation_id)


def can_view_tenancy(user, tenancy):
    return can_manage_site(user, tenancy.site_id) or can_manage_organisation(
        user, tenancy.organisation_id)


def can_decide_tenancy(user, tenancy):
    """Managers of the tenancy's site (and chamber admins) approve, reject and end it."""
    return can_manage_site(user, tenancy.site_id)


def can_move_booking(user, booking):
    return can_manage_site(user, booking.unit.site_id)


# --- reports and the manager dashboard (reports.views) --------------------------------------

def can_view_reports(user, site_id):
    """Lab managers see the dashboard and reports of their own sites; chamber admins all."""
    return can_manage_site(user, site_id)


# --- invoices (billing.invoice_views) --------------------------------------------------------

def can_view_invoice(user, invoice, line_site_ids=()):
    """Chamber admins see every invoice; a person their own; organisation admins their
    organisation's; lab managers those with a line at a site they manage."""
    if not _authenticated(user):
        return False
    if user.is_chamber_admin or invoice.recipient_user_id == user.id:
        return True
    if invoice.organisation_id is not None and \
            membership_role(user, invoice.organisation_id) == MembershipRole.ADMIN:
        return True
    return bool(set(line_site_ids) & user.managed_site_ids)


def can_administer_invoices(user):
    """Open invoices, transfers received, credit notes and the DATEV export."""
    return is_chamber_admin(user)


# --- public listings of events and pop-ups (bookings.listings) ------------------------------

def can_publish_listing(user, booking):
    """The booker, or an admin of the organisation the booking is billed to (chamber admins
    act for every organisation)."""
    if not _authenticated(user):
        return False
    if booking.booked_by_id == user.id:
        return True
    org_id = booking.billed_organisation_id
    return org_id is not None and can_manage_organisation(user, org_id)
