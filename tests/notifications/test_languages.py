"""Notices and e-mails in their recipient's language and time zone, whoever caused them
(DESIGN.md section 4): the recipient's own language, else their account's default, else
English; buyers their account's time zone, staff their own or the company's. Callers pass
lazy strings, so that each recipient's is translated for them."""

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

import portal
from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage
from portal.notifications.services import later, notify, queue_email, reader_time
from portal.ordering import services as ordering
from portal.ordering.lifecycle import status_label
from tests import factories
from tests.support.catalogue import use_chinese_catalogue
from tests.support.ordering import place
from tests.support.web import login

CHINESE = {
    "Order %(number)s was confirmed.": "订单 %(number)s 已确认。",
    "confirmed": "已确认",
    "Status now:": "当前状态：",
    "Hello %(name)s,": "%(name)s，您好：",
    "Order %(number)s received.": "已收到订单 %(number)s。",
}


@pytest.fixture
def chinese(app, web, tmp_path, monkeypatch):
    use_chinese_catalogue(monkeypatch, [app, web], tmp_path / "translations", CHINESE)


def mails_to(address: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id)
        )
    )


def notices_of(user) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Notice.text).where(Notice.user_id == user.id).order_by(Notice.id)
        )
    )


def test_a_chinese_buyer_gets_the_status_change_in_chinese_from_english_staff(chinese, shop):
    shop.buyer.locale = "zh_Hans"
    inside = factories.StaffFactory(role="inside_sales", email="inside@northwind.example")
    db.session.commit()
    order = place(shop, [("NW-LT14", 1)])
    ordering.confirm_order(inside, order)

    received, confirmed = mails_to("buyer@acme.example")
    assert received.subject == f"已收到订单 {order.number}。"
    assert confirmed.subject == f"订单 {order.number} 已确认。"
    for body in (confirmed.text_body, confirmed.html_body):
        assert "Bea Buyer，您好：" in body
        assert "当前状态：" in body and "已确认" in body
    assert '<html lang="zh-Hans">' in confirmed.html_body
    assert notices_of(shop.buyer)[-1] == f"订单 {order.number} 已确认。"


def test_a_buyer_without_a_setting_reads_their_accounts_default_language(chinese, shop):
    shop.account.default_locale = "zh_Hans"
    db.session.commit()
    order = place(shop, [("NW-LT14", 1)])
    [mail] = mails_to("buyer@acme.example")
    assert mail.subject == f"已收到订单 {order.number}。"


def test_a_buyer_who_signed_in_from_a_chinese_browser_gets_chinese_mail(chinese, web, shop):
    """With no language of their own, e-mails follow the browser they last signed in from."""
    client = web.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9,en;q=0.8"
    assert login(client, "buyer@acme.example").status_code == 302
    db.session.expire_all()
    order = place(shop, [("NW-LT14", 1)])
    [mail] = mails_to("buyer@acme.example")
    assert mail.subject == f"已收到订单 {order.number}。"


def test_the_language_switched_to_before_signing_in_is_the_one_mail_follows(chinese, web, shop):
    client = web.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    client.post("/language", data={"locale": "zh_Hans", "next": "/login"})
    assert login(client, "buyer@acme.example").status_code == 302
    db.session.expire_all()
    order = place(shop, [("NW-LT14", 1)])
    [mail] = mails_to("buyer@acme.example")
    assert mail.subject == f"已收到订单 {order.number}。"


def test_an_english_browser_at_sign_in_keeps_mail_english(chinese, web, shop):
    client = web.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    assert login(client, "buyer@acme.example").status_code == 302
    db.session.expire_all()
    order = place(shop, [("NW-LT14", 1)])
    [mail] = mails_to("buyer@acme.example")
    assert mail.subject == f"Order {order.number} received."


