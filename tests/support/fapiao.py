"""Fapiao details and issued fapiao as the tax tests set them up and read them back."""

import sqlalchemy as sa

from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.extensions import db
from portal.tax.fapiao_models import FAPIAO_TYPES, FapiaoDetails, IssuedFapiao

ACME_DETAILS = {
    "invoice_title": "Acme Hospital Group Co., Ltd.",
    "taxpayer_id": "91310115MA1H7GXK26",
    "registered_address": "88 Century Avenue, Pudong New Area, Shanghai",
    "registered_phone": "+86 21 5555 0100",
    "bank_name": "China Merchants Bank, Shanghai Lujiazui Branch",
    "bank_account": "1219 0862 1010 001",
}


def keep_details(account, values=None, *, types=(), by=None) -> FapiaoDetails:
    """The account's details as saved, verified by `by` when given."""
    details = FapiaoDetails(
        account_id=account.id,
        **(values or ACME_DETAILS),
        **{f"is_{t}_allowed": t in types for t in FAPIAO_TYPES},
        verified_at=utcnow() if by else None,
        verified_by_id=by.id if by else None,
    )
    db.session.add(details)
    db.session.commit()
    return details


def details_form(details=None, **changes) -> dict:
    """What the details page posts: the values, and the version shown."""
    data = dict(ACME_DETAILS)
    if details is not None:
        data["version"] = str(details.version)
    data.update(changes)
    return data


def details_now(account_id: int) -> FapiaoDetails | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(FapiaoDetails).where(FapiaoDetails.account_id == account_id))


def issued_now() -> list[IssuedFapiao]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(IssuedFapiao).order_by(IssuedFapiao.id)))


def audit_events(prefix: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.id)
        )
    )
