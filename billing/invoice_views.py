"""Invoice pages: members see and download their invoices, organisation admins their
organisation's, lab managers their sites', chamber admins all, with the open invoices,
"transfer received", credit notes and the DATEV export.

Issued invoices have no edit route: corrections are credit notes.
"""
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from accounts import policy
from accounts.models import Membership, MembershipRole
from billing import invoices as invoice_services
from billing.datev import export_datev
from billing.invoice_models import Invoice, InvoiceLine
from billing.invoice_pdf import euro
from billing.reminders import mark_transfer_received, open_invoices_query
from core.errors import NotAllowed, NotFound, ValidationError
from core.time import local_date, utcnow
from extensions import db

bp = Blueprint("invoices", __name__, url_prefix="/invoices")
LIST_LIMIT = 200


@bp.app_template_filter("invoice_euro")
def invoice_euro(cents):
    return euro(cents or 0)


def visible_invoices_query(user):
    """Every invoice ``user`` may see (see ``policy.can_view_invoice``), newest first."""
    query = sa.select(Invoice).order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    if policy.is_chamber_admin(user):
        return query
    conditions = [Invoice.recipient_user_id == user.id]
    admin_of = sa.select(Membership.organisation_id).where(
        Membership.user_id == user.id, Membership.role == MembershipRole.ADMIN)
    conditions.append(Invoice.organisation_id.in_(admin_of))
    if user.managed_site_ids:
        conditions.append(Invoice.id.in_(
            sa.select(InvoiceLine.invoice_id)
            .where(InvoiceLine.site_id.in_(user.managed_site_ids))))
    return query.where(sa.or_(*conditions))


def _site_ids(invoice):
    return set(db.session.scalars(
        sa.select(InvoiceLine.site_id).where(InvoiceLine.invoice_id == invoice.id)))


def _visible_invoice(invoice_id):
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound("unknown_invoice")
    if not policy.can_view_invoice(current_user, invoice, _site_ids(invoice)):
        raise NotAllowed()
    return invoice


def _require_administrator():
    if not policy.can_administer_invoices(current_user):
        raise NotAllowed()


@bp.get("/")
@login_required
def index():
    rows = db.session.scalars(visible_invoices_query(current_user).limit(LIST_LIMIT)).all()
    return render_template("invoices/list.html", invoices=rows,
                           administrator=policy.can_administer_invoices(current_user))


@bp.get("/<int:invoice_id>")
@login_required
def detail(invoice_id):
    invoice = _visible_invoice(invoice_id)
    credit_notes = db.session.scalars(
        sa.select(Invoice).where(Invoice.original_invoice_id == invoice.id).order_by(Invoice.id)
    ).all()
    return render_template("invoices/detail.html", invoice=invoice, credit_notes=credit_notes,
                           administrator=policy.can_administer_invoices(current_user))


def _download(content, filename, mimetype):
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:invoice_id>/pdf")
@login_required
def pdf(invoice_id):
    invoice = _visible_invoice(invoice_id)
    return _download(invoice.document.pdf, f"{invoice.number}.pdf", "application/pdf")


@bp.get("/<int:invoice_id>/xml")
@login_required
def xml(invoice_id):
    invoice = _visible_invoice(invoice_id)
    if invoice.document is None or not invoice.document.xml:
        raise NotFound("unknown_invoice")
    return _download(invoice.document.xml, f"{invoice.number}.xml", "application/xml")


@bp.get("/open")
@login_required
def open_invoices():
    _require_administrator()
    today = local_date(utcnow())
    rows = db.session.scalars(open_invoices_query()).all()
    return render_template("invoices/open.html", invoices=rows, today=today)


@bp.post("/<int:invoice_id>/paid")
@login_required
def mark_paid(invoice_id):
    _require_administrator()
    invoice = _visible_invoice(invoice_id)
    mark_transfer_received(invoice, actor=current_user, now=utcnow(),
                                            reference=request.form.get("reference"))
    flash(_("Invoice %(number)s is marked as paid.", number=invoice.number), "success")
    return redirect(url_for("invoices.open_invoices"))


@bp.post("/<int:invoice_id>/credit-note")
@login_required
def credit_note(invoice_id):
    _require_administrator()
    invoice = _visible_invoice(invoice_id)
    note = invoice_services.issue_credit_note(invoice, "full", reason=request.form.get("reason"),
                                              now=utcnow(), actor=current_user)
    flash(_("Credit note %(number)s has been issued.", number=note.number), "success")
    return redirect(url_for("invoices.detail", invoice_id=note.id))


@bp.get("/datev")
@login_required
def datev():
    _require_administrator()
    try:
        start = date.fromisoformat(request.args.get("from", ""))
        end = date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        raise ValidationError({"from": "invalid", "to": "invalid"}) from None
    content = export_datev(start, end, now=utcnow())
    filename = f"EXTF_Buchungsstapel_{start:%Y%m%d}_{end:%Y%m%d}.csv"
    response = _download(content, filename, "text/csv")
    response.headers["Content-Type"] = "text/csv; charset=windows-1252"
    return response
