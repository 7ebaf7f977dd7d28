"""Gapless invoice numbers per series and year (§14 Abs. 4 Nr. 4 UStG).

A number is drawn inside the transaction of the invoice that uses it: one
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on the counter row, which locks that row
until the transaction ends (PostgreSQL row lock; SQLite holds the database write lock from
BEGIN IMMEDIATE). A concurrent issuer waits for the lock and then sees the committed value;
a rolled-back invoice rolls its increment back, so no number is skipped. The UNIQUE
constraints on ``invoices.number`` and ``(series, year, sequence)`` are the last word.
"""
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from billing.invoice_models import InvoiceKind, InvoiceNumberCounter
from extensions import db


def series_for(kind):
    """The configured prefix of invoices (SL) or credit notes (GS)."""
    key = "CREDIT_NOTE_PREFIX" if kind == InvoiceKind.CREDIT_NOTE else "INVOICE_PREFIX"
    return current_app.config[key]


def format_number(series, year, sequence):
    return f"{series}-{year}-{sequence:05d}"


def draw_number(series, year):
    """Take the next number of ``series`` in ``year`` inside the caller's transaction and
    return ``(sequence, formatted number)``. The counter row stays locked until commit."""
    table = InvoiceNumberCounter.__table__
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(series=series, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[table.c.series, table.c.year],
            set_={"last_number": table.c.last_number + 1},
        )
        .returning(table.c.last_number)
    )
    sequence = db.session.execute(statement).scalar_one()
    return sequence, format_number(series, year, sequence)


def last_number(series, year):
    """The last number given in ``series`` and ``year`` (0 if none)."""
    value = db.session.scalar(
        sa.select(InvoiceNumberCounter.last_number).where(
            InvoiceNumberCounter.series == series, InvoiceNumberCounter.year == year
        )
    )
    return value or 0
