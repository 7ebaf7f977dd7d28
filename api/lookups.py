"""Rows named by ids or slugs in a request body or query (None when unknown)."""
from accounts.models import Organisation
from extensions import db
from spaces.models import Site, Unit


def find_site(slug):
    return db.session.scalar(db.select(Site).where(Site.slug == slug))


def find_unit(unit_id):
    return db.session.get(Unit, unit_id)


def find_organisation(organisation_id):
    return db.session.get(Organisation, organisation_id)
