"""Every request has an id (taken from X-Request-ID or made up), echoed in the response and
written on every log line; unexpected errors are logged once with context and shown to the
user as a friendly page without internals."""
import json
import logging
import re

import pytest

from core.logging import JsonFormatter, KeyValueFormatter


def test_each_request_gets_its_own_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_the_callers_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-4711.abc"})
    assert response.headers["X-Request-ID"] == "lb-4711.abc"


@pytest.mark.parametrize("offered", ["has space", "x" * 200, "new\\nline", "<script>"])
def test_an_unsafe_request_id_is_replaced(client, offered):
    response = client.get("/healthz", headers={"X-Request-ID": offered})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_the_request_log_line_carries_the_request_id(client, caplog):
    caplog.set_level(logging.INFO, logger="stadtlabor.request")
    response = client.get("/nowhere", headers={"X-Request-ID": "trace-1"})
    assert response.status_code == 404
    lines = [r for r in caplog.records if r.name == "stadtlabor.request"]
    assert len(lines) == 1
    assert lines[0].request_id == "trace-1"
    assert (lines[0].method, lines[0].path, lines[0].status) == ("GET", "/nowhere", 404)


def _record(**extra):
    record = logging.LogRecord("stadtlabor.test", logging.WARNING, __file__, 1,
                               "booking %s failed", (42,), None)
    record.request_id = "req-9"
    record.__dict__.update(extra)
    return record


def test_json_lines_are_one_object_with_the_context():
    line = JsonFormatter().format(_record(user_id=7))
    fields = json.loads(line)
    assert fields["message"] == "booking 42 failed"
    assert fields["request_id"] == "req-9"
    assert fields["level"] == "WARNING"
    assert fields["user_id"] == 7
    assert "\n" not in line


def test_key_value_lines_quote_what_needs_it():
    line = KeyValueFormatter().format(_record(path="/a b"))
    assert "request_id=req-9" in line
    assert 'message="booking 42 failed"' in line
    assert 'path="/a b"' in line


@pytest.fixture
def failing_app(make_app):
    failing = make_app()

    @failing.get("/explode")
    def explode():
        raise RuntimeError("secret internal detail")

    @failing.get("/api/v1/explode")
    def explode_api():
        raise RuntimeError("secret internal detail")

    return failing


def test_an_unexpected_error_is_logged_once_with_context(failing_app, caplog):
    caplog.set_level(logging.INFO)
    response = failing_app.test_client().get("/explode?lang=en",
                                             headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    error = errors[0]
    assert error.request_id == "boom-1"
    assert error.path == "/explode"
    assert error.exc_info and "secret internal detail" in str(error.exc_info[1])


def test_the_500_page_is_friendly_and_quotes_the_reference(failing_app):
    response = failing_app.test_client().get("/explode?lang=en",
                                             headers={"X-Request-ID": "boom-2"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "boom-2" in html
    assert "secret internal detail" not in html and "Traceback" not in html


def test_a_500_under_the_api_is_json_without_internals(failing_app):
    response = failing_app.test_client().get("/api/v1/explode")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal"
    assert "secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize("lang, heading, text", [
    ("en", "Page not found", "This page does not exist."),
    ("de", 'lang="de"', "Diese Seite gibt es nicht."),
])
def test_the_404_page_speaks_both_languages(client, lang, heading, text):
    response = client.get(f"/no/such/page?lang={lang}")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert heading in html and text in html
    assert "Traceback" not in html
