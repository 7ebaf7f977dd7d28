"""Queries and rules about sites and units."""
import spaces.messages  # noqa: F401 - registers the message keys raised here
from core.errors import NotFound
from extensions import db
from spaces.models import Site, Unit


def all_sites():
    return db.session.scalars(db.select(Site).order_by(Site.name)).all()


def site_by_slug(slug):
    site = db.session.scalar(db.select(Site).where(Site.slug == slug))
    if site is None:
        raise NotFound("unknown_site", slug=slug)
    return site


def unit_by_id(unit_id):
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("unknown_unit", unit_id=unit_id)
    return unit


def active_units(site, kind=None):
    query = db.select(Unit).where(Unit.site_id == site.id, Unit.active.is_(True))
    if kind is not None:
        query = query.where(Unit.kind == kind)
    return db.session.scalars(query.order_by(Unit.kind, Unit.position, Unit.id)).all()
