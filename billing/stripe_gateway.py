"""The only module that talks to Stripe (the official SDK). Another payment provider would
replace this module and ``billing.webhooks``.

Every call that creates something sends an idempotency key, so a retry (ours or the SDK's)
never pays or refunds twice.
"""
import logging

import stripe
from flask import current_app

from core.errors import DomainError

log = logging.getLogger(__name__)


class PaymentProviderError(DomainError):
    """Stripe could not be reached or refused the request; nothing was changed here."""

    status = 502
    code = "payment_provider"
    message_key = "payment_provider_unavailable"


def client():
    config = current_app.config
    options = {"max_network_retries": 2}
    if config.get("STRIPE_API_BASE"):
        options["base_addresses"] = {"api": config["STRIPE_API_BASE"]}
    return stripe.StripeClient(config["STRIPE_SECRET_KEY"], **options)


def _call(action, *args, **kwargs):
    try:
        return action(*args, **kwargs)
    except stripe.StripeError as error:
        log.warning("Stripe request failed: %s", error)
        raise PaymentProviderError() from error


def create_checkout_session(*, booking_id, amount_cents, description, customer_email,
                            success_url, cancel_url, expires_at, idempotency_key, attempt=1):
    """A Checkout Session for one booking: card or SEPA direct debit, EUR, in cents.
    ``attempt`` counts the sessions of the booking (a renewal replaces an expired one); it
    is kept in the session's metadata (``checkout_attempt``)."""
    params = {
        "mode": "payment",
        "payment_method_types": ["card", "sepa_debit"],
        "line_items": [{
            "quantity": 1,
            "price_data": {"currency": "eur", "unit_amount": amount_cents,
                           "product_data": {"name": description}},
        }],
        "metadata": {"booking_id": str(booking_id), "checkout_attempt": str(attempt)},
        "payment_intent_data": {"metadata": {"booking_id": str(booking_id)}},
        "client_reference_id": str(booking_id),
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires_at.timestamp()),
    }
    if customer_email:
        params["customer_email"] = customer_email
    return _call(client().checkout.sessions.create, params=params,
                 options={"idempotency_key": idempotency_key})


def retrieve_checkout_session(session_id):
    return _call(client().checkout.sessions.retrieve, session_id)


def create_refund(*, payment_intent, amount_cents, booking_id, reason, idempotency_key):
    params = {"payment_intent": payment_intent, "amount": amount_cents,
              "metadata": {"booking_id": str(booking_id), "reason": reason}}
    return _call(client().refunds.create, params=params,
                 options={"idempotency_key": idempotency_key})


def verify_event(payload, signature_header):
    """The event, if the payload carries a valid signature of STRIPE_WEBHOOK_SECRET; raises
    ValueError (not JSON) or stripe.SignatureVerificationError."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET") or ""
    if not secret:
        raise stripe.SignatureVerificationError("no webhook secret configured", signature_header)
    return stripe.Webhook.construct_event(payload, signature_header or "", secret)
