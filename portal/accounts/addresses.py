"""Postal addresses: what an address of China or of another country must hold, and the one way
an address is printed, on pages and in an order's snapshot.

A Chinese address names one of China's 34 provincial-level divisions (by its Chinese name, as
couriers and the postal service read it), a city and a district, a six-digit postcode and the
recipient's mobile; it prints from the largest unit down (中国 省 市 区, street, then recipient
and mobile, then postcode). Addresses elsewhere print the usual way round: recipient, street,
city with state and postcode, country. Text typed with a Chinese input method (full-width
digits and letters, the ideographic space) reads as its plain form (NFKC). Phone numbers are
parsed and validated with `phonenumbers` and kept in E.164.
"""

import re
import unicodedata
from collections.abc import Mapping

import phonenumbers
from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from pypinyin import lazy_pinyin

from portal.core.errors import ServiceError
from portal.core.phones import valid_e164

CHINA = "CN"

#: China's 34 provincial-level divisions: (Chinese name, English name). Municipalities,
#: provinces, autonomous regions, special administrative regions.
PROVINCES = (
    ("北京市", "Beijing"),
    ("天津市", "Tianjin"),
    ("上海市", "Shanghai"),
    ("重庆市", "Chongqing"),
    ("河北省", "Hebei"),
    ("山西省", "Shanxi"),
    ("辽宁省", "Liaoning"),
    ("吉林省", "Jilin"),
    ("黑龙江省", "Heilongjiang"),
    ("江苏省", "Jiangsu"),
    ("浙江省", "Zhejiang"),
    ("安徽省", "Anhui"),
    ("福建省", "Fujian"),
    ("江西省", "Jiangxi"),
    ("山东省", "Shandong"),
    ("河南省", "Henan"),
    ("湖北省", "Hubei"),
    ("湖南省", "Hunan"),
    ("广东省", "Guangdong"),
    ("海南省", "Hainan"),
    ("四川省", "Sichuan"),
    ("贵州省", "Guizhou"),
    ("云南省", "Yunnan"),
    ("陕西省", "Shaanxi"),
    ("甘肃省", "Gansu"),
    ("青海省", "Qinghai"),
    ("台湾省", "Taiwan"),
    ("内蒙古自治区", "Inner Mongolia"),
    ("广西壮族自治区", "Guangxi"),
    ("西藏自治区", "Xizang (Tibet)"),
    ("宁夏回族自治区", "Ningxia"),
    ("新疆维吾尔自治区", "Xinjiang"),
    ("香港特别行政区", "Hong Kong"),
    ("澳门特别行政区", "Macao"),
)
PROVINCE_NAMES = frozenset(zh for zh, _en in PROVINCES)
#: Divisions with their own postal and telephone systems: no six-digit postcode, and a mobile
#: of their own numbering plan (or the mainland's).
_OWN_NUMBERING = {"香港特别行政区": "HK", "澳门特别行政区": "MO", "台湾省": "TW"}
#: Municipalities are their own city: printed once, not as 上海市上海市.
MUNICIPALITIES = frozenset(("北京市", "天津市", "上海市", "重庆市"))

#: Postcodes by country where we know their form (full match, after NFKC and upper-casing);
#: True where one is required. Elsewhere a postcode is optional and free (at most 20 characters).
POSTCODES = {
    "CN": (re.compile(r"[0-9]{6}"), True),
    "US": (re.compile(r"[0-9]{5}(?:-[0-9]{4})?"), True),
    "DE": (re.compile(r"[0-9]{5}"), True),
    "FR": (re.compile(r"[0-9]{5}"), True),
    "JP": (re.compile(r"[0-9]{3}-?[0-9]{4}"), True),
    "SG": (re.compile(r"[0-9]{6}"), True),
    "GB": (re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}"), True),
    "HK": (re.compile(r""), False),
    "MO": (re.compile(r""), False),
}
#: The fields an address is made of, in the order a form asks for them.
FIELDS = (
    "label",
    "country",
    "recipient_name",
    "recipient_phone",
    "province",
    "city",
    "district",
    "lines",
    "postcode",
)
_LIMITS = {
    "label": 80,
    "recipient_name": 100,
    "recipient_phone": 40,
    "province": 50,
    "city": 100,
    "district": 50,
    "lines": 500,
    "postcode": 20,
}
_REQUIRED_IN_CHINA = ("recipient_name", "recipient_phone", "province", "city", "district")


