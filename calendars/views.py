"""HTTP for the calendars: the feeds (with ETag / Last-Modified and 304), the .ics of one
booking, the page listing a user's feed URLs, and the manager's page of external calendars."""
from email.utils import format_datetime as http_date

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from accounts import policy
from accounts.models import Organisation
from bookings.models import Booking
from calendars import feed_cache, feeds, imports, messages, tokens
from calendars.models import CalendarSource, SourceKind
from core.errors import NotAllowed, NotFound, ValidationError
from core.time import utcnow
from core.web import flash_error
from extensions import db
from spaces.models import Site
from spaces.services import site_by_slug, unit_by_id

bp = Blueprint("calendars", __name__)

bp.add_app_template_global(messages.last_error_text)

CALENDAR_TYPE = "text/calendar; charset=utf-8"


def _feed_language(default=None):
    chosen = request.args.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return default or current_app.config["BABEL_DEFAULT_LOCALE"]


def _not_modified(etag, last_modified):
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag.strip('"'))
    since = request.if_modified_since
    return since is not None and last_modified.replace(microsecond=0) <= since


def _feed_headers(etag, last_modified, *, private):
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(last_modified.replace(microsecond=0), usegmt=True),
        # Clients may keep the feed but must ask again (cheaply: 304) before using it.
        "Cache-Control": "private, no-cache" if private else "public, no-cache",
    }
    if private:
        headers["Referrer-Policy"] = "no-referrer"
    return headers


def _respond(etag, last_modified, body, *, headers, filename):
    if _not_modified(etag, last_modified):
        return Response(status=304, headers=headers)
    return Response(body, status=200, content_type=CALENDAR_TYPE, headers={
        **headers, "Content-Disposition": f'inline; filename="{filename}"'})


PRIVATE_FEEDS = {"calendars.user_feed", "calendars.organisation_feed", "calendars.manager_feed"}
FEEDS = PRIVATE_FEEDS | {"calendars.unit_feed", "calendars.site_feed"}


def _cache_key():
    # Straight from the WSGI environ: request.full_path and .host re-quote the URL on
    # every call, which costs more than the whole cached answer.
    environ = request.environ
    return (environ.get("HTTP_HOST", ""), environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""))


@bp.before_request
def answer_from_feed_cache():
    """Polls of an unchanged feed are answered without touching the database."""
    if request.endpoint not in FEEDS or request.method not in ("GET", "HEAD"):
        return None
    entry = feed_cache.lookup(_cache_key(), utcnow())
    if entry is None:
        return None
    if request.environ.get("HTTP_IF_NONE_MATCH") == entry.etag:  # the usual poll
        return Response(status=304, headers=entry.headers)
    if entry.body is None and not _not_modified(entry.etag, entry.last_modified):
        return None
    return _respond(entry.etag, entry.last_modified, entry.body, headers=entry.headers,
                    filename=entry.filename)


def serve_feed(feed, *, private):
    now = utcnow()
    # Read before the data: a write committed meanwhile makes this entry stale at once.
    version = feed_cache.current_version()
    state = feeds.feed_state(feed, now)
    body = None
    if not _not_modified(state.etag, state.last_modified):
        body = feeds.feed_body(feed, state, now)
    filename = f"{feed.key[0]}.ics"
    headers = _feed_headers(state.etag, state.last_modified, private=private)
    feed_cache.remember(_cache_key(), version=version, state=state, now=now, body=body,
                        filename=filename, headers=headers)
    return _respond(state.etag, state.last_modified, body, headers=headers, filename=filename)


# --- feeds ------------------------------------------------------------------------------

@bp.get("/ical/units/<int:unit_id>.ics")
def unit_feed(unit_id):
    unit = unit_by_id(unit_id)
    return serve_feed(feeds.unit_feed(unit, _feed_language()), private=False)


@bp.get("/ical/sites/<slug>.ics")
def site_feed(slug):
    site = site_by_slug(slug)
    return serve_feed(feeds.site_feed(site, _feed_language()), private=False)


@bp.get("/ical/users/<token>.ics")
def user_feed(token):
    user = tokens.user_for_feed_token(token)
    if user is None:
        raise NotFound()
    return serve_feed(feeds.user_feed(user, _feed_language(user.locale)), private=True)


@bp.get("/ical/organisations/<token>.ics")
def organisation_feed(token):
    organisation = tokens.organisation_for_feed_token(token)
    if organisation is None:
        raise NotFound()
    return serve_feed(feeds.organisation_feed(organisation, _feed_language()), private=True)


@bp.get("/ical/manage/<slug>/<token>.ics")
def manager_feed(slug, token):
    user = tokens.user_for_feed_token(token)
    site = db.session.scalar(db.select(Site).where(Site.slug == slug))
    # One answer for every failure: a token must not reveal which sites exist or who manages.
    if user is None or site is None or not policy.can_manage_site(user, site.id):
        raise NotFound()
    return serve_feed(feeds.manager_feed(site, _feed_language(user.locale)), private=True)


