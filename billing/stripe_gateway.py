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


def _session_params(*, lines, metadata, reference, customer_email, success_url, cancel_url,
                    expires_at):
    """Checkout Session parameters: card or SEPA direct debit, EUR, in cents; one line item
    per (description, amount_cents) of ``lines``."""
    params = {
        "mode": "payment",
        "payment_method_types": ["card", "sepa_debit"],
        "line_items": [{
            "quantity": 1,
            "price_data": {"currency": "eur", "unit_amount": amount_cents,
                           "product_data": {"name": description}},
        } for description, amount_cents in lines],
        "metadata": metadata,
        "payment_intent_data": {"metadata": {key: value for key, value in metadata.items()
                                             if key != "checkout_attempt"}},
        "client_reference_id": reference,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires_at.timestamp()),
    }
    if customer_email:
        params["customer_email"] = customer_email
    return params


def _create_session(params, idempotency_key):
    return _call(client().checkout.sessions.create, params=params,
                 options={"idempotency_key": idempotency_key})


def create_checkout_session(*, booking_id, amount_cents, description, customer_email,
                            success_url, cancel_url, expires_at, idempotency_key, attempt=1):
    """A Checkout Session for one booking.
    ``attempt`` counts the sessions of the booking (a renewal replaces an expired one); it
    is kept in the session's metadata (``checkout_attempt``)."""
    params = _session_params(
        lines=[(description, amount_cents)], reference=str(booking_id),
        metadata={"booking_id": str(booking_id), "checkout_attempt": str(attempt)},
        customer_email=customer_email, success_url=success_url, cancel_url=cancel_url,
        expires_at=expires_at)
    return _create_session(params, idempotency_key)


def create_series_checkout_session(*, series_id, lines, booking_ids, customer_email,
                                   success_url, cancel_url, expires_at, idempotency_key,
                                   attempt=1):
    """One Checkout Session for several bookings of a series: a line item per booking
    (``lines``: (description, amount_cents) in the order of ``booking_ids``)."""
    params = _session_params(
        lines=lines, reference=f"series-{series_id}",
        metadata={"series_id": str(series_id),
                  "booking_ids": ",".join(str(each) for each in booking_ids)[:500],
                  "checkout_attempt": str(attempt)},
        customer_email=customer_email, success_url=success_url, cancel_url=cancel_url,
        expires_at=expires_at)
    return _create_session(params, idempotency_key)


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
