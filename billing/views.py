"""Billing pages: funding programmes (chamber admins), an organisation's de-minimis record
and certificate, and the way from a held booking to Stripe Checkout."""
from datetime import date

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from accounts import policy
from accounts.models import Organisation, OrganisationKind
from billing import on_account as billing_accounts
from billing import checkout, deminimis, funding, stripe_gateway
from billing.messages import NOTICES
from billing.models import FundingKind, FundingProgramme
from bookings.services import get_booking, get_series
from core.errors import DomainError, ValidationError
from core.time import local_date, utcnow
from core.web import flash_error, local_datetime
from extensions import db
from spaces.models import Site

bp = Blueprint("billing", __name__, url_prefix="/billing")


@bp.app_template_global()
def quote_notice(key):
    return NOTICES.get(key, key)


@bp.app_template_global()
def booking_quote(unit, starts_at, ends_at, user=None):
    """The quote shown on the booking form (private booking; no slot rules checked)."""
    from billing.quoting import quote_slots

    try:
        return quote_slots(unit, None, [(starts_at, ends_at)], utcnow())
    except DomainError:
        return None


def _require_chamber_admin():
    if not policy.is_chamber_admin(current_user):
        abort(403)


def _cents(text):
    """Euros as typed ("1.234,50", "1234.5") to cents, or None when empty."""
    text = (text or "").strip().replace(" ", "")
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        euros, _, fraction = text.partition(".")
        return int(euros or 0) * 100 + int((fraction + "00")[:2])
    except ValueError:
        raise ValidationError({"amount": "invalid"}) from None


def _int(text):
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


# --- funding programmes ---------------------------------------------------------------------

@bp.get("/funding")
@login_required
def programmes():
    _require_chamber_admin()
    return render_template("billing/programmes.html", programmes=funding.all_programmes())


def _programme_values(form):
    share = form.get("share_percent", "").replace(",", ".").strip()
    try:
        share_bp = round(float(share) * 100) if share else None
    except ValueError:
        share_bp = None
    return {
        "name": form.get("name", ""),
        "kind": form.get("kind"),
        "share_bp": share_bp,
        "cap_per_booking_cents": _cents(form.get("cap")),
        "budget_cents": _cents(form.get("budget")),
        "founded_within_years": _int(form.get("founded_within_years")),
        "eligible_kinds": form.getlist("eligible_kinds"),
        "active": form.get("active") == "on",
    }


@bp.route("/funding/new", methods=["GET", "POST"], defaults={"programme_id": None})
@bp.route("/funding/<int:programme_id>", methods=["GET", "POST"])
@login_required
def programme(programme_id):
    _require_chamber_admin()
    current = db.session.get(FundingProgramme, programme_id) if programme_id else None
    if programme_id and current is None:
        abort(404)
    sites = db.session.scalars(db.select(Site).order_by(Site.name)).all()
    problem, status = None, 200
    if request.method == "POST":
        chosen = [site for site in sites if str(site.id) in request.form.getlist("sites")]
        try:
            saved = funding.save_programme(current_user, _programme_values(request.form),
                                           now=utcnow(), programme_id=programme_id,
                                           sites=chosen)
        except DomainError as error:
            flash_error(error)
            problem, status = True, 422
        else:
            flash(_("The funding programme is saved."), "success")
            return redirect(url_for("billing.programme", programme_id=saved.id))
    grants = funding.grants_of_programme(programme_id) if programme_id else []
    return render_template(
        "billing/programme.html", programme=current, sites=sites, grants=grants,
        kinds=list(OrganisationKind), funding_kinds=list(FundingKind), problem=problem,
        form=request.form if request.method == "POST" else None,
    ), status


# --- billed on account ----------------------------------------------------------------------

@bp.get("/accounts")
@login_required
def accounts():
    _require_chamber_admin()
    return render_template("billing/accounts.html",
                           rows=billing_accounts.organisations_with_billing())


