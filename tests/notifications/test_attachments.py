"""Files that go with an outbox e-mail: made when the e-mail is queued, in its recipient's
language, only for a message that is queued; kept with the message; sent as MIME attachments
after the text and its HTML alternative, to a real SMTP server (aiosmtpd on loopback)."""

import sqlalchemy as sa
from flask_babel import get_locale, lazy_gettext

from portal.extensions import db
from portal.notifications import delivery
from portal.notifications.models import OutboxAttachment
from portal.notifications.services import Attachment, notify, queue_email
from tests import factories


def test_an_attachment_is_made_in_the_recipients_language_and_only_when_queued(app):
    reader = factories.UserFactory(email="wangfang@qingdao.example", locale="zh_Hans")
    made_in = []

    def make():
        made_in.append(str(get_locale()))
        return Attachment("note.txt", "text/plain", str(lazy_gettext("Order")).encode())

    for _ in range(2):  # the second is a repeat (its dedupe key was used): nothing is made
        queue_email(
            reader.email,
            lazy_gettext("Order"),
            "notice",
            dedupe_key="note:1",
            recipient=reader,
            attach=[make, lambda: None],
        )
    db.session.commit()
    assert made_in == ["zh_Hans"]
    [kept] = db.session.scalars(sa.select(OutboxAttachment)).all()
    assert (kept.filename, kept.content_type, kept.content) == (
        "note.txt",
        "text/plain",
        "订单".encode(),
    )


def test_notify_makes_each_recipients_attachment_for_their_e_mail(app):
    english = factories.StaffFactory(email="en@northwind.example", locale="en")
    chinese = factories.StaffFactory(email="zh@northwind.example", locale="zh_Hans")

    def make():
        return Attachment(f"{get_locale()}.txt", "text/plain", b"x")

    notify([english.id, chinese.id], lazy_gettext("Order"), email="notice", attach=[make])
    db.session.commit()
    names = db.session.execute(
        sa.select(OutboxAttachment.filename).order_by(OutboxAttachment.filename)
    ).scalars()
    assert list(names) == ["en.txt", "zh_Hans.txt"]


def test_attachments_go_out_after_the_text_and_its_html_alternative(app, smtp_server):
    message = factories.OutboxMessageFactory(to_address="buyer@acme.example")
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    db.session.add_all(
        [
            OutboxAttachment(
                message=message,
                filename="invoice-NW-1.pdf",
                content_type="application/pdf",
                content=pdf,
            ),
            OutboxAttachment(
                message=message, filename="账单.txt", content_type="text/plain", content=b"a"
            ),
        ]
    )
    db.session.commit()
    assert delivery.deliver_due().sent == 1
    [email] = smtp_server.messages
    assert email.get_content_type() == "multipart/mixed"
    body, first, second = email.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert (first.get_content_type(), first.get_filename()) == (
        "application/pdf",
        "invoice-NW-1.pdf",
    )
    assert first.get_content() == pdf
    assert second.get_filename() == "账单.txt"


def test_a_message_without_attachments_stays_as_it_was(app, smtp_server):
    factories.OutboxMessageFactory(to_address="buyer@acme.example")
    delivery.deliver_due()
    [email] = smtp_server.messages
    assert email.get_content_type() == "multipart/alternative"
