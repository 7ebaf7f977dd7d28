"""Helpers for the API tests: a JSON client with a Bearer token, and future local times."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import flask_babel
import pytest
from flask import g, has_app_context

from accounts.auth import issue_api_token
from core.time import local_date, utcnow

PREFIX = "/api/v1"


class ApiClient:
    """The test client speaking JSON to /api/v1, as a user (Bearer token) or anonymously."""

    def __init__(self, client):
        self.client = client
        self.headers = {}

    def as_user(self, user):
        self.headers = {"Authorization": f"Bearer {issue_api_token(user)}"}
        return self

    def anonymous(self):
        self.headers = {}
        return self

    def request(self, method, path, *, headers=None, **kwargs):
        # The ``make`` fixture's app context is reused by the client's requests, so ``g``
        # outlives a request: drop what Flask-Babel and Flask-Login cache there per request.
        if has_app_context():
            flask_babel.refresh()
            g.pop("_login_user", None)
        return self.client.open(PREFIX + path, method=method,
                                headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        if json is not None:
            kwargs["json"] = json
        return self.request("POST", path, **kwargs)


@pytest.fixture
def api(client, make):
    return ApiClient(client)


def next_weekday(weekday, weeks_ahead=1):
    """The local date of ``weekday`` (0 = Monday) at least ``weeks_ahead`` weeks from today."""
    today = local_date(utcnow())
    start = today + timedelta(weeks=weeks_ahead)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def local(day, hour, minute=0):
    """A naive local ISO time, as a client would send it."""
    return datetime.combine(day, time(hour, minute)).isoformat()


def berlin(day, hour, minute=0):
    """How the API writes that local time: with its offset, to the second."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo("Europe/Berlin")).isoformat()


def error_of(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]