def countries() -> list[tuple[str, str]]:
    """Two-letter codes of the countries phones and addresses know, with their names in the
    viewer's language; China first, the others in alphabetical order (Chinese names by
    their pinyin, as a Chinese reader looks for them: 阿尔巴尼亚 first, 津巴布韦 near the end)."""
    locale = get_locale() or Locale("en")
    names = locale.territories
    known = sorted(
        ((code, names.get(code, code)) for code in phonenumbers.SUPPORTED_REGIONS),
        key=lambda pair: _alphabetical(pair[1], locale),
    )
    return [(code, name) for code, name in known if code == CHINA] + [
        (code, name) for code, name in known if code != CHINA
    ]


def _alphabetical(name: str, locale: Locale) -> tuple[str, str]:
    """The key that puts `name` in a reader's alphabetical order."""
    spelled = " ".join(lazy_pinyin(name)) if locale.language == "zh" else name
    letters = unicodedata.normalize("NFKD", spelled)
    return "".join(c for c in letters if not unicodedata.combining(c)).casefold(), name


def province_choices() -> list[tuple[str, str]]:
    """The select of provinces: the Chinese name is the value; an English page shows both."""
    locale = get_locale()
    chinese = locale is not None and locale.language == "zh"
    return [(zh, zh if chinese else f"{zh} {en}") for zh, en in PROVINCES]


def plain(text: str | None) -> str:
    """What was typed, as its plain form: full-width digits, letters and punctuation from an
    input method and the ideographic space become ASCII (NFKC); outer spaces go."""
    return unicodedata.normalize("NFKC", text or "").strip()


def normalised(values: Mapping) -> dict:
    """The address's fields as typed, read plainly (NFKC), the country upper-case, a postcode
    upper-case; phones are left as typed (see `checked`)."""
    result = {name: plain(values.get(name)) for name in FIELDS if name in values}
    result["country"] = result.get("country", "").upper()
    result["postcode"] = result.get("postcode", "").upper()
    # Lines keep their breaks; NFKC leaves them, strip only took the outer ones.
    return result


def problems(values: Mapping) -> dict[str, str]:
    """Field -> what is wrong with it, for the address `values` (already `normalised`); empty
    when the address is fine."""
    found: dict[str, str] = {}
    country = values.get("country", "")
    is_china = country == CHINA
    if not values.get("label"):
        found["label"] = _l("Give the address a label, such as Head office.")
    if country not in phonenumbers.SUPPORTED_REGIONS:
        found["country"] = _l("Choose a country.")
    for name, limit in _LIMITS.items():
        if len(values.get(name, "")) > limit:
            found[name] = _l("At most %(count)s characters.", count=limit)
    if not values.get("lines"):
        found["lines"] = _l("Give the street and number.")
    if not values.get("city"):
        found["city"] = _l("Give the city.")
    if is_china:
        found.update(_china_problems(values, found))
    phone = values.get("recipient_phone")
    is_dialable = not phone or _phone(phone, country, values.get("province", "")) is not None
    if "recipient_phone" not in found and not is_dialable:
        found["recipient_phone"] = (
            _l("Give a Chinese mobile number, such as 138 0013 8000.")
            if is_china
            else _l("Give a phone number that can be dialled, with its country code.")
        )
    if "postcode" not in found:
        problem = _postcode_problem(values.get("postcode", ""), country, values.get("province"))
        if problem:
            found["postcode"] = problem
    return found