def test_two_recipients_of_one_event_each_read_it_in_their_own_language(chinese):
    account = factories.AccountFactory(slug="acme")
    wang = factories.UserFactory(account=account, email="wang@acme.example", locale="zh_Hans")
    smith = factories.UserFactory(account=account, email="smith@acme.example", name="Sam Smith")
    db.session.commit()
    notify(
        [wang.id, smith.id],
        _l("Order %(number)s was confirmed.", number="ACME-0001"),
        "/a/acme/orders/ACME-0001",
        email="order_status",
        number="ACME-0001",
        status=later(status_label, "confirmed"),
        total="CNY 7,650.00",
    )
    db.session.commit()
    [chinese_mail] = mails_to("wang@acme.example")
    [english_mail] = mails_to("smith@acme.example")
    assert chinese_mail.subject == "订单 ACME-0001 已确认。"
    assert "当前状态：已确认" in chinese_mail.text_body
    assert english_mail.subject == "Order ACME-0001 was confirmed."
    assert "Status now: confirmed" in english_mail.text_body
    assert "Hello Sam Smith," in english_mail.text_body
    assert notices_of(wang) == ["订单 ACME-0001 已确认。"]
    assert notices_of(smith) == ["Order ACME-0001 was confirmed."]


def test_each_recipient_reads_times_in_their_own_time_zone():
    shanghai = factories.AccountFactory(slug="acme", time_zone="Asia/Shanghai")
    buyer = factories.UserFactory(account=shanghai, email="buyer@acme.example")
    berliner = factories.StaffFactory(email="berlin@northwind.example", time_zone="Europe/Berlin")
    company = factories.StaffFactory(email="company@northwind.example")  # the company's zone
    db.session.commit()
    at = datetime(2026, 12, 5, 0, 30, tzinfo=UTC)
    notify(
        [buyer.id, berliner.id, company.id],
        _l("Due at %(time)s", time=later(format_datetime, at, "HH:mm")),
    )
    assert notices_of(buyer) == ["Due at 08:30"]
    assert notices_of(berliner) == ["Due at 01:30"]
    assert notices_of(company) == ["Due at 08:30"]  # COMPANY_TIME_ZONE, Asia/Shanghai


def test_a_plain_string_is_refused_it_would_reach_everyone_in_one_language():
    user = factories.UserFactory(account=factories.AccountFactory(slug="acme"))
    with pytest.raises(TypeError, match="lazy"):
        notify([user.id], "Order 1 was confirmed.")
    with pytest.raises(TypeError, match="lazy"):
        queue_email("someone@acme.example", "Hello", "notice")


# No caller translates a notice's words for the person who caused it

SENDERS = {"notify": 1, "queue_email": 1}  # the position of the text or subject
EAGER = {"_", "gettext", "ngettext", "format_money", "format_date", "status_label"}


def eager_arguments(path: Path) -> list[str]:
    """Calls of notify/queue_email in `path` whose text is a plain string, an f-string, or an
    eager gettext call."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        position = SENDERS.get(node.func.id)
        if position is None or len(node.args) <= position:
            continue
        text = node.args[position]
        eager = isinstance(text, ast.Constant | ast.JoinedStr) or (
            isinstance(text, ast.Call) and isinstance(text.func, ast.Name) and text.func.id in EAGER
        )
        eager = eager or any(
            isinstance(keyword.value, ast.Call)
            and isinstance(keyword.value.func, ast.Name)
            and keyword.value.func.id in EAGER
            for keyword in node.keywords
        )
        if eager:
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_caller_passes_words_translated_for_the_sender():
    package = Path(portal.__file__).parent
    found = [hit for path in package.rglob("*.py") for hit in eager_arguments(path)]
    assert found == []


def test_the_check_of_callers_can_fail(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "notify([1], _('Hello'))\n"
        "notify([1], f'Hello {name}')\n"
        "notify([1], _l('Hello'), status=status_label('confirmed'))\n"
        "queue_email('a@b.example', 'Hi', 'notice')\n"
        "notify([1], _l('Hello'), total=later(format_money, 1, 'CNY'))\n"
    )
    assert eager_arguments(sample) == ["sample.py:1", "sample.py:2", "sample.py:3", "sample.py:4"]


def test_a_moment_in_an_email_is_in_the_readers_time_zone_and_says_which():
    berliner = factories.StaffFactory(email="berlin@northwind.example", time_zone="Europe/Berlin")
    db.session.commit()
    notify(
        [berliner.id],
        _l("Due at %(time)s", time=reader_time(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))),
    )
    assert notices_of(berliner) == ["Due at 5 Dec 2026, 10:00 (Europe/Berlin)"]
