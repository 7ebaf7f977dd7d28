"""Write audit entries inside the caller's transaction."""
from core.models import AuditEntry
from core.time import utcnow
from extensions import db


def record(action, subject, *, actor=None, site_id=None, before=None, after=None, now=None):
    """Append an audit entry for ``subject`` (any model with an ``id``).

    The entry is added to the current session, so it is committed or rolled back together
    with the change it describes.
    """
    db.session.flush()
    entry = AuditEntry(
        created_at=now or utcnow(),
        actor_id=getattr(actor, "id", None),
        action=action,
        subject_type=type(subject).__name__.lower(),
        subject_id=subject.id,
        site_id=site_id,
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry
