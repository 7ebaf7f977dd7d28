"""Structured logs with a request id on every line.

Each request gets an id: the caller's ``X-Request-ID`` if it looks sane (a load balancer
sets one), else a new random one. It is echoed in the response header and added to every
log record made while the request runs, so one request's lines can be found together.
``LOG_FORMAT=json`` writes one JSON object per line (production); ``keyvalue`` writes
``key=value`` pairs (development).
"""
import json
import logging
import re
import time
import uuid

from flask import g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# Accept only short, harmless ids from outside: they end up in logs and headers.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged.
_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id",
}
_HANDLER_MARK = "_stadtlabor_handler"

request_log = logging.getLogger("stadtlabor.request")


def current_request_id():
    """The id of the request being handled, or None outside a request."""
    if not has_request_context():
        return None
    return getattr(g, "request_id", None)


def _install_record_factory():
    """Give every log record a ``request_id`` attribute, whichever handler formats it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_adds_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = current_request_id()
        return record

    factory._adds_request_id = True
    logging.setLogRecordFactory(factory)


def _fields(record):
    fields = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        + f".{int(record.msecs):03d}Z",
        "level": record.levelname,
        "logger": record.name,
        "request_id": getattr(record, "request_id", None),
        "message": record.getMessage(),
    }
    for key, value in vars(record).items():
        if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
            fields[key] = value
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record):
        fields = _fields(record)
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return json.dumps(fields, default=str, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    def format(self, record):
        fields = _fields(record)
        line = " ".join(f"{key}={_quote(value)}" for key, value in fields.items()
                        if value is not None)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _quote(value):
    text = str(value)
    if text and not any(char in text for char in ' "=\n'):
        return text
    return json.dumps(text, ensure_ascii=False)


def configure_logging(app):
    """Send the root logger's output to stderr in the configured format (once per process),
    and give every request an id."""
    _install_record_factory()
    formatter = JsonFormatter() if app.config["LOG_FORMAT"] == "json" else KeyValueFormatter()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, _HANDLER_MARK, False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    handler.setFormatter(formatter)
    root.setLevel(app.config["LOG_LEVEL"])

    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.jinja_env.globals["request_id"] = current_request_id


def _start_request():
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = offered if _SAFE_REQUEST_ID.match(offered) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response):
    request_id = getattr(g, "request_id", None)
    if request_id is None:  # a before_request hook ahead of ours answered
        _start_request()
        request_id = g.request_id
    response.headers[REQUEST_ID_HEADER] = request_id
    started = getattr(g, "request_started", None)
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    request_log.info(
        "%s %s %s", request.method, request.path, response.status_code,
        extra={"method": request.method, "path": request.path,
               "status": response.status_code, "duration_ms": duration_ms},
    )
    return response