@bp.post("/accounts/<int:organisation_id>")
@login_required
def set_account(organisation_id):
    _require_chamber_admin()
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    on_account = request.form.get("on_account") == "1"
    billing_accounts.set_billed_on_account(current_user, organisation, on_account, now=utcnow())
    if on_account:
        flash(_("%(name)s is billed monthly on account.", name=organisation.name), "success")
    else:
        flash(_("%(name)s pays each booking by card (Stripe).", name=organisation.name),
              "success")
    return redirect(url_for("billing.accounts"))


# --- de-minimis -----------------------------------------------------------------------------

def _organisation(organisation_id):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    if not (policy.can_manage_organisation(current_user, organisation.id)
            or policy.is_any_manager(current_user)):
        abort(403)
    return organisation


@bp.route("/organisations/<int:organisation_id>/deminimis", methods=["GET", "POST"])
@login_required
def deminimis_record(organisation_id):
    organisation = _organisation(organisation_id)
    ceiling = current_app.config["DEMINIMIS_CEILING_CENTS"]
    status = 200
    if request.method == "POST":
        try:
            granted_on = date.fromisoformat(request.form.get("granted_on", ""))
        except ValueError:
            granted_on = None
        try:
            deminimis.declare_aid(
                current_user, organisation, granted_on=granted_on,
                amount_cents=_cents(request.form.get("amount")),
                grantor=request.form.get("grantor", ""),
                reference=request.form.get("reference", ""), now=utcnow())
        except DomainError as error:
            flash_error(error)
            status = 422
        else:
            flash(_("The declared aid is recorded."), "success")
            return redirect(url_for("billing.deminimis_record", organisation_id=organisation.id))
    summary = deminimis.summary(organisation.id, local_date(utcnow()), ceiling)
    return render_template("billing/deminimis.html", organisation=organisation,
                           summary=summary,
                           may_declare=policy.can_manage_organisation(current_user,
                                                                      organisation.id)), status


@bp.get("/organisations/<int:organisation_id>/deminimis.pdf")
@login_required
def deminimis_certificate(organisation_id):
    organisation = _organisation(organisation_id)
    pdf = deminimis.certificate_pdf(organisation, local_date(utcnow()),
                                    current_app.config["DEMINIMIS_CEILING_CENTS"],
                                    current_app.config["IMPRINT_TEXT"].split("\n")[0])
    filename = f"de-minimis-{organisation.id}.pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


# --- paying ---------------------------------------------------------------------------------

@bp.get("/bookings/<int:booking_id>/pay")
@login_required
def pay(booking_id):
    booking = get_booking(booking_id)
    if not policy.can_view_booking(current_user, booking):
        abort(403)
    now = utcnow()
    if checkout.needs_checkout(booking, now):
        try:
            checkout.start_checkout(booking, now)
        except stripe_gateway.PaymentProviderError:
            # Nothing was stored: the booking stays held and "Pay now" tries again.
            flash(_("Payment could not be started: the payment service cannot be reached "
                    "right now. Your booking stays reserved until %(until)s; please press "
                    "\"Pay now\" again in a moment.",
                    until=local_datetime(booking.hold_expires_at, "short")), "error")
            return redirect(url_for("bookings.detail", booking_id=booking.id))
    url = checkout.checkout_url(booking, now)
    if url is None:
        flash(_("No payment is due for this booking right now."), "info")
        return redirect(url_for("bookings.detail", booking_id=booking.id))
    return redirect(url, code=303)


@bp.get("/series/<int:series_id>/pay")
@login_required
def pay_series(series_id):
    """One Checkout Session for all held occurrences of a series that need payment."""
    series = get_series(series_id)
    if not policy.can_view_series(current_user, series):
        abort(403)
    target = url_for("bookings.series", series_id=series.id)
    try:
        payments = checkout.start_series_checkout(series, utcnow())
    except stripe_gateway.PaymentProviderError:
        flash(_("Payment could not be started: the payment service cannot be reached right "
                "now. Your dates stay reserved for the time shown; please press \"Pay now\" "
                "again in a moment."), "error")
        return redirect(target)
    if not payments:
        flash(_("No payment is due for this series right now."), "info")
        return redirect(target)
    return redirect(payments[0].checkout_url, code=303)
