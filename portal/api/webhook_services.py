"""What a customer admin does with the account's webhooks: add, change, disable and delete
endpoints, roll a secret, send a test event, deliver again. Each checks, writes in one
transaction and commits, or raises ServiceError and writes nothing. Audited; secrets never
reach the audit trail."""

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from portal.accounts.models import KeyAccount, User
from portal.api.addresses import RefusedAddress, resolve, url_problem
from portal.api.models import (
    EVENT_TYPES,
    TEST_EVENT,
    WebhookDelivery,
    WebhookEndpoint,
)
from portal.api.webhook_events import build_event
from portal.core import audit
from portal.core.db import begin_write, utcnow
from portal.core.errors import ServiceError
from portal.core.versioning import check_version, commit
from portal.extensions import db


@dataclass(frozen=True)
class EndpointValues:
    url: str
    events: tuple[str, ...]
    description: str = ""


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_url(url: str) -> None:
    """Refuse a URL a webhook may not go to (SECURITY.md 50): the same rule as each delivery."""
    allow_private = current_app.config["WEBHOOK_ALLOW_PRIVATE"]
    problem = url_problem(url, allow_private=allow_private)
    if problem is None:
        try:
            resolve(url, allow_private=allow_private)
        except RefusedAddress as error:
            problem = str(error)
    if problem:
        raise ServiceError(problem, "url")


def _checked(values: EndpointValues) -> EndpointValues:
    url = values.url.strip()
    check_url(url)
    events = tuple(e for e in EVENT_TYPES if e in values.events)
    if not events or set(values.events) - set(EVENT_TYPES):
        raise ServiceError(_("Choose at least one event."), "events")
    return EndpointValues(url, events, values.description.strip())


def _lock_account(account_id: int) -> None:
    """Serialise the account's endpoint changes, so two requests never both add one URL."""
    begin_write(db.session)
    db.session.execute(
        sa.select(KeyAccount.id).where(KeyAccount.id == account_id).with_for_update()
    )


def _check_no_twin(account_id: int, url: str, endpoint_id: int | None = None) -> None:
    """Refuse a second active endpoint of the account with the same URL: the reload of the page
    that showed a new endpoint's secret would otherwise add the endpoint again (each event then
    posted twice, signed with two secrets)."""
    twin = db.session.scalar(
        sa.select(WebhookEndpoint.id).where(
            WebhookEndpoint.account_id == account_id,
            WebhookEndpoint.url == url,
            WebhookEndpoint.is_active.is_(True),
            WebhookEndpoint.id != (endpoint_id or 0),
        )
    )
    if twin is not None:
        raise ServiceError(_("An endpoint with this URL exists already: %(url)s", url=url), "url")


def create_endpoint(
    actor: User, account: KeyAccount, values: EndpointValues
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret, which the customer admin sees this once."""
    values = _checked(values)
    _lock_account(account.id)
    _check_no_twin(account.id, values.url)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        account_id=account.id,
        url=values.url,
        event_types=" ".join(values.events),
        description=values.description,
        secret=secret,
        created_by_id=actor.id,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        actor,
        "webhook.create",
        _target(endpoint),
        {"url": (None, endpoint.url), "events": (None, endpoint.event_types)},
    )
    db.session.commit()
    return endpoint, secret


def update_endpoint(
    actor: User,
    endpoint: WebhookEndpoint,
    values: EndpointValues,
    expected_version: int | None = None,
) -> None:
    check_version(endpoint, expected_version)
    values = _checked(values)
    if endpoint.is_active:
        _lock_account(endpoint.account_id)
        _check_no_twin(endpoint.account_id, values.url, endpoint.id)
    changes = audit.diff(
        endpoint,
        {
            "url": values.url,
            "event_types": " ".join(values.events),
            "description": values.description,
        },
    )
    if changes:
        audit.record(actor, "webhook.update", _target(endpoint), changes)
    commit()


def set_active(actor: User, endpoint: WebhookEndpoint, is_active: bool) -> None:
    """Disable the endpoint (it gets no new events; those queued wait) or enable it again."""
    if endpoint.is_active == is_active:
        return
    if is_active:
        check_url(endpoint.url)
        _lock_account(endpoint.account_id)
        _check_no_twin(endpoint.account_id, endpoint.url, endpoint.id)
    endpoint.is_active = is_active
    audit.record(
        actor, "webhook.update", _target(endpoint), {"is_active": (not is_active, is_active)}
    )
    commit()


def roll_secret(actor: User, endpoint: WebhookEndpoint, expected_version: int | None) -> str:
    """A new secret for the endpoint, from its next delivery on; shown this once.

    The form carries the endpoint's version: a resubmit (a reload of the page that showed the
    new secret) or a form without one changes nothing, so the secret shown stays the live one.
    """
    if expected_version is None or endpoint.version != expected_version:
        raise ServiceError(
            _("The secret was already changed; roll it again if you did not copy it.")
        )
    secret = new_secret()
    endpoint.secret = secret
    audit.record(actor, "webhook.roll_secret", _target(endpoint))
    commit()
    return secret


def delete_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """The endpoint goes, with its deliveries and their attempts."""
    audit.record(actor, "webhook.delete", _target(endpoint), {"url": (endpoint.url, None)})
    db.session.delete(endpoint)
    db.session.commit()


def send_test_event(actor: User, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A "webhook.test" event, to this endpoint only."""
    if not endpoint.is_active:
        raise ServiceError(_("Enable the endpoint to send it an event."))
    event = build_event(
        endpoint.account_id,
        TEST_EVENT,
        {"message": "A test event from the Northwind portal."},
    )
    db.session.flush()
    delivery = WebhookDelivery(
        account_id=endpoint.account_id, event_id=event.id, endpoint_id=endpoint.id
    )
    db.session.add(delivery)
    audit.record(actor, "webhook.test", _target(endpoint))
    db.session.commit()
    return delivery


def redeliver(actor: User, delivery: WebhookDelivery) -> None:
    """Queue a delivered or dead delivery again, with a full set of attempts, from now. The
    event keeps its id (a receiver that saw it may drop it)."""
    if delivery.status == "pending":
        raise ServiceError(_("This delivery is queued already."))
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    audit.record(
        actor,
        "webhook.redeliver",
        f"webhook:{delivery.endpoint_id}",
        {"delivery": (None, delivery.id)},
    )
    db.session.commit()


def _target(endpoint: WebhookEndpoint) -> str:
    return f"webhook:{endpoint.id}"
