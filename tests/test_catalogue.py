"""Every string a person reads comes from the message catalogue, and the Chinese catalogue has
them all (issue 14).

The pseudo-locale walk: with a catalogue that turns every message's letters into look-alikes
outside ASCII (tests/support/catalogue.py), each role opens every page it may open, and sends
every form it may send empty; whatever ASCII words are left on the page, once the data shown
from the database, e-mail addresses, links, codes and zone names are taken away, escaped the
catalogue.
"""

import html
import re

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from babel.numbers import list_currencies

from portal.accounts.models import User
from portal.core.locales import LANGUAGE_NAMES
from portal.core.permissions import ROLES
from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage
from portal.ordering import services as ordering
from tests import factories
from tests.support.access import PUBLIC, build_url, declared_access, rules
from tests.support.catalogue import (
    ROOT,
    extracted_messages,
    pseudo,
    read_text,
    write_pseudo_catalogue,
)
from tests.support.ordering import place
from tests.support.web import login

PSEUDO_LOCALE = "zh_Hans"
CHINESE = ROOT / "portal" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"

#: Text on a page that is not words of the portal's own: what people typed or the data holds
#: is taken away separately (`data_values`).
NOT_WORDS = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|(?:https?://|/)[^\s\"'<>]*"  # links and paths
    r"|\b[A-Z][a-z]+/[A-Za-z_-]+(?:/[A-Za-z_-]+)?"  # IANA time zones (Asia/Shanghai)
    r"|\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b"  # codes: SKUs, order and invoice numbers (NW-LT14)
    r"|\b[a-z_]+:[\w-]*"  # what the audit trail names: contract:1, account:acme
    r"|\b(?:kap|whsec)_[\w-]+"  # API tokens' and webhook secrets' first characters
    r"|\b(?:US|HK|NT)\$"  # currency symbols as Babel writes them
    rf"|\b(?:{'|'.join(list_currencies())})\b"  # ISO currency codes (CNY 17,339.15)
)
WORD = re.compile(r"[A-Za-z]{2,}")
#: What a code looks like: "in_progress", "gold", "price_rule.update".
CODE = re.compile(r"[a-z][a-z0-9_.]*")


class DataPattern:
    """The values, and the pattern that finds them."""

    def __init__(self, pattern: re.Pattern, values):
        self.pattern, self.values = pattern, set(values)

    def sub(self, replacement: str, text: str) -> str:
        return self.pattern.sub(replacement, text)


#: Tables whose text the portal writes from the catalogue (e-mails, notices): what they hold is
#: under test in the e-mail test, not data to take away (pages show factory-made ones as data).
WRITTEN_BY_THE_PORTAL = {OutboxMessage.__tablename__, Notice.__tablename__}


def data_values(
    app, before: "DataPattern | None" = None, leave_out: set[str] = frozenset()
) -> "DataPattern":
    """Every text value in the database (names, SKUs, notes...) and the settings (the
    supplier's name), as whole words, the longest first; with `before`, also the values it
    had (a page may still show what a form has since deleted, an order's snapshot)."""
    values = {v for v in app.config.values() if isinstance(v, str)}
    values.update(getattr(before, "values", ()))
    values.update(LANGUAGE_NAMES.values())  # the language switch names each in itself
    for table in db.metadata.sorted_tables:
        if table.name in leave_out:
            continue
        for column in table.columns:
            if isinstance(column.type, sa.String | sa.Text):
                values.update(db.session.scalars(sa.select(column).distinct()))
    for value in list(values):
        values.update((value or "").splitlines())  # an address's lines, shown one by one
    # Codes the database keeps (a status, a tier, a role) are not data: a page shows their
    # labels, which come from the catalogue.
    values = sorted(
        {v.strip() for v in values if v and len(v.strip()) > 1 and not CODE.fullmatch(v)}, key=len
    )
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(v)}(?!\w)" for v in reversed(values)))
    return DataPattern(pattern, values)


def escaped_words(html: str, data) -> list[str]:
    """The texts of a page that hold ASCII words from outside the catalogue."""
    escaped = []
    for text in read_text(html):
        text = NOT_WORDS.sub(" ", data.sub(" ", text))
        if WORD.search(text):
            escaped.append(" ".join(text.split()))
    return escaped


