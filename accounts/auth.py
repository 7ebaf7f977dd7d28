"""How a request is tied to a user: the session cookie or a Bearer API token."""
import hashlib
import hmac
import secrets

from accounts.models import ApiToken, User
from core.time import utcnow
from extensions import db


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def load_user_from_session(session_id):
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or str(user.credentials_version) != version:
        return None
    return user


def load_user_from_request(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    token_hash = hash_token(token.strip())
    row = db.session.scalar(
        db.select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )
    # The lookup is by hash; compare again in constant time for good measure.
    if row is None or not hmac.compare_digest(row.token_hash, token_hash):
        return None
    return row.user


def new_secret():
    return secrets.token_urlsafe(32)


def issue_api_token(user, now=None):
    """Create a personal API token for ``user`` and return it in clear (shown once)."""
    token = new_secret()
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), created_at=now or utcnow()))
    db.session.commit()
    return token
