"""Signed links sent by e-mail (confirmation, password reset, invitations).

The tokens are signed with the app's SECRET_KEY and a purpose-specific salt, so a token
made for one purpose is useless for another.
"""
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from core.urls import absolute_url  # noqa: F401 - links.absolute_url in mails

CONFIRM_EMAIL = "confirm-email"
RESET_PASSWORD = "reset-password"
INVITATION = "invitation"
INVITATION_MAX_AGE_DAYS = 14


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"stadtlabor.{purpose}")


def make_token(purpose, payload):
    return _serializer(purpose).dumps(payload)


def read_token(purpose, token, max_age_seconds):
    """The payload of a valid, unexpired token, else None."""
    try:
        return _serializer(purpose).loads(token, max_age=max_age_seconds)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None


def email_token_max_age():
    return current_app.config["EMAIL_TOKEN_MAX_AGE_HOURS"] * 3600
