"""Shared helpers of the booking tests: a fixed clock, Berlin times, hooks restored."""
from datetime import datetime

import pytest

from core import hooks
from core.time import localize

# A Monday morning, well before the dates the tests book.
NOW = localize(datetime(2027, 3, 1, 9, 0))


def berlin(year, month, day, hour=0, minute=0):
    """The instant of a Berlin wall-clock time (refuses nonexistent/ambiguous ones)."""
    return localize(datetime(year, month, day, hour, minute))


@pytest.fixture
def restore_hooks():
    """Register hooks freely in a test; the app's own ones come back afterwards."""
    saved = dict(hooks._HOOKS)
    yield hooks
    hooks._HOOKS.clear()
    hooks._HOOKS.update(saved)


@pytest.fixture
def payment_required(restore_hooks):
    """Every booking needs payment (so it is held first)."""
    restore_hooks.register("payment_required", lambda booking: True)
    return restore_hooks


@pytest.fixture
def member(make):
    return make.user()


@pytest.fixture
def site(make):
    return make.site()


@pytest.fixture
def desk(make, site):
    return make.unit(site, "desk", min_length=1, max_length=12)
