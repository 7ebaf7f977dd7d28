"""``flask --app app bookings ...``."""
from flask.cli import AppGroup

bookings_cli = AppGroup("bookings", help="Bookings: holds and housekeeping.")
