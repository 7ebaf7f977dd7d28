"""Hooks through which a lower layer asks a higher one for a decision.

A higher package (billing, say) registers a function at start-up; a lower one (spaces,
bookings) calls ``ask`` without importing the higher package. With nothing registered,
``ask`` returns the default.
"""
_HOOKS = {}


def register(name, function):
    _HOOKS[name] = function


def ask(name, *args, default=None, **kwargs):
    function = _HOOKS.get(name)
    if function is None:
        return default
    return function(*args, **kwargs)
