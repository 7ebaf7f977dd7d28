"""Booking pages: search, book, my bookings."""
from flask import Blueprint

bp = Blueprint("bookings", __name__)
