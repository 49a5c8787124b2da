"""The message catalogue as the code has it: the messages extracted from the source (as
`make messages` does, babel.cfg), a pseudo-locale catalogue made from them, the text of a
page that a person reads; and small Chinese catalogues that tests bring (the project's own is
filled by translators)."""

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo

from portal.extensions import babel

ROOT = Path(__file__).parent.parent.parent
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def extracted_messages():
    """(filename, line, message) for every message in the source; an ngettext message is a
    (singular, plural) tuple."""
    method_map = [
        ("portal/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),  # the e-mails' plain-text parts
    ]
    jinja = {"extensions": "jinja2.ext.i18n"}
    options = {"templates/**.html": jinja, "templates/**.txt": jinja}
    for filename, line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map=options, keywords=KEYWORDS
    ):
        yield filename, line, message


#: What a translation must keep as it is: placeholders, markup and entities.
_KEPT = re.compile(r"(%\([^)]*\)[sdifr]|%[sdif%]|<[^>]*>|&#?\w+;|\{[^}]*\})")
#: ASCII letters and their pseudo-locale look-alikes (outside ASCII, so a check can tell them).
_PSEUDO = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àƀçđéƒĝĥîĵķĺɱñöþǫŕšţûṽŵẋýžÀƁÇĐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)


def pseudo(text: str) -> str:
    """`text` with its letters swapped for look-alikes outside ASCII, placeholders and markup
    kept: "Save %(name)s" -> "Šàṽé %(name)s"."""
    return "".join(
        part if _KEPT.fullmatch(part) else part.translate(_PSEUDO) for part in _KEPT.split(text)
    )


def write_pseudo_catalogue(directory: Path, locale: str) -> None:
    """A compiled catalogue for `locale` under `directory` that translates every message of
    the source to its pseudo form."""
    catalog = Catalog(locale=locale)
    for _filename, _line, message in extracted_messages():
        if isinstance(message, tuple):
            singular, plural = message[0], message[1]
            catalog.add((singular, plural), (pseudo(plural),))
        elif message:
            catalog.add(message, pseudo(message))
    target = directory / locale / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with open(target / "messages.mo", "wb") as file:
        write_mo(file, catalog)


class ReadText(HTMLParser):
    """The text of a page a person reads: text nodes (not scripts or styles) and the attributes
    shown to people."""

    SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label"}
    #: Not read, or machine text shown as such (a CSV header in an example).
    UNREAD = {"script", "style", "template", "code", "pre", "kbd", "samp"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.UNREAD:
            self._skipping += 1
        attrs = dict(attrs)
        for name in self.SHOWN_ATTRIBUTES & attrs.keys():
            self.texts.append(attrs[name] or "")
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset"):
            self.texts.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag in self.UNREAD and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.texts.append(data)


def read_text(html: str) -> list[str]:
    parser = ReadText()
    parser.feed(html)
    parser.close()
    return parser.texts


def use_chinese_catalogue(monkeypatch, apps, directory: Path, messages: dict[str, str]) -> None:
    """Compile `messages` (msgid -> Chinese) into `directory` and make `apps` translate from it
    alone until the test ends (monkeypatch undoes it; translations are cached per language, so
    the cache is emptied for the test too)."""
    folder = directory / "zh_Hans" / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(locale="zh_Hans")
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    with open(folder / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)
    for app in apps:
        monkeypatch.setattr(app.extensions["babel"], "translation_directories", [str(directory)])
    monkeypatch.setattr(babel.domain_instance, "cache", {})
