"""An account's PunchOut connections, kept by staff: the procurement system's credential, the
user its sessions and orders go under, and the shared secret, generated here, shown once and
kept only as a SHA-256 hash; made anew on request, the old one then stops working."""

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.accounts.models import KeyAccount, User
from portal.api.models import PunchoutConnection
from portal.core import audit
from portal.core import db as core_db
from portal.core.errors import ServiceError
from portal.core.inputs import plain_width
from portal.extensions import db

#: Credential domains and identities as the customer's procurement system writes them.
MAX_DOMAIN, MAX_IDENTITY, MAX_NAME = 100, 200, 100


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ConnectionValues:
    name: str
    domain: str
    identity: str
    default_user_id: int


def connections_of(account: KeyAccount) -> list[PunchoutConnection]:
    return list(
        db.session.scalars(
            sa.select(PunchoutConnection)
            .where(PunchoutConnection.account_id == account.id)
            .options(joinedload(PunchoutConnection.default_user))
            .order_by(PunchoutConnection.id)
        )
    )


def connection_of_account_or_none(account: KeyAccount, connection_id: int):
    return db.session.scalar(
        sa.select(PunchoutConnection).where(
            PunchoutConnection.id == connection_id, PunchoutConnection.account_id == account.id
        )
    )


def create_connection(
    actor: User, account: KeyAccount, values: ConnectionValues
) -> tuple[PunchoutConnection, str]:
    """A new connection and its shared secret, which is returned this once and never again."""
    domain, identity = _checked_credential(values)
    user = _checked_default_user(account, values.default_user_id)
    if _credential_taken(domain, identity):
        raise ServiceError(
            _("Another connection already uses this domain and identity."), field="identity"
        )
    secret = new_secret()
    connection = PunchoutConnection(
        account_id=account.id,
        name=values.name.strip()[:MAX_NAME] or identity,
        domain=domain,
        identity=identity,
        secret_hash=digest(secret),
        secret_set_at=core_db.utcnow(),
        default_user_id=user.id,
        created_by_id=actor.id,
    )
    db.session.add(connection)
    db.session.flush()
    audit.record(
        actor,
        "punchout.connection_create",
        f"punchout:{connection.id}",
        {"account": (None, account.slug), "identity": (None, f"{domain}:{identity}")},
    )
    _commit_or_taken()
    return connection, secret


def secret_version(connection: PunchoutConnection) -> str:
    """The secret's version as the roll form carries it: when the current secret was made."""
    return str(int(connection.secret_set_at.timestamp() * 1_000_000))


def roll_secret(actor: User, connection: PunchoutConnection, version: str) -> str:
    """A new shared secret for the connection; the old one stops working at once. Idempotent
    per form: a resubmit (a reload of the page that showed the new secret) whose version is no
    longer the connection's changes nothing."""
    db.session.refresh(connection, with_for_update=True)
    if version != secret_version(connection):
        raise ServiceError(
            _("The secret was already changed; make a new one again if you did not copy it.")
        )
    secret = new_secret()
    connection.secret_hash = digest(secret)
    connection.secret_set_at = core_db.utcnow()
    audit.record(actor, "punchout.secret_roll", f"punchout:{connection.id}")
    db.session.commit()
    return secret


def deactivate_connection(actor: User, connection: PunchoutConnection) -> None:
    if not connection.is_active:
        return
    connection.is_active = False
    audit.record(
        actor, "punchout.connection_deactivate", f"punchout:{connection.id}", {"active": (1, 0)}
    )
    db.session.commit()


def reactivate_connection(actor: User, connection: PunchoutConnection) -> None:
    """The connection works again, with the secret it had (make a new one if that may have
    leaked); its default user must still be an active user of the account."""
    if connection.is_active:
        return
    account = db.session.get(KeyAccount, connection.account_id)
    _checked_default_user(account, connection.default_user_id)
    connection.is_active = True
    audit.record(
        actor, "punchout.connection_reactivate", f"punchout:{connection.id}", {"active": (0, 1)}
    )
    db.session.commit()


def _checked_credential(values: ConnectionValues) -> tuple[str, str]:
    domain = plain_width(values.domain).strip()
    identity = plain_width(values.identity).strip()
    if not domain or len(domain) > MAX_DOMAIN:
        raise ServiceError(_("Enter the credential domain, such as NetworkId."), field="domain")
    if not identity or len(identity) > MAX_IDENTITY:
        raise ServiceError(_("Enter the procurement system's identity."), field="identity")
    return domain, identity


def _checked_default_user(account: KeyAccount, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.account_id != account.id or not user.is_active:
        raise ServiceError(_("Choose an active user of the account."), field="default_user")
    return user


def _credential_taken(domain: str, identity: str) -> bool:
    return (
        db.session.scalar(
            sa.select(PunchoutConnection.id).where(
                PunchoutConnection.domain == domain, PunchoutConnection.identity == identity
            )
        )
        is not None
    )


def _commit_or_taken() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(
            _("Another connection already uses this domain and identity."), field="identity"
        ) from None
