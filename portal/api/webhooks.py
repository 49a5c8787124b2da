"""Delivering webhooks to the customer (SECURITY.md 50): each due delivery is claimed, POSTed
and marked in ONE transaction of its own, as the e-mail outbox is (notifications.delivery).

The claim locks the row (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so workers side by side never
take the same delivery; SQLite: the write lock of `begin_write`). The endpoint's host is
resolved and every address checked again (portal.api.addresses), the event's JSON is POSTed to
the checked address, and the attempt is recorded. A 2xx answer marks the delivery delivered;
anything else (another status, a redirect, a refused address, a timeout) is retried after an
exponential backoff, until WEBHOOK_MAX_ATTEMPTS make it dead. A process that dies between the
POST and the commit leaves the delivery pending: it is sent again, with the same event id.
Each event is thus delivered at least once; receivers drop repeats by its id.

Webhooks
========

The portal POSTs each event to your endpoint as JSON (`Content-Type: application/json`), with
these headers:

- `Portal-Event-Id`: the event's id, `evt_...`, the same on every retry and redelivery. Store
  the ids you processed and ignore an event you have seen: an event can arrive more than once.
- `Portal-Event-Type`: such as `order.status_changed`.
- `Portal-Signature`: `t=<timestamp>,v1=<signature>`.
- `User-Agent`: `NorthwindPortal-Webhooks/1`.

Answer with any 2xx status within 10 seconds; do slow work afterwards. Any other answer, or
none, is retried with growing pauses (30 seconds, 1 minute, 2, 4, ... at most an hour apart)
until 8 attempts have failed. Redirects are not followed. Events may arrive out of order: each
carries `created`, and orders carry their current `status`.

Verifying the signature. Each endpoint has its own secret, `whsec_...`, shown when the endpoint
is added and when you roll it. The signature is made the way Stripe signs its webhooks:

1. Split `Portal-Signature` at the commas; take `t` (seconds since 1970-01-01 UTC) and every
   `v1` (while a secret is being rolled there may be more than one; one must match).
2. Build the signed text: `t`, a full stop, and the request body exactly as received (the raw
   bytes, before any JSON parsing).
3. Compute HMAC-SHA256 of the signed text with the secret (the whole `whsec_...` string, as
   UTF-8) as the key, as lowercase hex.
4. Compare it with `v1` in constant time, and refuse a timestamp more than 5 minutes from your
   clock (a replay).

In Python::

    import hashlib, hmac, time

    def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
        fields = [item.split("=", 1) for item in header.split(",") if "=" in item]
        timestamps = [value for key, value in fields if key == "t"]
        signatures = [value for key, value in fields if key == "v1"]
        if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
            return False
        signed = timestamps[0].encode() + b"." + body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        fresh = abs(time.time() - int(timestamps[0])) <= tolerance
        return fresh and any(hmac.compare_digest(expected, s) for s in signatures)
"""

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime

import requests
import sqlalchemy as sa
from flask import current_app

from portal.api.addresses import RefusedAddress, pinned_session, resolve
from portal.api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from portal.core.db import begin_write, db_session_dialect, utcnow
from portal.extensions import db
from portal.notifications.delivery import backoff

USER_AGENT = "NorthwindPortal-Webhooks/1"
SIGNATURE_HEADER = "Portal-Signature"
#: How much of an answer's body an attempt keeps.
EXCERPT_CHARS = 500

#: Why an attempt got no answer, as WebhookAttempt.error keeps it (an answer that is not 2xx is
#: "HTTP <status>"). The page words the kind in the reader's language (webhook_forms); the
#: library's own text, with hosts, ports and addresses, goes to the server log only.
CONNECT, TIMEOUT, TLS, REFUSED = "connect", "timeout", "tls", "refused"


@dataclass
class DeliveryRun:
    """What one `deliver_due` did."""

    delivered: int = 0
    #: Failed this time; tried again after the backoff.
    deferred: int = 0
    #: Given up after WEBHOOK_MAX_ATTEMPTS.
    dead: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.deferred + self.dead

    def __str__(self) -> str:
        return f"{self.delivered} delivered, {self.deferred} deferred, {self.dead} dead"


