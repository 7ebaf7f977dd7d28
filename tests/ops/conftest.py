"""Extra apps for operations tests: each its own config, sharing the suite's database
unless told otherwise."""
import pytest

from app import create_app
from config import TestConfig
from extensions import db


@pytest.fixture
def make_app(app):
    """``make_app(**settings)``: a new app (own limiter, own config) on the session database
    unless SQLALCHEMY_DATABASE_URI is given; disposed of after the test."""
    built = []

    def build(base=TestConfig, **settings):
        settings.setdefault("SQLALCHEMY_DATABASE_URI", app.config["SQLALCHEMY_DATABASE_URI"])
        config = type("OpsConfig", (base,), settings)
        new_app = create_app(config)
        built.append(new_app)
        return new_app

    yield build
    for new_app in built:
        with new_app.app_context():
            db.engine.dispose()