@pytest.fixture
def pseudo_locale(app, tmp_path):
    """The app speaks the pseudo locale to a browser that asks for Chinese."""
    write_pseudo_catalogue(tmp_path, PSEUDO_LOCALE)
    babel = app.extensions["babel"]
    saved = babel.translation_directories, app.config["LANGUAGES"]
    babel.translation_directories = [str(tmp_path)]
    app.config["LANGUAGES"] = ["en", PSEUDO_LOCALE]
    babel.instance.domain_instance.cache.clear()
    yield {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
    babel.translation_directories, app.config["LANGUAGES"] = saved
    babel.instance.domain_instance.cache.clear()


def test_the_pseudo_form_keeps_placeholders_and_markup():
    assert pseudo("Save %(name)s <b>now</b> &amp; {x}") == "Šàṽé %(name)s <b>ñöŵ</b> &amp; {x}"


def test_escaped_words_finds_a_string_outside_the_catalogue():
    page = "<p>Šàṽé</p><p>Acme Ltd</p><button title='Close'>×</button><p>NW-LT14 a@b.example</p>"
    page += "<p>Àçĉéþţ en</p><code>sku,qty</code>"
    assert escaped_words(page, re.compile("Acme Ltd|en")) == ["Close"]


def test_every_page_of_every_role_speaks_the_catalogue(app, client, world, pseudo_locale):
    client.environ_base.update(pseudo_locale)
    data = data_values(app)
    found = {}
    urls = [(rule.endpoint, build_url(app, rule, world)) for rule in rules(app, "GET")]
    for role in [None, *ROLES]:
        if role is not None:
            assert login(client, world["users"][role].email).status_code == 302
        for endpoint, url in urls:
            access = declared_access(app, endpoint)
            if access != PUBLIC and (role is None or role not in access):
                continue
            response = client.get(url)
            assert response.status_code < 500, f"{role} {url}"
            if response.mimetype != "text/html" or response.status_code in (301, 302, 303):
                continue
            for text in escaped_words(response.get_data(as_text=True), data):
                found.setdefault(text, f"{role} {url}")
        if role is not None:
            client.post("/logout")
    assert found == {}, "\n".join(f"{where}: {text!r}" for text, where in found.items())


def test_every_form_error_and_message_speaks_the_catalogue(app, client, world, pseudo_locale):
    client.environ_base.update(pseudo_locale)
    data = data_values(app)
    found = {}
    urls = [(rule.endpoint, build_url(app, rule, world)) for rule in rules(app, "POST")]
    for role in ROLES:
        for endpoint, url in urls:
            access = declared_access(app, endpoint)
            if endpoint in ("auth.logout",) or access != PUBLIC and role not in access:
                continue
            assert login(client, world["users"][role].email).status_code == 302
            response = client.post(url, data={}, follow_redirects=True)
            assert response.status_code < 500, f"{role} POST {url}"
            if response.mimetype == "text/html":
                page = response.get_data(as_text=True)
                if escaped_words(page, data):  # or what the form just stored: data too
                    data = data_values(app, before=data)
                for text in escaped_words(page, data):
                    found.setdefault(text, f"{role} POST {url}")
            client.post("/logout")
    assert found == {}, "\n".join(f"{where}: {text!r}" for text, where in found.items())


def test_every_message_has_a_chinese_translation():
    with open(CHINESE, "rb") as file:
        chinese = read_po(file)
    missing = []
    for filename, line, message in extracted_messages():
        key = message[0] if isinstance(message, tuple) else message
        entry = chinese.get(key)
        strings = () if entry is None else entry.string
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{filename}:{line}: {key}")
    assert missing == []


def test_the_emails_plain_text_parts_are_extracted_too():
    """The plain-text part of every e-mail is a template of its own: `make messages` and the
    missing-translation test read it (its "Open it in the portal:" was never extracted)."""
    extracted = {filename for filename, _line, _message in extracted_messages()}
    assert "templates/email/_layout.txt" in extracted
    assert "[jinja2: templates/**.txt]" in (ROOT / "babel.cfg").read_text().splitlines()


def test_a_hotline_requests_open_status_shares_its_message_with_nothing_else():
    """ "Open" was also the remittance form's column of amounts still unpaid, and a message has
    one translation: the hotline queue called open requests 未付金额 (unpaid amount)."""
    places = {filename for filename, _line, message in extracted_messages() if message == "Open"}
    assert places == {"portal/hotline/forms.py"}


def test_an_accounts_active_stage_is_not_a_users_active_status():
    """The 360's stage "active" (ordering) shared its message with a user's status "active"
    (enabled), and the 360 called an ordering account 已启用 (enabled)."""
    places = {filename for filename, _line, message in extracted_messages() if message == "active"}
    assert "templates/lookup/account.html" not in places


def test_the_chinese_translations_keep_their_placeholders():
    with open(CHINESE, "rb") as file:
        chinese = read_po(file)
    errors = [f"{message.id}: {error}" for message, found in chinese.check() for error in found]
    assert errors == []


def test_every_email_and_notice_speaks_the_recipients_catalogue(app, shop, pseudo_locale):
    """Chinese-reading recipients of an order's life get every subject, body and notice from
    the catalogue, whoever acted (the actors here read English)."""
    with factories.committed_once():
        inside = factories.StaffFactory(role="inside_sales", email="inside@northwind.example")
        finance = factories.StaffFactory(role="finance", email="finance@northwind.example")
    readers = db.session.scalars(sa.select(User).where(User.account_id == shop.account.id))
    for reader in readers:
        reader.locale = PSEUDO_LOCALE
    db.session.commit()
    waiting = place(shop, [("NW-LT14", 10)])  # over the buyer's limit: the approver is asked
    order = place(shop, [("NW-LT14", 1)])
    ordering.confirm_order(inside, order)
    ordering.hold_order(inside, order, "Checking the delivery address")
    ordering.resume_order(inside, order)
    ordering.release_order(finance, order)
    ordering.ship_order(inside, order, "SF Express", "SF1234567890")
    ordering.deliver_order(inside, order)
    data = data_values(app, leave_out=WRITTEN_BY_THE_PORTAL)
    messages = list(db.session.scalars(sa.select(OutboxMessage)))
    notices = list(db.session.scalars(sa.select(Notice)))
    assert {m.to_address for m in messages} >= {"buyer@acme.example", "approver@acme.example"}
    assert waiting.number in " ".join(m.subject for m in messages)
    found = {}
    for message in messages:
        for part in (message.subject, message.text_body):
            for text in escaped_words(f"<p>{html.escape(part)}</p>", data):
                found.setdefault(text, message.to_address)
        for text in escaped_words(message.html_body, data):
            found.setdefault(text, message.to_address)
    for notice in notices:
        for text in escaped_words(f"<p>{html.escape(notice.text)}</p>", data):
            found.setdefault(text, "notice")
    assert found == {}, "\n".join(f"{where}: {text!r}" for text, where in found.items())
