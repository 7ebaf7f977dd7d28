"""Unit photos: one PNG or JPEG per unit, stored in the database.

The type is decided by the file's magic bytes, never by the name or the declared content
type, so a renamed text file is refused. Photos are served with an ETag so browsers and
proxies revalidate instead of downloading them again.
"""
import hashlib

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.audit import record
from core.db import run_in_transaction
from core.errors import ValidationError
from core.messages import register
from extensions import db
from spaces.editing import require_manager
from spaces.models import UnitPhoto

MAX_PHOTO_BYTES = 2 * 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"

register({
    "photo_missing": _l("Please choose a photo to upload."),
    "photo_too_large": _l("The photo is larger than %(megabytes)s MB."),
    "photo_wrong_type": _l("The photo must be a PNG or JPEG image."),
})


def photo_type(data):
    """'image/png' or 'image/jpeg' from the magic bytes of ``data``, else None."""
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    return None


def check_photo(data):
    """The content type of acceptable photo bytes; raises ValidationError (field ``photo``)
    when empty, larger than MAX_PHOTO_BYTES, or neither PNG nor JPEG."""
    if not data:
        raise ValidationError({"photo": "required"}, message_key="photo_missing")
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": "too_large"}, message_key="photo_too_large",
                              megabytes=MAX_PHOTO_BYTES // (1024 * 1024))
    content_type = photo_type(data)
    if content_type is None:
        raise ValidationError({"photo": "wrong_type"}, message_key="photo_wrong_type")
    return content_type


def photo_of(unit_id):
    return db.session.scalar(sa.select(UnitPhoto).where(UnitPhoto.unit_id == unit_id))


def photo_versions(unit_ids):
    """{unit id: version string} of the units among ``unit_ids`` that have a photo; the
    version goes into the image URL so a new photo is not hidden by a cached old one."""
    if not unit_ids:
        return {}
    rows = db.session.execute(
        sa.select(UnitPhoto.unit_id, UnitPhoto.updated_at)
        .where(UnitPhoto.unit_id.in_(list(unit_ids)))).all()
    return {unit_id: str(int(updated_at.timestamp() * 1_000_000))
            for unit_id, updated_at in rows}


def photo_etag(photo):
    return hashlib.sha256(photo.content).hexdigest()[:32]


def set_unit_photo(actor, unit, data, *, now):
    """Store ``data`` as the photo of ``unit``, replacing any earlier one. Audit:
    ``unit.photo_changed`` (before/after: content type and size, not the bytes).
    Raises NotAllowed, ValidationError (nothing written)."""
    require_manager(actor, unit.site_id)
    content_type = check_photo(data)

    def work():
        photo = photo_of(unit.id)
        before = None
        if photo is None:
            photo = UnitPhoto(unit_id=unit.id)
            db.session.add(photo)
        else:
            before = {"content_type": photo.content_type, "size": len(photo.content)}
        photo.content_type, photo.content, photo.updated_at = content_type, data, now
        record("unit.photo_changed", unit, actor=actor, site_id=unit.site_id, before=before,
               after={"content_type": content_type, "size": len(data)}, now=now)
        return photo

    return run_in_transaction(work)
