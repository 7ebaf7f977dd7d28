"""Organisation services: create, edit, invite, accept, change roles, remove members.

Each takes the acting user and checks accounts.policy itself, so the HTML pages, the API
and the CLI get the same rules. Role changes and removals are audit-logged.
"""
import accounts.messages  # noqa: F401 - registers the message keys raised here
from accounts import links, policy
from accounts.models import Invitation, Membership, MembershipRole, Organisation, User
from accounts.services import normalise_email
from core import audit
from core.db import run_in_transaction
from core.errors import NotAllowed, NotFound, ValidationError
from core.outbox import enqueue_mail
from extensions import db

ORGANISATION_FIELDS = (
    "name", "kind", "founded_on", "street", "postcode", "municipality", "vat_id",
    "chamber_member_number", "public_routing_id", "billing_email",
)
# Columns that are NULL rather than "" when left empty.
_NULLABLE = {"vat_id", "chamber_member_number", "public_routing_id", "billing_email"}


def organisation_by_id(organisation_id):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("unknown_organisation", organisation_id=organisation_id)
    return organisation


def membership_in(organisation, membership_id):
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation.id:
        raise NotFound("unknown_membership")
    return membership


def members_of(organisation):
    return db.session.scalars(
        db.select(Membership).join(User).where(Membership.organisation_id == organisation.id)
        .order_by(User.display_name, User.email)
    ).all()


def pending_invitations(organisation):
    return db.session.scalars(
        db.select(Invitation).where(Invitation.organisation_id == organisation.id,
                                    Invitation.accepted_at.is_(None))
        .order_by(Invitation.created_at.desc())
    ).all()


def _apply(organisation, values):
    for field in ORGANISATION_FIELDS:
        if field not in values:
            continue
        value = values[field]
        if isinstance(value, str):
            value = value.strip()
            if field in ("vat_id", "public_routing_id"):
                value = value.upper().replace(" ", "")
            if field == "billing_email":
                value = normalise_email(value)
            if value == "" and field in _NULLABLE:
                value = None
        setattr(organisation, field, value)


def create_organisation_for(actor, values, *, now):
    """Create an organisation with ``actor`` as its first admin. Commits."""
    if not getattr(actor, "is_authenticated", False):
        raise NotAllowed()

    def work():
        organisation = Organisation(created_at=now)
        _apply(organisation, values)
        db.session.add(organisation)
        db.session.add(Membership(user_id=actor.id, organisation=organisation,
                                  role=MembershipRole.ADMIN))
        db.session.flush()
        audit.record("organisation.created", organisation, actor=actor, now=now,
                     after={"name": organisation.name, "admin_user_id": actor.id})
        return organisation

    return run_in_transaction(work)


def update_organisation(actor, organisation, values, *, now):
    """Save the details of an organisation (its admins and chamber admins only). Commits."""
    if not policy.can_manage_organisation(actor, organisation.id):
        raise NotAllowed()

    def work():
        before = {field: _jsonable(getattr(organisation, field)) for field in ORGANISATION_FIELDS}
        _apply(organisation, values)
        after = {field: _jsonable(getattr(organisation, field)) for field in ORGANISATION_FIELDS}
        changed = {key for key in after if after[key] != before[key]}
        if changed:
            audit.record("organisation.updated", organisation, actor=actor, now=now,
                         before={k: before[k] for k in changed},
                         after={k: after[k] for k in changed})
        return organisation

    return run_in_transaction(work)


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def invite_member(actor, organisation, email, role, *, now):
    """Record an invitation and mail the address a link to accept it. Raises NotAllowed,
    ValidationError(already_member). Commits."""
    if not policy.can_manage_organisation(actor, organisation.id):
        raise NotAllowed()
    if role not in (MembershipRole.MEMBER, MembershipRole.ADMIN):
        raise ValidationError({"role": "invalid"})
    email = normalise_email(email)
    already = db.session.scalar(
        db.select(Membership.id).join(User).where(
            Membership.organisation_id == organisation.id, User.email == email)
    )
    if already is not None:
        raise ValidationError({"email": "already_member"}, message_key="already_member",
                              email=email)

    def work():
        invitation = Invitation(organisation_id=organisation.id, email=email, role=role,
                                invited_by_id=actor.id, created_at=now)
        db.session.add(invitation)
        db.session.flush()
        invitee = db.session.scalar(db.select(User).where(User.email == email))
        token = links.make_token(links.INVITATION, {"invitation": invitation.id})
        enqueue_mail(email, "account_invitation", "account_invitation",
                     locale=invitee.locale if invitee else actor.locale, now=now,
                     organisation=organisation, inviter=actor, has_account=invitee is not None,
                     link=links.absolute_url("accounts.invitation", token=token),
                     register_link=links.absolute_url("accounts.register", email=email),
                     days=links.INVITATION_MAX_AGE_DAYS)
        audit.record("organisation.member_invited", organisation, actor=actor, now=now,
                     after={"email": email, "role": role})
        return invitation

    return run_in_transaction(work)


