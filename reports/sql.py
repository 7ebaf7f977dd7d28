"""Dialect-aware pieces of SQL for the report queries (PostgreSQL and SQLite).

Values placed into the SQL text are only numbers and instants that the report computes
itself (never user input), so they are written as literals: the calendar of a yearly report
has over a thousand rows, more than is comfortable as bind parameters.
"""
from datetime import timedelta

import sqlalchemy as sa

from core.time import UTC
from extensions import db

BERLIN_NAME = "Europe/Berlin"


class Dialect:
    """SQL snippets for the connected database; ``period`` supplies the local calendar."""

    def __init__(self, period, name=None):
        self.name = name or db.engine.dialect.name
        self.period = period
        self.postgresql = self.name == "postgresql"
        if not self.postgresql:
            from reports.periods import offset_changes

            self._initial, self._changes = offset_changes(period.starts_at, period.ends_at)

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
            return f"EXTRACT(EPOCH FROM ({later}) - ({earlier}))"
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"

    def least(self, *parts):
        return f"{'LEAST' if self.postgresql else 'MIN'}({', '.join(parts)})"

    def greatest(self, *parts):
        return f"{'GREATEST' if self.postgresql else 'MAX'}({', '.join(parts)})"

    def json_int(self, column, key):
        if self.postgresql:
            return f"CAST(({column} ->> '{key}') AS BIGINT)"
        return f"CAST(json_extract({column}, '$.{key}') AS INTEGER)"

    def json_text(self, column, key):
        if self.postgresql:
            return f"({column} ->> '{key}')"
        return f"CAST(json_extract({column}, '$.{key}') AS TEXT)"

    # --- local calendar ---------------------------------------------------------------
    def _offset_modifier(self, column, inclusive_end=False):
        """SQLite: the '+N seconds' modifier that turns a UTC text into Berlin local time."""
        if not self._changes:
            return f"'+{self._initial} seconds'"
        compare = "<=" if inclusive_end else "<"
        branches, offset = [], self._initial
        for instant, new_offset in self._changes:
            branches.append(f"WHEN {column} {compare} {self.instant(instant)} "
                            f"THEN '+{offset} seconds'")
            offset = new_offset
        return f"CASE {' '.join(branches)} ELSE '+{offset} seconds' END"

    def local_day_no(self, column, end=False):
        """The period's day number of the local date of ``column`` (an end instant is
        exclusive: its day is the one of the moment just before)."""
        first = self.period.first_day.isoformat()
        if self.postgresql:
            value = f"({column} - INTERVAL '1 microsecond')" if end else column
            return f"(CAST(({value} AT TIME ZONE '{BERLIN_NAME}') AS DATE) - DATE '{first}')"
        modifiers = self._offset_modifier(column, inclusive_end=end)
        if end:
            modifiers += ", '-1 seconds'"
        return f"CAST(julianday(date({column}, {modifiers})) - julianday('{first}') AS INTEGER)"

    def local_month(self, column):
        """'YYYY-MM' of the local date of ``column``."""
        if self.postgresql:
            return f"to_char({column} AT TIME ZONE '{BERLIN_NAME}', 'YYYY-MM')"
        return f"strftime('%Y-%m', {column}, {self._offset_modifier(column)})"

    def local_weekday(self, column):
        """0 = Monday ... 6 = Sunday."""
        if self.postgresql:
            return f"(CAST(EXTRACT(ISODOW FROM {column} AT TIME ZONE '{BERLIN_NAME}') AS INTEGER) - 1)"
        return f"((CAST(strftime('%w', {column}, {self._offset_modifier(column)}) AS INTEGER) + 6) % 7)"

    def local_minute_of_day(self, column):
        if self.postgresql:
            local = f"({column} AT TIME ZONE '{BERLIN_NAME}')"
            return (f"(CAST(EXTRACT(HOUR FROM {local}) AS INTEGER) * 60 "
                    f"+ CAST(EXTRACT(MINUTE FROM {local}) AS INTEGER))")
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
    return db.session.execute(sa.text(sql)).all()


def day_after(day):
    return day + timedelta(days=1)
