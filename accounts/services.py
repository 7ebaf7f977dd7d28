"""Account services: create users, organisations and roles. No request, no current_user."""
from accounts.models import Membership, Organisation, SiteRole, User
from core import audit
from core.errors import ValidationError
from core.time import utcnow
from extensions import db


def normalise_email(email):
    return (email or "").strip().lower()


def find_user_by_email(email):
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def create_user(email, password, display_name=None, *, confirmed=False, chamber_admin=False,
                locale="de", now=None):
    """Add a user (not committed). Raises ValidationError if the e-mail is taken."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise ValidationError({"email": "taken"}, message_key="email_taken", email=email)
    now = now or utcnow()
    user = User(
        email=email,
        display_name=display_name or email.split("@")[0],
        is_chamber_admin=chamber_admin,
        email_confirmed_at=now if confirmed else None,
        locale=locale,
        created_at=now,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def grant_site_role(user, site_id, role="manager", actor=None):
    existing = next((r for r in user.site_roles if r.site_id == site_id and r.role == role), None)
    if existing is not None:
        return existing
    site_role = SiteRole(user=user, site_id=site_id, role=role)
    db.session.add(site_role)
    db.session.flush()
    audit.record("site_role.granted", user, actor=actor, site_id=site_id, after={"role": role})
    return site_role


def add_membership(user, organisation, role="member"):
    membership = Membership(user=user, organisation=organisation, role=role)
    db.session.add(membership)
    db.session.flush()
    return membership


def create_organisation(name, kind, **fields):
    organisation = Organisation(name=name, kind=kind, **fields)
    db.session.add(organisation)
    db.session.flush()
    return organisation