def invitation_for_token(token):
    """The invitation a link was made for. Raises ValidationError(invalid_link)."""
    payload = links.read_token(links.INVITATION, token, links.INVITATION_MAX_AGE_DAYS * 86400)
    invitation = (
        db.session.get(Invitation, payload["invitation"]) if isinstance(payload, dict) else None
    )
    if invitation is None:
        raise ValidationError({"token": "invalid"}, message_key="invalid_link")
    return invitation


def accept_invitation(user, token, *, now):
    """Join the organisation of an invitation with the role it offers. The invitation works
    once and only for the account with the invited address. Raises ValidationError
    (invalid_link, invitation_used), NotAllowed(invitation_other_email). Commits."""
    invitation = invitation_for_token(token)
    if invitation.accepted_at is not None:
        raise ValidationError({"token": "used"}, message_key="invitation_used")
    if user.email != invitation.email:
        raise NotAllowed("invitation_other_email", email=invitation.email)

    def work():
        invitation.accepted_at = now
        membership = db.session.scalar(db.select(Membership).where(
            Membership.organisation_id == invitation.organisation_id,
            Membership.user_id == user.id))
        if membership is None:
            membership = Membership(user_id=user.id, organisation_id=invitation.organisation_id,
                                    role=invitation.role)
            db.session.add(membership)
            db.session.flush()
        audit.record("organisation.member_joined", invitation.organisation, actor=user, now=now,
                     after={"user_id": user.id, "role": membership.role})
        return membership

    return run_in_transaction(work)


def _other_admins(organisation_id, membership_id):
    # Lock the organisation row so that two admins demoting each other at the same time
    # cannot leave it without an admin (PostgreSQL; SQLite writes one at a time anyway).
    db.session.scalar(db.select(Organisation.id).where(Organisation.id == organisation_id)
                      .with_for_update())
    return db.session.scalar(
        db.select(db.func.count()).select_from(Membership).where(
            Membership.organisation_id == organisation_id,
            Membership.role == MembershipRole.ADMIN,
            Membership.id != membership_id)
    )


def change_member_role(actor, membership, role, *, now):
    """Make a member admin or member. The last admin cannot be demoted. Audit-logged.
    Raises NotAllowed, ValidationError(last_admin). Commits."""
    if not policy.can_manage_organisation(actor, membership.organisation_id):
        raise NotAllowed()
    if role not in (MembershipRole.MEMBER, MembershipRole.ADMIN):
        raise ValidationError({"role": "invalid"})

    def work():
        before = membership.role
        if before == role:
            return membership
        if before == MembershipRole.ADMIN and not _other_admins(membership.organisation_id,
                                                                membership.id):
            raise ValidationError({"role": "last_admin"}, message_key="last_admin")
        membership.role = role
        audit.record("organisation.member_role_changed", membership.organisation, actor=actor,
                     now=now, before={"user_id": membership.user_id, "role": before},
                     after={"user_id": membership.user_id, "role": role})
        return membership

    return run_in_transaction(work)


def remove_member(actor, membership, *, now):
    """Remove a member (by an organisation admin, or the member leaving). Never the last
    admin. Audit-logged. Raises NotAllowed, ValidationError(last_admin). Commits."""
    leaving = getattr(actor, "id", None) == membership.user_id
    if not (leaving or policy.can_manage_organisation(actor, membership.organisation_id)):
        raise NotAllowed()

    def work():
        if membership.role == MembershipRole.ADMIN and not _other_admins(
                membership.organisation_id, membership.id):
            raise ValidationError({"member": "last_admin"}, message_key="last_admin")
        organisation = membership.organisation
        audit.record("organisation.member_removed", organisation, actor=actor, now=now,
                     before={"user_id": membership.user_id, "role": membership.role})
        db.session.delete(membership)
        return organisation

    return run_in_transaction(work)
