"""Availability, the booking lifecycle, recurring series."""
