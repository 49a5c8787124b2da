"""Reads of an account's webhooks for its customer admin: a constant number of statements per
page, and only the account's own rows (another account's id is a 404)."""

from collections import defaultdict

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from portal.accounts.models import KeyAccount
from portal.api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal.core.pagination import Page, paginate_with_count
from portal.extensions import db

DELIVERIES_PER_PAGE = 25


def endpoints_of(account: KeyAccount) -> list[WebhookEndpoint]:
    return list(
        db.session.scalars(
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.account_id == account.id)
            .order_by(WebhookEndpoint.id)
        )
    )


def delivery_counts(account: KeyAccount) -> dict[int, dict[str, int]]:
    """endpoint id -> {status: number of deliveries}: one statement."""
    rows = db.session.execute(
        sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.status, sa.func.count())
        .where(WebhookDelivery.account_id == account.id)
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for endpoint_id, status, number in rows:
        counts[endpoint_id][status] = number
    return counts


def endpoint_or_404(account: KeyAccount, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.scalar(
        sa.select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.account_id == account.id
        )
    )
    if endpoint is None:
        abort(404)
    return endpoint


def delivery_or_404(endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    delivery = db.session.scalar(
        sa.select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.account_id == endpoint.account_id,
        )
    )
    if delivery is None:
        abort(404)
    return delivery


def deliveries_page(endpoint: WebhookEndpoint, page: int) -> Page:
    """The endpoint's deliveries, newest first, with their events: one statement."""
    where = (
        WebhookDelivery.endpoint_id == endpoint.id,
        WebhookDelivery.account_id == endpoint.account_id,
    )
    query = (
        sa.select(WebhookDelivery)
        .where(*where)
        .options(joinedload(WebhookDelivery.event))
        .order_by(WebhookDelivery.id.desc())
    )
    count = sa.select(sa.func.count()).select_from(WebhookDelivery).where(*where)
    return paginate_with_count(query, count, page, DELIVERIES_PER_PAGE)


def attempts_of(deliveries: list[WebhookDelivery]) -> dict[int, list[WebhookAttempt]]:
    """delivery id -> its attempts, newest first: one statement (none for no deliveries)."""
    attempts: dict[int, list[WebhookAttempt]] = defaultdict(list)
    if not deliveries:
        return attempts
    rows = db.session.scalars(
        sa.select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_([d.id for d in deliveries]))
        .order_by(WebhookAttempt.id.desc())
    )
    for attempt in rows:
        attempts[attempt.delivery_id].append(attempt)
    return attempts
