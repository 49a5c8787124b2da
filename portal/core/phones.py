"""Phone numbers as search keys: the same number typed any way gives the same digits.

The rule (the supplier is in China, so a number without a country code is Chinese):

1. keep the digits only (spaces, dashes, dots, brackets and the "+" go);
2. an international prefix goes: "+" or "00" before the country code, and the country code
   86 itself, so "+86 21 5555-0100" and "0086 21 5555 0100" become "2155550100";
   other country codes stay: "+1 312 555 0142" becomes "13125550142";
3. without a "+" or "00", digits that start with 86 and are 12 or 13 long are taken as
   86 plus a national number (what "+86" becomes when the "+" is forgotten);
4. the national trunk prefix "0" goes: "021-5555 0100" and "+86 (0)21 5555 0100" become
   "2155550100".

So "+86 21 5555-0100", "021-5555 0100" and "2155550100" all give "2155550100". Text with
fewer than 5 digits gives "" (not a phone number).

Where people type a phone number, `phone_number` reads it: full-width digits and punctuation
from Chinese input methods as their plain forms, then digits with the usual separators, an
optional leading "+" and an optional extension ("ext. 12", "x12", "转 8001"); anything else
is not a phone number.
"""

import re
import unicodedata

MIN_DIGITS = 5
CHINA = "86"
_NOT_DIGITS = re.compile(r"\D")
#: At most 15 digits (E.164), not counting an extension.
MAX_DIGITS = 15
_PHONE = re.compile(
    r"(?P<number>\+?[\d\s().\-/]+?)"
    r"(?:\s*(?:ext\.?|x|#|转|分机)\s*(?P<extension>\d{1,6}))?",
    re.IGNORECASE,
)


def phone_key(text: str | None) -> str:
    """The digits `text` is found by (see the module docstring); "" when it has too few."""
    text = (text or "").strip()
    digits = _NOT_DIGITS.sub("", text)
    international = text.startswith("+") or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    if international:
        if digits.startswith(CHINA):
            digits = digits[len(CHINA) :]
    elif digits.startswith(CHINA) and len(digits) in (12, 13):
        digits = digits[len(CHINA) :]
    digits = digits.lstrip("0")  # the trunk prefix, also as in "+86 (0)21 ..."
    return digits if len(digits) >= MIN_DIGITS else ""


def phone_number(text: str | None) -> str | None:
    """`text` in plain characters, stripped, when it is a phone number; None when it is not."""
    plain = " ".join(unicodedata.normalize("NFKC", text or "").split())
    found = _PHONE.fullmatch(plain)
    if found is None:
        return None
    digits = _NOT_DIGITS.sub("", found["number"])
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS or not phone_key(found["number"]):
        return None
    return plain
