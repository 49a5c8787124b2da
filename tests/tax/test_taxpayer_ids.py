"""The unified social credit code (GB 32100-2015): read as people type it, checked by its
check character, refused with a message that says what is wrong."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.tax.taxpayer_ids import (
    CHARSET,
    check_character,
    is_valid_taxpayer_id,
    read_taxpayer_id,
    taxpayer_id_problem,
)


@pytest.fixture(autouse=True)
def _in_a_request(app):
    """Messages are translated: they need a request (English)."""
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    "code",
    [
        "91310115MA1H7GXK26",  # Acme (DESIGN.md section 6)
        "91370200MA3C8QWE4Q",  # Qingdao
        "91110000MA01B2CD3J",  # Initech (demo)
        "91320594MA1MX7PL8H",  # Lotus (demo)
        "911100001000000020",  # a check character 0: the sum is a multiple of 31
    ],
)
def test_valid_codes_pass(code):
    assert taxpayer_id_problem(code) is None
    assert is_valid_taxpayer_id(code)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("91310115MA1H7GXK26", "91310115MA1H7GXK26"),
        ("91310115ma1h7gxk26", "91310115MA1H7GXK26"),
        ("９１３１０１１５ＭＡ１Ｈ７ＧＸＫ２６", "91310115MA1H7GXK26"),
        (" 9131 0115 MA1H 7GXK 26 ", "91310115MA1H7GXK26"),
        ("9131\u30000115-MA1H7GXK26", "91310115MA1H7GXK26"),
        ("", ""),
        (None, ""),
    ],
)
def test_codes_are_read_as_people_type_them(typed, read):
    assert read_taxpayer_id(typed) == read


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("91310115MA1H7GXK27", "The check character (the last one) of 91310115MA1H7GXK27"),
        ("91310115MA1H7GXK2", "has 18 characters; 91310115MA1H7GXK2 has 17"),
        ("91310115MA1H7GXK266", "has 19"),
        ("91310115MI1H7GXK26", "never the letters I, O, Z, S or V; it cannot hold I"),
        ("91310115MA1H7GXO26", "cannot hold O"),
        ("9131011SMA1H7GXK26", "cannot hold S"),
        ("91310115MA1H7GXK2-", "cannot hold -"),
        ("", "Enter the taxpayer number"),
    ],
)
def test_wrong_codes_are_refused_saying_what_is_wrong(code, says):
    problem = taxpayer_id_problem(code)
    assert problem is not None and says in problem
    assert not is_valid_taxpayer_id(code)


def test_the_check_character_follows_the_standard_weights():
    # Sum of value x weight over the first 17 of Acme's code, by hand: 31 - sum mod 31.
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    first = "91310115MA1H7GXK2"
    total = sum(CHARSET.index(c) * w for c, w in zip(first, weights, strict=True))
    assert CHARSET[(31 - total % 31) % 31] == "6" == check_character(first)


codes = st.text(alphabet=CHARSET, min_size=17, max_size=17).map(lambda s: s + check_character(s))


@given(code=codes, position=st.integers(0, 17), other=st.sampled_from(CHARSET))
def test_any_valid_code_with_one_character_changed_is_refused(code, position, other):
    assert is_valid_taxpayer_id(code)
    changed = code[:position] + other + code[position + 1 :]
    if changed != code:
        assert not is_valid_taxpayer_id(changed)
