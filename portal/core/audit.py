"""The audit trail: who changed what, when, from which value to which."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db


class AuditEvent(db.Model):
    """One change or sensitive read, written in the same transaction as what it records."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The staff or buyer-side user who acted; NULL for the system.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: A verb such as "account.update" or "user.create".
    action: Mapped[str] = mapped_column(sa.String(60))
    #: What was acted on, such as "account:acme" or "user:17".
    target: Mapped[str] = mapped_column(sa.String(120), index=True)
    #: {field: [old, new]} as strings.
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Why, in the actor's words (price changes require one).
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    actor = relationship("User", lazy="raise")


#: What each action is called on the audit pages; an action missing here shows as its code.
ACTION_LABELS = {
    "account.create": _l("Account created"),
    "account.update": _l("Account changed"),
    "account.credit_hold": _l("Credit hold changed"),
    "account.view": _l("Account viewed"),
    "api_token.issue": _l("API token issued"),
    "api_token.revoke": _l("API token revoked"),
    "address.create": _l("Address added"),
    "address.update": _l("Address changed"),
    "address.delete": _l("Address removed"),
    "catalog.import": _l("Catalog imported"),
    "contract.create": _l("Contract created"),
    "contract.update": _l("Contract changed"),
    "lead.update": _l("Lead changed"),
    "lead.create": _l("Lead entered"),
    "lead.assign": _l("Lead assigned"),
    "visit.plan": _l("Visit planned"),
    "visit.update": _l("Visit changed"),
    "visit.log": _l("Visit logged"),
    "visit.cancel": _l("Visit cancelled"),
    "lookup.search": _l("Lookup searched"),
    "webhook.create": _l("Webhook endpoint added"),
    "webhook.update": _l("Webhook endpoint changed"),
    "webhook.roll_secret": _l("Webhook secret rolled"),
    "webhook.delete": _l("Webhook endpoint deleted"),
    "webhook.test": _l("Webhook test event sent"),
    "webhook.redeliver": _l("Webhook delivery queued again"),
    "order.approve": _l("Order approved"),
    "order.reject": _l("Order rejected"),
    "order.place": _l("Order placed"),
    "order.letter_of_credit": _l("Letter of credit registered"),
    "order.letter_of_credit_amended": _l("Letter of credit amended"),
    "order.letter_of_credit_voided": _l("Letter of credit voided"),
    "order_list.create": _l("Order list created"),
    "order_list.edit": _l("Order list changed"),
    "order_list.delete": _l("Order list deleted"),
    "platinum.joined": _l("Joined platinum"),
    "platinum.left": _l("Left platinum"),
    "platinum.override": _l("Platinum overridden"),
    "platinum.override_end": _l("Platinum override ended"),
    "payment.bank_transfer": _l("Bank transfer recorded"),
    "payment.card": _l("Card payment"),
    "payment.card_flagged": _l("Card payment flagged"),
    "payment.card_refunded": _l("Card payment refunded"),
    "payment.card_removed": _l("Saved card removed"),
    "payment.card_saved": _l("Card saved"),
    "payment.refund_owed": _l("Refund owed"),
    "payment.refund_sent": _l("Refund sent"),
    "payment_term.create": _l("Payment term created"),
    "payment_term.update": _l("Payment term changed"),
    "price_rule.create": _l("Price rule added"),
    "price_rule.propose": _l("Price rule proposed"),
    "price_rule.update": _l("Price rule changed"),
    "price_rule.approve": _l("Price proposal approved"),
    "price_rule.reject": _l("Price proposal rejected"),
    "price_rule.remove": _l("Price rule removed"),
    "product.create": _l("Product created"),
    "product.update": _l("Product changed"),
    "quote.lost": _l("Quote marked lost"),
    "quote.price_approve": _l("Quote price approved"),
    "quote.price_reject": _l("Quote price not approved"),
    "quote.sign_off": _l("Quote signed off"),
    "sample.update": _l("Evaluation unit changed"),
    "spend_estimate.create": _l("Spend estimate entered"),
    "stage_rules.update": _l("Stage rules changed"),
    "team.create": _l("Team added"),
    "team.update": _l("Team changed"),
    "user.availability": _l("Availability changed"),
    "user.create": _l("User added"),
    "user.update": _l("User changed"),
    "user.deactivate": _l("User deactivated"),
    "user.reactivate": _l("User reactivated"),
    "user.set_password": _l("Password link sent"),
    "user.password_set": _l("Password set from an invitation"),
    "user.password_reset": _l("Password reset"),
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def record(actor, action: str, target: str, changes: dict | None = None, reason: str = "") -> None:
    """Add an audit event to the current transaction (the caller commits)."""
    db.session.add(
        AuditEvent(
            actor_id=getattr(actor, "id", None),
            action=action,
            target=target,
            changes={k: [_text(old), _text(new)] for k, (old, new) in (changes or {}).items()},
            reason=reason,
        )
    )


def diff(obj, values: dict) -> dict:
    """Set `values` on `obj` and return {field: (old, new)} for the fields that changed."""
    changes = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = (old, new)
            setattr(obj, name, new)
    return changes


def _text(value) -> str | None:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"  # 5.0000 and 5 are the same amount
    return None if value is None else str(value)
