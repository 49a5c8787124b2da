"""Phone numbers: read with Google's libphonenumber (the `phonenumbers` package) for every
country, validated, and keyed in E.164 ("+862155550100") for lookup.

A number is read in a region: what a number without a country code means. A stored number
(a user's phone, an account's hotline) is read in the region of its account (the country of
the account's time zone, `region_of`), else China, the supplier's country (staff, unknown).
What a caller quotes to the call centre is read in China first, then in each region of
`SEARCH_REGIONS`: "(312) 555-0142" is a valid number in Baoding as in Chicago, so lookup
looks for every key the text may be (`phone_keys`), by an exact index.

Where people type a phone number, `phone_number` reads it: full-width digits and punctuation
from Chinese input methods as their plain forms, then a number libphonenumber finds valid,
with an optional extension ("ext. 12", "x12", "转 8001"); anything else is not a phone number.
"""

import re
import unicodedata

import phonenumbers
from babel.core import get_global

#: The supplier's country: numbers without a country code are Chinese unless we know better.
DEFAULT_REGION = "CN"
#: Where a number quoted to the call centre may be from, after China (the foreign accounts'
#: countries); each one is one more exact key to look up.
SEARCH_REGIONS = ("CN", "US", "HK", "TW", "SG", "JP", "KR", "DE", "GB", "FR")
#: Fewer digits than this is not a phone number (an order position, a year...).
MIN_DIGITS = 5
#: Longer text is not a phone number either (E.164 has at most 15 digits, plus separators).
MAX_LENGTH = 40
_NOT_DIGITS = re.compile(r"\D")
_PHONE = re.compile(
    r"(?P<number>\+?[\d\s().\-/]+?)"
    r"(?:\s*(?:ext\.?|x|#|转|分机)\s*(?P<extension>\d{1,6}))?",
    re.IGNORECASE,
)


def plain(text: str | None) -> str:
    """`text` with full-width forms as their plain ones and runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def region_of(time_zone: str | None) -> str:
    """The country of an IANA time zone ("America/Chicago" -> "US"), else DEFAULT_REGION."""
    return get_global("zone_territories").get(time_zone or "", DEFAULT_REGION)


def _parse(text: str | None, region: str) -> tuple[phonenumbers.PhoneNumber | None, str]:
    """(the number `text` is in `region` or None, the extension typed after it)."""
    found = _PHONE.fullmatch(plain(text)[:MAX_LENGTH])
    if found is None or len(_NOT_DIGITS.sub("", found["number"])) < MIN_DIGITS:
        return None, ""
    number = found["number"].strip()
    if number.startswith("00"):  # the international prefix most countries dial
        number = "+" + number[2:]
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None, ""
    return parsed, found["extension"] or ""


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_key(text: str | None, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of the number `text` is in `region` ("" when it is none): what lookup
    finds a stored number by. Lenient (a possible number is enough), as stored numbers may be
    older than validation."""
    number, _ = _parse(text, region)
    if number is None or not phonenumbers.is_possible_number(number):
        return ""
    return _e164(number)


def phone_keys(text: str | None) -> tuple[str, ...]:
    """Every E.164 number a caller may mean by `text`: read in China, then in each of
    SEARCH_REGIONS (an international number is the same in all); () when it is none."""
    keys = []
    for region in SEARCH_REGIONS:
        number, _ = _parse(text, region)
        if number is not None and phonenumbers.is_valid_number(number):
            key = _e164(number)
            if key not in keys:
                keys.append(key)
    return tuple(keys)


def phone_number(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """`text` in plain characters when it is a valid phone number in `region` (or with its
    country code), with an optional extension; None when it is not."""
    number, _ = _parse(text, region)
    if number is None or not phonenumbers.is_valid_number(number):
        return None
    return plain(text)


def valid_e164(text: str | None, region: str, mobile: bool = False) -> str | None:
    """The E.164 form of `text` when it is a valid number in `region` (or with its country
    code), and with `mobile` one that reaches a mobile phone; None otherwise."""
    number, _ = _parse(text, region)
    if number is None or not phonenumbers.is_valid_number(number):
        return None
    if mobile and phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return None
    return _e164(number)


def is_phone_like(text: str) -> bool:
    """Text made of what phone numbers are written with, with enough digits to be one."""
    number, _ = _parse(text, DEFAULT_REGION)
    return number is not None
