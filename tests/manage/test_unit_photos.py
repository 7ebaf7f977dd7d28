"""Managers upload a unit photo; only real PNG/JPEG up to 2 MB; served with an ETag."""
import io
import struct
import zlib

import pytest
import sqlalchemy as sa

from extensions import db
from spaces.models import UnitPhoto
from tests.manage.conftest import audit_entries


def tiny_png():
    """A valid 1x1 red PNG, built chunk by chunk."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def upload(browser, site, unit, data, filename="photo.png", content_type="image/png"):
    return browser.post(f"/manage/{site.slug}/units/{unit.id}/photo",
                        data={"photo": (io.BytesIO(data), filename, content_type)},
                        content_type="multipart/form-data")


@pytest.fixture
def english_manager(make, witten):
    return make.user("manager.en@example.org", role="manager", sites=[witten], locale="en")


def stored_photos():
    db.session.rollback()
    return db.session.scalars(sa.select(UnitPhoto)).all()


def test_a_manager_uploads_a_photo_that_replaces_the_placeholder(
        make, witten, witten_manager, browser, client):
    unit = make.unit(witten, "meeting_room", name="Raum Ruhr")
    assert "photo-placeholder" in client.get(f"/units/{unit.id}").get_data(as_text=True)
    png = tiny_png()
    browser.login(witten_manager)

    response = upload(browser, witten, unit, png)

    assert response.status_code == 302
    [photo] = stored_photos()
    assert (photo.unit_id, photo.content_type, photo.content) == (unit.id, "image/png", png)
    [entry] = audit_entries("unit.photo_changed")
    assert entry.actor_id == witten_manager.id and entry.after == {
        "content_type": "image/png", "size": len(png)}

    served = client.get(f"/units/{unit.id}/photo")
    assert served.status_code == 200
    assert served.mimetype == "image/png" and served.data == png
    assert served.headers["ETag"]
    again = client.get(f"/units/{unit.id}/photo",
                       headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""

    for page in (f"/units/{unit.id}", "/sites/witten"):
        html = client.get(page).get_data(as_text=True)
        assert f'src="/units/{unit.id}/photo?v=' in html and 'alt="Raum Ruhr"' in html
        assert "photo-placeholder" not in html


def test_a_jpeg_replaces_an_earlier_photo(make, witten, witten_manager, browser, client):
    unit = make.unit(witten, "desk", name="Tisch 1")
    browser.login(witten_manager)
    assert upload(browser, witten, unit, tiny_png()).status_code == 302
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"
    assert upload(browser, witten, unit, jpeg, "photo.jpg", "image/jpeg").status_code == 302
    [photo] = stored_photos()
    assert photo.content == jpeg
    assert client.get(f"/units/{unit.id}/photo").mimetype == "image/jpeg"


def test_a_renamed_text_file_is_refused_and_nothing_is_written(
        make, witten, english_manager, browser, counts):
    unit = make.unit(witten, "desk", name="Tisch 1")
    browser.login(english_manager)
    before = counts()

    response = upload(browser, witten, unit, b"just some text, not an image\n", "photo.png",
                      "image/png")

    assert response.status_code == 422
    assert "The photo must be a PNG or JPEG image." in response.get_data(as_text=True)
    assert counts() == before


def test_an_oversized_photo_is_refused_and_nothing_is_written(
        make, witten, english_manager, browser, counts):
    unit = make.unit(witten, "desk", name="Tisch 1")
    browser.login(english_manager)
    before = counts()
    too_big = tiny_png() + b"\x00" * (2 * 1024 * 1024)

    response = upload(browser, witten, unit, too_big)

    assert response.status_code == 422
    assert "The photo is larger than 2 MB." in response.get_data(as_text=True)
    assert counts() == before


def test_a_herne_manager_may_not_upload_a_photo_of_a_witten_unit(
        make, witten, herne, herne_manager, browser, counts):
    unit = make.unit(witten, "desk", name="Tisch 1")
    browser.login(herne_manager)
    before = counts()
    assert upload(browser, witten, unit, tiny_png()).status_code == 403
    assert upload(browser, herne, unit, tiny_png()).status_code == 404
    assert counts() == before


def test_a_unit_without_photo_has_no_photo_url(make, witten, client):
    unit = make.unit(witten, "desk")
    assert client.get(f"/units/{unit.id}/photo").status_code == 404