@bp.get("/bookings/<int:booking_id>/ics")
@login_required
def booking_ics(booking_id):
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound()
    if not policy.can_view_booking(current_user, booking):
        raise NotAllowed()
    body = feeds.booking_ics(booking, lang=str(_current_language()))
    return Response(body, content_type=CALENDAR_TYPE, headers={
        "Content-Disposition": f'attachment; filename="booking-{booking.id}.ics"',
        "Cache-Control": "private, no-store",
    })


def _current_language():
    from flask_babel import get_locale

    return get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]


# --- the user's feed URLs ------------------------------------------------------------------

@bp.get("/calendars")
@login_required
def my_feeds():
    organisations = [
        organisation for organisation in current_user.organisations
        if policy.can_manage_organisation(current_user, organisation.id)
    ]
    managed = db.session.scalars(
        db.select(Site).where(Site.id.in_(
            policy.managed_site_ids(current_user, db.session.scalars(db.select(Site.id)).all())
        )).order_by(Site.name)
    ).all()
    return render_template(
        "calendars/feeds.html",
        private_url=tokens.private_feed_url(current_user),
        organisation_urls=[(o, tokens.organisation_feed_url(o)) for o in organisations],
        manager_urls=[(s, tokens.manager_feed_url(current_user, s)) for s in managed],
    )


@bp.post("/calendars/token")
@login_required
def regenerate_token():
    tokens.regenerate_ical_token(current_user, actor=current_user)
    flash(_("Your private calendar address was renewed; the old one no longer works."), "success")
    return redirect(url_for("calendars.my_feeds"))


@bp.post("/calendars/organisations/<int:organisation_id>/token")
@login_required
def regenerate_organisation_token(organisation_id):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    if not policy.can_manage_organisation(current_user, organisation.id):
        raise NotAllowed()
    tokens.regenerate_organisation_feed_token(organisation, actor=current_user)
    flash(_("The organisation's calendar address was renewed; the old one no longer works."),
          "success")
    return redirect(url_for("calendars.my_feeds"))


# --- external calendars of a unit (managers) ----------------------------------------------

def _managed_unit(unit_id):
    unit = unit_by_id(unit_id)
    if not policy.can_manage_site(current_user, unit.site_id):
        raise NotAllowed()
    return unit


def _render_sources(unit, status=200, result=None):
    sources = db.session.scalars(
        db.select(CalendarSource).where(CalendarSource.unit_id == unit.id)
        .order_by(CalendarSource.id)
    ).all()
    return render_template("calendars/sources.html", unit=unit, site=unit.site, sources=sources,
                           result=result, max_mb=imports.MAX_BYTES // (1024 * 1024)), status


@bp.get("/calendars/units/<int:unit_id>/sources")
@login_required
def unit_sources(unit_id):
    return _render_sources(_managed_unit(unit_id))


@bp.post("/calendars/units/<int:unit_id>/sources")
@login_required
def add_source(unit_id):
    unit = _managed_unit(unit_id)
    upload = request.files.get("file")
    url = (request.form.get("url") or "").strip()
    name = request.form.get("name", "")
    now = utcnow()
    try:
        if upload is not None and upload.filename:
            data = upload.stream.read(imports.MAX_BYTES + 1)
            result = imports.import_upload(current_user, unit, name=name, data=data, now=now)
        elif url:
            result = imports.add_url_source(current_user, unit, name=name, url=url, now=now)
        else:
            raise ValidationError({"file": "required"}, message_key="ical_no_file")
    except ValidationError as error:
        flash_error(error)
        return _render_sources(unit, status=422)
    _flash_result(result)
    return redirect(url_for("calendars.unit_sources", unit_id=unit.id))


def _source_for_manager(source_id):
    source = db.session.get(CalendarSource, source_id)
    if source is None:
        raise NotFound()
    return source, _managed_unit(source.unit_id)


@bp.post("/calendars/sources/<int:source_id>/sync")
@login_required
def sync_source(source_id):
    source, unit = _source_for_manager(source_id)
    try:
        if source.kind == SourceKind.URL:
            result = imports.sync_source(source, now=utcnow(), actor=current_user)
        else:
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise ValidationError({"file": "required"}, message_key="ical_no_file")
            result = imports.import_upload(current_user, unit, name=source.name, now=utcnow(),
                                           data=upload.stream.read(imports.MAX_BYTES + 1),
                                           source=source)
    except ValidationError as error:
        flash_error(error)
        return _render_sources(unit, status=422)
    _flash_result(result)
    return redirect(url_for("calendars.unit_sources", unit_id=unit.id))


@bp.post("/calendars/sources/<int:source_id>/delete")
@login_required
def delete_source(source_id):
    source, unit = _source_for_manager(source_id)
    imports.remove_source(current_user, source, now=utcnow())
    flash(_("The external calendar was removed."), "success")
    return redirect(url_for("calendars.unit_sources", unit_id=unit.id))


def _flash_result(result):
    flash(_("%(count)s events imported (%(added)s added, %(removed)s removed, %(kept)s unchanged).",
            count=result.imported - len(result.clashes), added=result.added,
            removed=result.removed, kept=result.kept), "success")
    if result.clashes:
        flash(_("%(count)s events clash with bookings of this unit and were not imported; "
                "see the list below.", count=len(result.clashes)), "error")

from calendars import web_views  # noqa: E402,F401 - adds the web calendar routes to bp
