"""A country's public holidays and make-up working days, from the `holidays` library (python-
holidays, maintained by the Vacanza team, released about monthly): pure functions, no database.

Why `holidays` and not `chinesecalendar`: both know China's statutory holidays and its make-up
working days (调休) from the State Council's yearly notices, but `chinesecalendar` (1.11, Nov
2025) covers 2004-2026 and raises NotImplementedError for any other year, while `holidays` covers
every country and China from 1950 to 2100.

What `holidays` knows of China: the official arrangement (holidays, bridge days and make-up
working days) of each year whose notice it has, 2001-2026 in release 0.109. For a later year it
gives the statutory holidays by the law's rules (元旦, 除夕 and 春节 1-3, 清明, 劳动节 1-2, 端午,
中秋, 国庆 1-3, lunar dates computed) with a holiday that falls on a weekend moved to the next
weekday, and no make-up working days: so in a year not yet announced the portal counts every
statutory holiday as a day off, counts weekends as days off, and may count a bridge day of a
golden week as a working day (a deadline comes sooner, never later than the law allows). Each
yearly release of `holidays` adds the year the State Council announced (each November).
Beyond 2100, or for a country the library does not know, there are no public holidays: the
calendar's own holidays and working days still count.
"""

from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=512)
def public_days(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays, make-up working days on a weekend) of `country` in `year`."""
    try:
        known = holidays.country_holidays(country, years=year)
    except NotImplementedError:  # a country the library does not know
        return frozenset(), frozenset()
    days_off = frozenset(day for day in known if day.year == year)
    working = frozenset(day for day in known.weekend_workdays if day.year == year)
    return days_off, working


def is_announced(country: str, year: int) -> bool:
    """Whether the library has the official arrangement of `year` (for China: it knows a
    make-up working day in it), rather than the estimate by rule described above."""
    return bool(public_days(country, year)[1])
