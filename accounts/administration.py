"""Chamber admin services: find users, make chamber admins, grant and revoke site roles.

Every change is audit-logged. Only chamber admins may call these (checked here too).
"""
import sqlalchemy as sa

import accounts.messages  # noqa: F401 - registers the message keys raised here
from accounts import policy
from accounts.models import SiteRole, User
from accounts.services import grant_site_role
from core import audit
from core.db import run_in_transaction
from core.errors import NotAllowed, NotFound, ValidationError
from extensions import db

SEARCH_LIMIT = 100


def search_users(query=None, limit=SEARCH_LIMIT):
    """Users whose e-mail or name contains ``query`` (all users without one), by e-mail."""
    statement = db.select(User).order_by(User.email).limit(limit)
    text = (query or "").strip().lower()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(sa.or_(
            sa.func.lower(User.email).like(pattern, escape="\\"),
            sa.func.lower(User.display_name).like(pattern, escape="\\"),
        ))
    return db.session.scalars(statement).all()


def user_by_id(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def site_names():
    """{site id: name} of every site. The sites table belongs to spaces, which stands above
    accounts, so it is read through the shared metadata instead of the Site model."""
    sites = db.metadata.tables["sites"]
    rows = db.session.execute(sa.select(sites.c.id, sites.c.name).order_by(sites.c.name))
    return {row.id: row.name for row in rows}


def set_chamber_admin(actor, user, make_admin, *, now):
    """Make ``user`` chamber admin or take the role away; the last one stays.
    Raises NotAllowed, ValidationError(last_chamber_admin). Commits."""
    if not policy.can_manage_users(actor):
        raise NotAllowed()

    def work():
        if user.is_chamber_admin == make_admin:
            return user
        if not make_admin:
            others = db.session.scalar(
                db.select(db.func.count()).select_from(User)
                .where(User.is_chamber_admin.is_(True), User.id != user.id)
            )
            if not others:
                raise ValidationError({"user": "last_chamber_admin"},
                                      message_key="last_chamber_admin")
        user.is_chamber_admin = make_admin
        audit.record("user.chamber_admin_granted" if make_admin else "user.chamber_admin_revoked",
                     user, actor=actor, now=now,
                     before={"is_chamber_admin": not make_admin},
                     after={"is_chamber_admin": make_admin})
        return user

    return run_in_transaction(work)


def _require_site(site_id):
    if site_id not in site_names():
        raise NotFound("unknown_site_id", site_id=site_id)


def grant_lab_manager(actor, user, site_id, *, now):
    """Make ``user`` lab manager of a site (idempotent). Audit-logged. Commits."""
    if not policy.can_manage_users(actor):
        raise NotAllowed()
    _require_site(site_id)
    return run_in_transaction(lambda: grant_site_role(user, site_id, actor=actor, now=now))


def revoke_lab_manager(actor, user, site_id, *, now):
    """End ``user``'s lab manager role at a site (idempotent). Audit-logged. Commits."""
    if not policy.can_manage_users(actor):
        raise NotAllowed()
    _require_site(site_id)

    def work():
        role = db.session.scalar(db.select(SiteRole).where(
            SiteRole.user_id == user.id, SiteRole.site_id == site_id, SiteRole.role == "manager"))
        if role is None:
            return user
        db.session.delete(role)
        audit.record("site_role.revoked", user, actor=actor, site_id=site_id, now=now,
                     before={"role": "manager"})
        return user

    return run_in_transaction(work)
