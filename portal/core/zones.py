"""Time zones people choose from: the IANA zones of places (no aliases such as "Zulu",
"EST5EDT" or "US/Central"), the supplier's usual ones first, each named in the viewer's
language."""

from functools import lru_cache
from zoneinfo import available_timezones

from babel.dates import get_timezone_location
from flask_babel import get_locale
from wtforms.fields.choices import SelectChoice

#: Where the supplier and its accounts mostly are: first in every list.
COMMON = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
)
#: The regions of the IANA database's place names (not the old aliases such as "US/Central").
_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def place_zones() -> list[str]:
    """Every zone of a place, the common ones first, then by name."""
    rest = sorted(
        zone
        for zone in available_timezones()
        if zone.split("/")[0] in _REGIONS and zone not in COMMON
    )
    return [*COMMON, *rest]


def time_zone_choices() -> list[SelectChoice]:
    """(zone, "Asia/Shanghai · China (Shanghai) Time") in the viewer's language."""
    return [SelectChoice(zone, label) for zone, label in _choices(str(get_locale() or "en"))]


@lru_cache(maxsize=4)
def _choices(locale: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (zone, f"{zone} · {get_timezone_location(zone, locale=locale)}") for zone in place_zones()
    )
