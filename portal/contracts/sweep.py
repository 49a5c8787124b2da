"""The contract expiry sweep: the account's reps (inside sales, backup, field sales) hear of an
active contract ending within CONTRACT_ENDING_DAYS days, once per contract and end date.

Run by the worker with the other periodic sweeps. The outbox e-mails' dedupe keys record who
was told; a contract extended to a new end date is announced again when that date nears.
"""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.accounts.models import KeyAccount
from portal.accounts.queries import active_user_ids
from portal.contracts.models import Contract
from portal.core.dates import format_day
from portal.core.db import begin_write, utcnow
from portal.extensions import db
from portal.notifications.queries import dedupe_keys_used
from portal.notifications.services import later, notify

#: How many days before its end the reps hear of a contract ending.
CONTRACT_ENDING_DAYS = 30


def sweep_contract_expiry(today: date | None = None) -> str:
    """Tell the reps of each account whose active contract ends within the next
    CONTRACT_ENDING_DAYS days (in the account's time zone, or on `today` when given).
    Commits; returns a summary line; running it again changes nothing."""
    begin_write(db.session)
    # A day of slack for time zones; each account's own today is checked below.
    anchor = today or utcnow().date()
    rows = db.session.execute(
        sa.select(
            Contract.id,
            Contract.number,
            Contract.valid_to,
            KeyAccount.slug,
            KeyAccount.name,
            KeyAccount.time_zone,
            KeyAccount.inside_sales_rep_id,
            KeyAccount.backup_rep_id,
            KeyAccount.field_sales_rep_id,
        )
        .join(KeyAccount, KeyAccount.id == Contract.account_id)
        .where(
            Contract.status == "active",
            Contract.valid_to >= anchor - timedelta(days=1),
            Contract.valid_to <= anchor + timedelta(days=CONTRACT_ENDING_DAYS + 1),
        )
        .order_by(Contract.valid_to, Contract.number)
    ).all()
    ending = []
    for row in rows:
        local_today = today or utcnow().astimezone(ZoneInfo(row.time_zone)).date()
        if local_today <= row.valid_to <= local_today + timedelta(days=CONTRACT_ENDING_DAYS):
            ending.append((row, (row.valid_to - local_today).days))
    reps = active_user_ids(
        {r for row, _days in ending for r in _reps(row)},
    )
    told = dedupe_keys_used(f"{_key(row)}:{r}" for row, _days in ending for r in _reps(row))
    contracts = notices = 0
    for row, days_left in ending:
        key = _key(row)
        recipients = [r for r in _reps(row) if r in reps]
        if not recipients or any(k.startswith(key + ":") for k in told):
            continue
        valid_to = later(format_day, row.valid_to)
        notify(
            recipients,
            _l(
                "Contract %(number)s of %(account)s ends on %(date)s.",
                number=row.number,
                account=row.name,
                date=valid_to,
            ),
            f"/staff/contracts/{row.id}",
            email="contract_ending",
            dedupe_key=key,
            account_name=row.name,
            contract_number=row.number,
            valid_to=valid_to,
            days_left=days_left,
        )
        contracts += 1
        notices += len(recipients)
    db.session.commit()
    return f"Contracts ending: {contracts} contracts announced, {notices} notices."


def _key(row) -> str:
    return f"contract-ending:{row.id}:{row.valid_to.isoformat()}"


def _reps(row) -> list[int]:
    ids = (row.inside_sales_rep_id, row.backup_rep_id, row.field_sales_rep_id)
    return list(dict.fromkeys(i for i in ids if i is not None))
