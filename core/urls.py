"""Absolute links for mails, feeds and API answers."""
from flask import current_app, has_request_context, request, url_for


def base_url():
    """PUBLIC_BASE_URL when set (behind a proxy), else the current request's host; outside
    a request (CLI, jobs) ``http://localhost``."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://localhost"


def absolute_url(endpoint, **values):
    """An absolute link to ``endpoint``; works in requests, mails and the CLI alike."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base_url() + path
