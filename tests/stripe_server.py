"""A small Stripe-compatible HTTP server for tests (127.0.0.1, a free port, threads).

It implements only what the app uses: creating and retrieving Checkout Sessions (and
listing a session's line items), and creating refunds (several partial ones per
PaymentIntent, together at most its amount), with Stripe's JSON objects, error shape and
idempotency keys (the same key answers the same object again). Every request is recorded (method, path, form params,
Idempotency-Key) so tests can assert what the app sent. Tests move a session on
(``complete``, ``expire``) as a customer would, and ``signed_event`` builds a webhook
payload signed exactly as Stripe signs it: ``t=<timestamp>,v1=<HMAC-SHA256 of "t.payload">``.
"""
import hashlib
import hmac
import itertools
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class Recorded:
    method: str
    path: str
    params: dict
    idempotency_key: str | None
    authorization: str | None


def sign(payload, secret, timestamp=None):
    """The ``Stripe-Signature`` header for ``payload`` (str)."""
    timestamp = int(timestamp if timestamp is not None else time.time())
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _line_items(params, session_id):
    """Stripe's ``item`` objects for the form-encoded ``line_items[i][...]`` params."""
    items = []
    for index in itertools.count():
        prefix = f"line_items[{index}]"
        if f"{prefix}[price_data][unit_amount]" not in params:
            return items
        unit_amount = int(params[f"{prefix}[price_data][unit_amount]"])
        quantity = int(params.get(f"{prefix}[quantity]", 1))
        items.append({
            "id": f"li_{session_id[3:]}_{index}", "object": "item",
            "description": params.get(f"{prefix}[price_data][product_data][name]"),
            "quantity": quantity, "currency": params.get(f"{prefix}[price_data][currency]"),
            "amount_subtotal": unit_amount * quantity, "amount_total": unit_amount * quantity,
            "price": {"object": "price", "unit_amount": unit_amount,
                      "currency": params.get(f"{prefix}[price_data][currency]")},
        })


@dataclass
class StripeState:
    sessions: dict = field(default_factory=dict)
    refunds: dict = field(default_factory=dict)
    line_items: dict = field(default_factory=dict)
    # PaymentIntent id -> its amount (set when a session completes).
    intents: dict = field(default_factory=dict)
    idempotent: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))


class _Handler(BaseHTTPRequestHandler):
    state: StripeState  # set on the subclass per server

    def log_message(self, *args):  # keep test output quiet
        pass

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_{next(self.state.numbers)}")
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status, message, kind="invalid_request_error"):
        self._answer(status, {"error": {"type": kind, "message": message}})

    def _read(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        params = dict(parse_qsl(raw, keep_blank_values=True))
        key = self.headers.get("Idempotency-Key")
        with self.state.lock:
            self.state.requests.append(Recorded(self.command, self.path, params, key,
                                                self.headers.get("Authorization")))
        return params, key

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._read()
        path = self.path.split("?", 1)[0]
        if path.startswith("/v1/checkout/sessions/") and path.endswith("/line_items"):
            items = self.state.line_items.get(path.split("/")[-2])
            if items is None:
                return self._error(404, "No such checkout.session")
            return self._answer(200, {"object": "list", "data": items, "has_more": False,
                                      "url": path})
        if path.startswith("/v1/checkout/sessions/"):
            session = self.state.sessions.get(path.rsplit("/", 1)[1])
            if session is None:
                return self._error(404, "No such checkout.session")
            return self._answer(200, session)
        return self._error(404, f"Unrecognized request URL (GET: {path})")

    def do_POST(self):  # noqa: N802
        params, key = self._read()
        path = self.path.split("?", 1)[0]
        makers = {"/v1/checkout/sessions": self._new_session, "/v1/refunds": self._new_refund}
        maker = makers.get(path)
        if maker is None:
            return self._error(404, f"Unrecognized request URL (POST: {path})")
        with self.state.lock:
            if key and (path, key) in self.state.idempotent:
                earlier_params, answer = self.state.idempotent[(path, key)]
                if earlier_params != params:
                    return self._error(400, "Keys for idempotent requests can only be used "
                                            "with the same parameters they were first used with.",
                                       "idempotency_error")
                return self._answer(200, answer)
            status, answer = maker(params)
            if key and status == 200:
                self.state.idempotent[(path, key)] = (params, answer)
        return self._answer(status, answer)

    def _new_session(self, params):
        number = next(self.state.numbers)
        session_id = f"cs_test_{number:08d}"
        items = _line_items(params, session_id)
        amount = sum(item["amount_total"] for item in items)
        metadata = {name[len("metadata["):-1]: value for name, value in params.items()
                    if name.startswith("metadata[")}
        session = {
            "id": session_id, "object": "checkout.session", "livemode": False,
            "mode": params.get("mode"), "status": "open", "payment_status": "unpaid",
            "amount_total": amount, "amount_subtotal": amount,
            "currency": params.get("line_items[0][price_data][currency]"),
            "customer_email": params.get("customer_email"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": metadata, "payment_intent": None,
            "payment_method_types": [value for name, value in sorted(params.items())
                                     if name.startswith("payment_method_types[")],
            "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "expires_at": int(params.get("expires_at") or time.time() + 86400),
            "created": int(time.time()),
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
        }
        self.state.sessions[session_id] = session
        self.state.line_items[session_id] = items
        return 200, session

    def _new_refund(self, params):
        if not params.get("payment_intent"):
            return 400, {"error": {"type": "invalid_request_error",
                                   "message": "payment_intent is required"}}
        intent = params["payment_intent"]
        if intent not in self.state.intents:
            return 400, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                   "message": f"No such payment_intent: '{intent}'"}}
        refunded = sum(refund["amount"] for refund in self.state.refunds.values()
                       if refund["payment_intent"] == intent)
        remaining = self.state.intents[intent] - refunded
        amount = int(params.get("amount", remaining))
        if remaining <= 0:
            return 400, {"error": {"type": "invalid_request_error",
                                   "code": "charge_already_refunded",
                                   "message": f"Charge for {intent} has already been refunded."}}
        if amount > remaining:
            return 400, {"error": {"type": "invalid_request_error", "code": "amount_too_large",
                                   "message": f"Refund amount ({amount}) is greater than "
                                              f"unrefunded amount on charge ({remaining})"}}
        refund_id = f"re_test_{next(self.state.numbers):08d}"
        refund = {"id": refund_id, "object": "refund", "amount": amount,
                  "currency": "eur", "payment_intent": params["payment_intent"],
                  "status": "succeeded", "created": int(time.time()),
                  "metadata": {name[len("metadata["):-1]: value
                               for name, value in params.items()
                               if name.startswith("metadata[")}}
        self.state.refunds[refund_id] = refund
        return 200, refund


