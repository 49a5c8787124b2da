"""The taxpayer identification number of a Chinese company: its unified social credit code
(统一社会信用代码, GB 32100-2015), 18 characters whose last is a check character over the first
17. Read as people type it (full-width, lower case, with spaces: core.inputs), checked here and
nowhere else."""

import re

from flask_babel import gettext as _

from portal.core.inputs import plain_width

#: The code's alphabet: digits and capital letters without I, O, Z, S and V. A character's
#: value is its place in this string.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: The weight of each of the first 17 characters (3^i mod 31).
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
#: Letters the alphabet leaves out (they read like 1, 0, 2, 5 and U).
LEFT_OUT = "IOZSV"

_SPACES = re.compile(r"[\s\-]+")


def read_taxpayer_id(text: str | None) -> str:
    """The code as stored: plain width, upper case, without the spaces and hyphens people put
    between its groups (`９１３１ 0115-ma1h7gxk26` is `91310115MA1H7GXK26`)."""
    return _SPACES.sub("", plain_width(text or "")).upper()


def check_character(first_17: str) -> str:
    """The check character of a code's first 17 characters (all in CHARSET)."""
    total = sum(CHARSET.index(c) * w for c, w in zip(first_17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def taxpayer_id_problem(code: str) -> str | None:
    """What is wrong with `code` (as read by `read_taxpayer_id`), in words, or None."""
    if not code:
        return _("Enter the taxpayer number: the 18-character unified social credit code.")
    wrong = sorted(set(code) - set(CHARSET))
    if wrong:
        return _(
            "A unified social credit code has only digits and capital letters, and never the "
            "letters I, O, Z, S or V; it cannot hold %(characters)s.",
            characters=" ".join(wrong),
        )
    if len(code) != LENGTH:
        return _(
            "A unified social credit code has 18 characters; %(code)s has %(count)s.",
            code=code,
            count=len(code),
        )
    if check_character(code[:-1]) != code[-1]:
        return _(
            "The check character (the last one) of %(code)s does not match the 17 before it: "
            "a character is mistyped. Copy the code from the business licence.",
            code=code,
        )
    return None


def is_valid_taxpayer_id(code: str) -> bool:
    return taxpayer_id_problem(code) is None
