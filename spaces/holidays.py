"""Public holidays of North Rhine-Westphalia (the state all four labs are in)."""
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l


def easter_sunday(year):
    """Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm, also
    known as Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def nrw_public_holidays(year):
    """[(date, name)] of the statutory public holidays in NRW in ``year``, by date."""
    easter = easter_sunday(year)
    holidays = [
        (date(year, 1, 1), _l("New Year's Day")),
        (easter - timedelta(days=2), _l("Good Friday")),
        (easter + timedelta(days=1), _l("Easter Monday")),
        (date(year, 5, 1), _l("Labour Day")),
        (easter + timedelta(days=39), _l("Ascension Day")),
        (easter + timedelta(days=50), _l("Whit Monday")),
        (easter + timedelta(days=60), _l("Corpus Christi")),
        (date(year, 10, 3), _l("Day of German Unity")),
        (date(year, 11, 1), _l("All Saints' Day")),
        (date(year, 12, 25), _l("Christmas Day")),
        (date(year, 12, 26), _l("Boxing Day")),
    ]
    return sorted(holidays, key=lambda holiday: holiday[0])