class StripeServer:
    """Start with ``with StripeServer() as server``; ``server.url`` is the API base."""

    def __init__(self):
        self.state = StripeState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    # --- what tests read ---
    @property
    def requests(self):
        return list(self.state.requests)

    def requests_to(self, method, path):
        return [r for r in self.requests if r.method == method and r.path == path]

    @property
    def refunds(self):
        return list(self.state.refunds.values())

    def session(self, session_id):
        return self.state.sessions[session_id]

    def line_items(self, session_id):
        return list(self.state.line_items[session_id])

    # --- what a customer does on the Checkout page ---
    def complete(self, session_id, *, paid=True):
        """Card (paid at once) or SEPA debit (``paid=False``: complete, still unpaid)."""
        with self.state.lock:
            session = self.state.sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = "paid" if paid else "unpaid"
            session["payment_intent"] = session["payment_intent"] or f"pi_{session_id[3:]}"
            self.state.intents[session["payment_intent"]] = session["amount_total"]
        return session

    def debit_cleared(self, session_id):
        with self.state.lock:
            self.state.sessions[session_id]["payment_status"] = "paid"

    def expire(self, session_id):
        with self.state.lock:
            self.state.sessions[session_id]["status"] = "expired"

    # --- webhooks ---
    def signed_event(self, event_type, session_id, secret, *, event_id=None, timestamp=None):
        """(payload, headers) of a webhook event carrying the session as it is now."""
        event = {
            "id": event_id or f"evt_{next(self.state.numbers):08d}", "object": "event",
            "api_version": "2025-01-27.acacia", "created": int(time.time()),
            "type": event_type, "livemode": False, "pending_webhooks": 1,
            "data": {"object": dict(self.state.sessions[session_id])},
        }
        payload = json.dumps(event)
        return payload, {"Stripe-Signature": sign(payload, secret, timestamp),
                         "Content-Type": "application/json"}


@contextmanager
def stripe_configured(app, webhook_secret, api_key="sk_test_local"):
    """Payments on for ``app``, against a fresh local server; the config is restored after."""
    keys = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")
    saved = {key: app.config.get(key) for key in keys}
    with StripeServer() as server:
        app.config.update(STRIPE_SECRET_KEY=api_key, STRIPE_WEBHOOK_SECRET=webhook_secret,
                          STRIPE_API_BASE=server.url)
        try:
            yield server
        finally:
            app.config.update(saved)
