"""Dialect-aware pieces of SQL for the report queries (PostgreSQL and SQLite).

Values placed into the SQL text are only numbers and instants that the report computes
itself (never user input), so they are written as literals: the calendar of a yearly report
has over a thousand rows, more than is comfortable as bind parameters.
"""
from datetime import date

import sqlalchemy as sa

from core.time import UTC
from extensions import db

class Dialect:
    """SQL snippets for the connected database; ``period`` supplies the local calendar."""

    def __init__(self, period, name=None):
        self.name = name or db.engine.dialect.name
        self.period = period
        self.postgresql = self.name == "postgresql"
        from reports.periods import offset_changes

        self._initial, self._changes = offset_changes(period.starts_at, period.ends_at)
        self._first_epoch_day = (period.first_day - date(1970, 1, 1)).days

    @property
    def materialized(self):
        """PostgreSQL: compute a CTE once instead of folding it into the outer query (whose
        plan would otherwise range-join every booking with every open day)."""
        return "MATERIALIZED" if self.postgresql else ""

    # --- literals ---------------------------------------------------------------------
    def instant(self, value):
        utc = value.astimezone(UTC)
        if self.postgresql:
            return f"TIMESTAMPTZ '{utc.strftime('%Y-%m-%d %H:%M:%S.%f')}+00'"
        # The text format SQLAlchemy stores in SQLite, so comparisons are textual and exact.
        return f"'{utc.strftime('%Y-%m-%d %H:%M:%S.%f')}'"

    def ints(self, values):
        return ", ".join(str(int(value)) for value in values) or "NULL"

    def strings(self, values):
        return ", ".join("'" + str(value).replace("'", "''") + "'" for value in values) or "NULL"

    # --- arithmetic -------------------------------------------------------------------
    def seconds_between(self, later, earlier):
        if self.postgresql:
            return f"date_part('epoch', ({later}) - ({earlier}))"
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"

    def least(self, *parts):
        return f"{'LEAST' if self.postgresql else 'MIN'}({', '.join(parts)})"

    def greatest(self, *parts):
        return f"{'GREATEST' if self.postgresql else 'MAX'}({', '.join(parts)})"

    def json_int(self, column, key):
        if self.postgresql:
            return f"CAST(({column} ->> '{key}') AS BIGINT)"
        return f"CAST(json_extract({column}, '$.{key}') AS INTEGER)"

    # --- local calendar ---------------------------------------------------------------
    # Local time is UTC plus the offset in force, which changes at a few known instants in
    # the period (daylight saving). Both databases add a CASE over those instants: cheaper
    # on PostgreSQL than AT TIME ZONE or to_char for every booking, and SQLite has no zones.

    def _offset_case(self, column, inclusive_end, as_modifier):
        compare = "<=" if inclusive_end else "<"
        branches, offset = [], self._initial

        def value(seconds):
            return f"'+{seconds} seconds'" if as_modifier else str(seconds)

        for instant, new_offset in self._changes:
            branches.append(f"WHEN {column} {compare} {self.instant(instant)} THEN {value(offset)}")
            offset = new_offset
        if not branches:
            return value(offset)
        return f"CASE {' '.join(branches)} ELSE {value(offset)} END"

    def _offset_modifier(self, column, inclusive_end=False):
        """SQLite: the '+N seconds' modifier that turns a UTC text into Berlin local time."""
        return self._offset_case(column, inclusive_end, as_modifier=True)

    def _local_epoch(self, column, end=False):
        """PostgreSQL: seconds since 1970-01-01 00:00 local time (an end: minus a second)."""
        shift = " - 1" if end else ""
        return (f"(date_part('epoch', {column}) + "
                f"{self._offset_case(column, end, as_modifier=False)}{shift})")

    def _local_epoch_day(self, column, end=False):
        return f"CAST(floor({self._local_epoch(column, end)} / 86400) AS INTEGER)"

    def local_day_no(self, column, end=False):
        """The period's day number of the local date of ``column`` (an end instant is
        exclusive: its day is the one of the moment just before)."""
        if self.postgresql:
            return f"({self._local_epoch_day(column, end)} - {self._first_epoch_day})"
        first = self.period.first_day.isoformat()
        modifiers = self._offset_modifier(column, inclusive_end=end)
        if end:
            modifiers += ", '-1 seconds'"
        return f"CAST(julianday(date({column}, {modifiers})) - julianday('{first}') AS INTEGER)"

    def local_month_no(self, column):
        """The period's month number (0 = the month of its first day) of ``column``."""
        first = self.period.first_day
        if self.postgresql:
            starts = ", ".join(str((month_start - first).days)
                               for _, month_start, _ in self.period.months)
            return f"(width_bucket({self.local_day_no(column)}, ARRAY[{starts}]) - 1)"
        modifier = self._offset_modifier(column)
        return (f"((CAST(strftime('%Y', {column}, {modifier}) AS INTEGER) - {first.year}) * 12 "
                f"+ CAST(strftime('%m', {column}, {modifier}) AS INTEGER) - {first.month})")

    def local_weekday(self, column):
        """0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)."""
        if self.postgresql:
            return f"MOD({self._local_epoch_day(column)} + 3, 7)"
        return f"((CAST(strftime('%w', {column}, {self._offset_modifier(column)}) AS INTEGER) + 6) % 7)"

    def local_minute_of_day(self, column):
        if self.postgresql:
            epoch = self._local_epoch(column)
            return f"CAST(floor(({epoch} - floor({epoch} / 86400) * 86400) / 60) AS INTEGER)"
        modifier = self._offset_modifier(column)
        return (f"(CAST(strftime('%H', {column}, {modifier}) AS INTEGER) * 60 "
                f"+ CAST(strftime('%M', {column}, {modifier}) AS INTEGER))")

    def expand_range(self, first, last, alias, table_values=None):
        """A FROM-clause piece yielding one row ``alias.n`` for each n in [first, last].
        PostgreSQL generates the series; SQLite joins a small VALUES table of the
        possible numbers (``table_values``)."""
        if self.postgresql:
            return f"CROSS JOIN LATERAL generate_series({first}, {last}) AS {alias}(n)"
        rows = ", ".join(f"({number})" for number in table_values) or "(NULL)"
        return (f"JOIN (WITH numbers(n) AS (VALUES {rows}) SELECT n FROM numbers) AS {alias} "
                f"ON {alias}.n BETWEEN {first} AND {last}")


def run(sql):
    """Execute report SQL text and return all rows."""
    if db.engine.dialect.name == "postgresql":
        # Compiling these one-off queries to machine code costs more than it saves.
        db.session.execute(sa.text("SET LOCAL jit = off"))
        # Group in memory rather than sorting on disk (a yearly report groups ~100k rows).
        db.session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    return db.session.execute(sa.text(sql)).all()
