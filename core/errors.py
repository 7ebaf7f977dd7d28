"""Typed domain errors. Views and the API turn them into messages in one place."""


class DomainError(Exception):
    """Base of every error a service raises on purpose.

    ``message_key`` names a user-facing message in ``core.messages``; ``params`` fill it.
    """

    status = 400
    code = "error"
    message_key = "error"

    def __init__(self, message_key=None, details=None, **params):
        self.message_key = message_key or self.message_key
        self.details = details or {}
        self.params = params
        super().__init__(self.message_key)


class ValidationError(DomainError):
    status = 422
    code = "validation"
    message_key = "validation"

    def __init__(self, fields=None, message_key=None, **params):
        super().__init__(message_key, {"fields": fields or {}}, **params)
        self.fields = fields or {}


class NotAllowed(DomainError):
    status = 403
    code = "forbidden"
    message_key = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message_key = "not_found"


class BookingConflict(DomainError):
    """The time is taken. ``conflicts`` are (start, end) instants, never who holds them."""

    status = 409
    code = "conflict"
    message_key = "conflict"

    def __init__(self, conflicts=(), message_key=None, **params):
        from core.time import format_instant

        details = {
            "conflicts": [
                {"start": format_instant(start), "end": format_instant(end)}
                for start, end in conflicts
            ]
        }
        super().__init__(message_key, details, **params)
        self.conflicts = list(conflicts)


class InvalidTransition(DomainError):
    status = 409
    code = "invalid_transition"
    message_key = "invalid_transition"
