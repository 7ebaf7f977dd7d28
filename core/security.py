"""Security headers on every response, and trust in the reverse proxy's forwarded headers.

The Content-Security-Policy allows scripts and styles from our own origin only: templates
carry no inline ``<script>``, ``style=`` or ``on...=`` attributes (a test checks this).
"""
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_security(app):
    """Add the security headers to every response; trust ``PROXY_COUNT`` proxies."""
    proxies = app.config.get("PROXY_COUNT", 0)
    if proxies:
        # Without this, behind nginx every client would share the proxy's address (one
        # rate-limit bucket for everybody) and secure cookies would see plain http.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    hsts_seconds = app.config.get("HSTS_SECONDS", 0)

    @app.after_request
    def add_security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            # A view may set a stricter (or deliberately different) value itself.
            response.headers.setdefault(name, value)
        if hsts_seconds:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={hsts_seconds}; includeSubDomains"
            )
        return response
