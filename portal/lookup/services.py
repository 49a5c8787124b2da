"""Verbs of the call centre: a lookup and an account view, each written to the audit trail
(SECURITY.md 18) in its own transaction (they answer GET requests, which read without the
write lock until they ask for it: core.db.begin_write)."""

from portal.accounts.models import KeyAccount, User
from portal.core import audit
from portal.core.db import begin_write
from portal.extensions import db
from portal.lookup import queries


def look_up(actor: User, q: str) -> queries.Results:
    """Search for `q` and record who searched for what and how much they found."""
    results = queries.search(q)
    begin_write(db.session)
    audit.record(
        actor,
        "lookup.search",
        "lookup",
        {"query": (None, results.terms.text), "results": (None, results.count)},
    )
    db.session.commit()
    return results


def record_account_view(actor: User, account: KeyAccount, via: str = "") -> None:
    """Record that `actor` opened the account's 360 view (`via`: the lookup hit, if any)."""
    begin_write(db.session)
    audit.record(actor, "account.view", f"account:{account.slug}", reason=via)
    db.session.commit()
