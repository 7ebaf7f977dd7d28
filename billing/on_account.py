"""Which organisations are billed monthly on account instead of paying each booking by
Stripe. Without a stored choice partners and public bodies are billed on account
(``billing.quoting.billed_on_account``); chamber admins can set it either way."""
from accounts import policy
from accounts.models import Organisation
from billing.models import OrganisationBilling
from billing.quoting import billed_on_account
from core.audit import record
from core.db import run_in_transaction
from core.errors import NotAllowed
from extensions import db


def organisations_with_billing():
    """[(organisation, billed on account?, explicitly set?)] by name."""
    organisations = db.session.scalars(
        db.select(Organisation).order_by(Organisation.name, Organisation.id)).all()
    stored = {row.organisation_id for row in db.session.scalars(db.select(OrganisationBilling))}
    return [(organisation, billed_on_account(organisation), organisation.id in stored)
            for organisation in organisations]


def set_billed_on_account(actor, organisation, on_account, *, now):
    """Bill ``organisation`` monthly on account (True) or have it pay each booking when it
    is booked (False). Applies to bookings made from now on; existing ones keep their
    settlement. Audit: ``organisation.billing_changed`` when it changes. Raises NotAllowed
    (chamber admins only)."""
    if not policy.is_chamber_admin(actor):
        raise NotAllowed()
    on_account = bool(on_account)

    def work():
        before = billed_on_account(organisation)
        row = db.session.get(OrganisationBilling, organisation.id)
        if row is None:
            row = OrganisationBilling(organisation_id=organisation.id)
            db.session.add(row)
        row.on_account, row.updated_at = on_account, now
        if before != on_account:
            record("organisation.billing_changed", organisation, actor=actor,
                   before={"on_account": before}, after={"on_account": on_account}, now=now)
        return row

    return run_in_transaction(work)