def _china_problems(values: Mapping, found: Mapping) -> dict[str, str]:
    more: dict[str, str] = {}
    messages = {
        "recipient_name": _l("Give the recipient's name."),
        "recipient_phone": _l("Give the recipient's mobile number."),
        "province": _l("Choose the province."),
        "city": _l("Give the city."),
        "district": _l("Give the district or county."),
    }
    for name in _REQUIRED_IN_CHINA:
        if not values.get(name) and name not in found:
            more[name] = messages[name]
    province = values.get("province")
    if province and province not in PROVINCE_NAMES:
        more["province"] = _l("Choose one of China's provinces, regions or municipalities.")
    return more


def _postcode_problem(postcode: str, country: str, province: str | None):
    if country == CHINA and province in _OWN_NUMBERING:
        return None  # Hong Kong and Macao have no postcodes; Taiwan's are not the mainland's
    pattern, required = POSTCODES.get(country, (None, False))
    if not postcode:
        return _l("Give the postcode.") if required else None
    if pattern is not None and not pattern.fullmatch(postcode):
        if country == CHINA:
            return _l("A Chinese postcode has 6 digits, such as 200120.")
        return _l("This is not a postcode of that country.")
    return None


def _phone(text: str, country: str, province: str = "") -> str | None:
    """`text` as an E.164 number when it is a number people can be called on at that address
    (in China: a mobile), else None."""
    regions = [country] if country in phonenumbers.SUPPORTED_REGIONS else ["ZZ"]
    if country == CHINA and province in _OWN_NUMBERING:
        regions.insert(0, _OWN_NUMBERING[province])
    for region in regions:
        number = valid_e164(text, region, mobile=country == CHINA)
        if number is not None:
            return number
    return None


def checked(values: Mapping) -> dict:
    """The address as it is stored: read plainly, checked (ServiceError naming the first field
    that is wrong), its phone in E.164."""
    values = normalised(values)
    found = problems(values)
    if found:
        field = next(name for name in FIELDS if name in found)
        raise ServiceError(str(found[field]), field=field)
    if values.get("recipient_phone"):
        values["recipient_phone"] = _phone(
            values["recipient_phone"], values["country"], values.get("province", "")
        )
    return values


def snapshot(address) -> dict:
    """The fields of an address (an Address or a mapping) as plain data, for an order to keep."""
    get = address.get if isinstance(address, Mapping) else lambda name: getattr(address, name)
    return {name: get(name) or "" for name in FIELDS}


def printed(address) -> str:
    """The address as it is printed, one line per line: in Chinese order for China, in the
    usual order elsewhere. Takes an Address or a snapshot; fields left empty (addresses from
    before provinces and recipients) are left out."""
    fields = snapshot(address)
    lines = _chinese_lines(fields) if fields["country"] == CHINA else _usual_lines(fields)
    return "\n".join(line for line in lines if line)


def _chinese_lines(fields: dict) -> list[str]:
    province, city = fields["province"], fields["city"]
    region = ["中国", province]
    if city and city != province and not (province in MUNICIPALITIES and city == "市辖区"):
        region.append(city)
    region.append(fields["district"])
    recipient = " ".join(part for part in (fields["recipient_name"], _shown_phone(fields)) if part)
    return [
        " ".join(part for part in region if part),
        fields["lines"],
        recipient,
        fields["postcode"],
    ]


def _usual_lines(fields: dict) -> list[str]:
    city = fields["city"]
    if fields["province"]:
        city = f"{city}, {fields['province']}"
    name = Locale("en").territories.get(fields["country"], fields["country"])
    return [
        fields["recipient_name"],
        fields["lines"],
        " ".join(part for part in (city, fields["postcode"]) if part),
        name.upper(),
        _shown_phone(fields),
    ]


def _shown_phone(fields: dict) -> str:
    """The recipient's phone as dialled at that address: national in China, else international."""
    text = fields["recipient_phone"]
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return text
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if fields["country"] == CHINA and number.country_code == 86
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