@dataclass
class Outcome:
    status_code: int | None = None
    error: str = ""
    excerpt: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The Portal-Signature header of `body` sent at `timestamp`."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver_due(limit: int | None = None) -> DeliveryRun:
    """POST the deliveries due when the run starts (at most `limit`), one transaction each.

    Deliveries that fail wait for their backoff, so a run always ends. An exception other than
    the connection's rolls back the delivery at hand (it stays pending) and is raised.
    """
    cutoff = utcnow()
    run = DeliveryRun()
    try:
        while limit is None or run.attempted < limit:
            delivery = _claim_next(cutoff)
            if delivery is None:
                break
            endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
            event = db.session.get(WebhookEvent, delivery.event_id)
            outcome = post(endpoint, event)
            record_attempt(delivery, outcome)
            _count(run, delivery)
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return run


def _claim_next(cutoff: datetime) -> WebhookDelivery | None:
    """Lock the oldest due delivery to an active endpoint; None when none is due (or free)."""
    if db_session_dialect() == "sqlite":
        begin_write(db.session)
    query = (
        sa.select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= cutoff,
            WebhookEndpoint.is_active.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
        .execution_options(populate_existing=True)
    )
    delivery = db.session.scalar(query)
    if delivery is None:
        db.session.commit()  # ends the (SQLite: write-locked) transaction
    return delivery


def post(endpoint: WebhookEndpoint, event: WebhookEvent) -> Outcome:
    """One signed POST of the event to the endpoint, to an address checked just now."""
    config = current_app.config
    body = event.payload.encode()
    started = time.monotonic()
    outcome = Outcome()
    try:
        address = resolve(endpoint.url, allow_private=config["WEBHOOK_ALLOW_PRIVATE"])
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Portal-Event-Id": event.public_id,
            "Portal-Event-Type": event.type,
            SIGNATURE_HEADER: sign(endpoint.secret, int(time.time()), body),
        }
        with pinned_session(address) as session:
            response = session.post(
                endpoint.url,
                data=body,
                headers=headers,
                timeout=config["WEBHOOK_TIMEOUT"],
                allow_redirects=False,
                stream=True,
            )
            with response:
                outcome.status_code = response.status_code
                outcome.excerpt = _excerpt(response)
        if not outcome.ok:
            outcome.error = f"HTTP {response.status_code}"
    except RefusedAddress as error:
        outcome.error = REFUSED
        _log_failure(endpoint, event, error)
    except requests.RequestException as error:
        outcome.error = failure_kind(error)
        _log_failure(endpoint, event, error)
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def failure_kind(error: requests.RequestException) -> str:
    """The kind of a failed connection: TLS, timed out, or could not connect."""
    if isinstance(error, requests.exceptions.SSLError):
        return TLS
    if isinstance(error, requests.Timeout):
        return TIMEOUT
    return CONNECT


def _log_failure(endpoint: WebhookEndpoint, event: WebhookEvent, error: Exception) -> None:
    current_app.logger.warning(
        "webhook %s to endpoint %s failed: %s: %s",
        event.public_id,
        endpoint.id,
        type(error).__name__,
        error,
    )


def _excerpt(response: requests.Response) -> str:
    try:
        raw = response.raw.read(EXCERPT_CHARS * 4, decode_content=True) or b""
    except (requests.RequestException, OSError, ValueError):
        return ""
    return raw.decode("utf-8", errors="replace")[:EXCERPT_CHARS]


def record_attempt(delivery: WebhookDelivery, outcome: Outcome) -> None:
    """The attempt, and the delivery delivered, deferred after the backoff, or dead."""
    config = current_app.config
    now = utcnow()
    db.session.add(
        WebhookAttempt(
            account_id=delivery.account_id,
            delivery_id=delivery.id,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
        )
    )
    delivery.attempts += 1
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    if outcome.ok:
        delivery.status = "delivered"
        delivery.delivered_at = now
    elif delivery.attempts >= config["WEBHOOK_MAX_ATTEMPTS"]:
        delivery.status = "dead"
    else:
        delivery.next_attempt_at = now + backoff(
            delivery.attempts,
            config["WEBHOOK_BACKOFF_SECONDS"],
            config["WEBHOOK_BACKOFF_MAX_SECONDS"],
        )


def _count(run: DeliveryRun, delivery: WebhookDelivery) -> None:
    if delivery.status == "delivered":
        run.delivered += 1
    elif delivery.status == "dead":
        run.dead += 1
    else:
        run.deferred += 1
