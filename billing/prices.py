"""Price lookups that lower layers reach through hooks (see ``register_hooks``)."""
from core import hooks
from billing.models import UnitPrice
from extensions import db


def price_of(unit):
    return db.session.scalar(db.select(UnitPrice).where(UnitPrice.unit_id == unit.id))


def prices_of(units):
    """The price of each unit (by id), in one query."""
    ids = [unit.id for unit in units]
    rows = db.session.scalars(db.select(UnitPrice).where(UnitPrice.unit_id.in_(ids))).all()
    return {row.unit_id: row for row in rows}


def register_hooks():
    hooks.register("unit_prices", prices_of)
