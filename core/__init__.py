"""Shared foundations: time, errors, database types, audit log, mail outbox, hooks."""
