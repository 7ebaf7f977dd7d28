"""Reading API input: the JSON body and query strings, with every problem reported at once.

A body that is not a JSON object is a 400 ``invalid_json``; wrong types, missing or unknown
fields are one 422 ``validation`` whose ``details.fields`` names each bad field.
"""
from flask import request

from core.errors import DomainError, ValidationError
from core.time import parse_instant


INTEGER_MAX = 2**31 - 1


class InvalidJson(DomainError):
    status = 400
    code = "invalid_json"
    message_key = "invalid_json"


def json_object(optional=False):
    """The request body as a dict; an empty body is ``{}`` when ``optional``."""
    if optional and not request.get_data(cache=True).strip():
        return {}
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise InvalidJson()
    return data


class Fields:
    """Typed access to a JSON object (or, with ``from_query``, to query-string values).

    Each reader returns the value or None and remembers what was wrong; ``check`` raises one
    ValidationError for all of it. Absent and ``null`` mean the same.
    """

    def __init__(self, data, *, allowed=None, from_query=False):
        self.data = data
        self.from_query = from_query
        self.errors = {}
        self._specific = None  # a service's error for a single field keeps its own message
        for name in data:
            if allowed is not None and name not in allowed:
                self.fail(name, "unknown_field")

    def fail(self, name, reason):
        self.errors.setdefault(name, reason)

    def absorb(self, error):
        """Take over the fields of a ValidationError (from core.time or a service)."""
        for name, reason in error.fields.items():
            self.fail(name, reason)
        if self._specific is None:
            self._specific = error

    def _raw(self, name, required):
        value = self.data.get(name)
        if value is None or (self.from_query and value == ""):
            if required:
                self.fail(name, "required")
            return None
        return value

    def string(self, name, *, required=False, max_length=None):
        value = self._raw(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(name, "must_be_string")
            return None
        if max_length is not None and len(value) > max_length:
            self.fail(name, "too_long")
            return None
        # PostgreSQL text cannot hold NUL (the driver would fail with a 500).
        if "\x00" in value:
            self.fail(name, "must_be_string")
            return None
        return value

    def integer(self, name, *, required=False, minimum=None, maximum=None):
        value = self._raw(name, required)
        if value is None:
            return None
        if self.from_query and isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        # bool is an int in Python, never in an API body.
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "must_be_integer")
            return None
        # Every integer we store fits a 32-bit INTEGER column; larger ones would overflow
        # in the database driver (a 500) instead of being refused here.
        maximum = INTEGER_MAX if maximum is None else min(maximum, INTEGER_MAX)
        minimum = -INTEGER_MAX if minimum is None else minimum
        if value < minimum or value > maximum:
            self.fail(name, "out_of_range")
            return None
        return value

    def boolean(self, name, *, required=False):
        value = self._raw(name, required)
        if value is None:
            return None
        if self.from_query and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            self.fail(name, "must_be_boolean")
            return None
        return value

    def mapping(self, name, *, required=False):
        value = self._raw(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(name, "must_be_object")
            return None
        return value

    def instant(self, name, *, required=False):
        value = self.string(name, required=required)
        if value is None:
            return None
        try:
            return parse_instant(value, field=name)
        except ValidationError as error:
            self.absorb(error)
            return None

    def choice(self, name, choices, *, required=False):
        value = self.string(name, required=required)
        if value is not None and value not in choices:
            self.fail(name, "unknown")
            return None
        return value

    def lookup(self, name, value, find):
        """The row ``find(value)`` names (an id or slug read from this input), or None;
        an id that names nothing is a 422 for that field, not a 404."""
        if value is None:
            return None
        row = find(value)
        if row is None:
            self.fail(name, "unknown")
        return row

    def check(self):
        """Raise one ValidationError naming every bad field, if any."""
        if not self.errors:
            return
        specific = self._specific
        if specific is not None and set(self.errors) == set(specific.fields):
            raise ValidationError(dict(self.errors), message_key=specific.message_key,
                                  **specific.params)
        raise ValidationError(dict(self.errors), message_key="invalid_fields",
                              names=", ".join(sorted(self.errors)))
