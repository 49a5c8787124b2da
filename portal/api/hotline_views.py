"""The API's hotline: a buyer files a request for a call-back (the service routes it and sets
its deadline, as for the hotline form) and reads their account's requests as the hotline page
shows them. Joins the api blueprint."""

import re
from datetime import datetime
from typing import Literal

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy.orm import joinedload

from portal.api import pagination
from portal.api.pagination import PageQuery
from portal.api.payment_views import caller_account
from portal.api.spec import ApiProblem, operation
from portal.api.views import bp
from portal.core.inputs import MAX_ID
from portal.extensions import db
from portal.hotline import queries, services
from portal.hotline.models import CALLBACK_WINDOWS, REQUEST_STATUSES, TOPICS, HotlineRequest
from portal.ordering.models import Order

# --- buyer: their own account's requests (another account's are a 404) ---
#   POST  /api/v1/hotline-requests                     file_hotline_request  BUYER_ROLES
#   GET   /api/v1/hotline-requests?cursor=&limit=      list_hotline_requests BUYER_ROLES
#   GET   /api/v1/hotline-requests/<request_id>        show_hotline_request  BUYER_ROLES

TAG = "hotline"


class HotlineRequestIn(BaseModel):
    """What the hotline form asks; the service checks it and says why not."""

    topic: Literal[TOPICS]
    description: str = Field(
        max_length=services.MAX_DESCRIPTION, description="What you need, in any language."
    )
    phone: str = Field(
        max_length=services.MAX_PHONE,
        description="For the call-back, as typed (full-width digits and 转 for an extension "
        "are read).",
        examples=["+86 21 5555 0100"],
    )
    callback_window: Literal[CALLBACK_WINDOWS] = "any"
    #: If it is about one of the account's orders.
    order_number: str | None = Field(None, max_length=40, examples=["NW-2026-000001"])


class AssigneeOut(BaseModel):
    name: str
    email: str


class HotlineRequestOut(BaseModel):
    """A request as the buyer's hotline page shows it: who calls back by when."""

    id: int
    #: What staff and callers quote, such as HL-000042.
    number: str
    topic: str
    description: str
    phone: str
    callback_window: str
    order_number: str | None
    status: Literal[REQUEST_STATUSES]
    filed_at: datetime
    #: The call-back deadline, in business hours of the account's time zone.
    due_at: datetime
    closed_at: datetime | None
    #: The member of staff who calls back (null: the team, until someone takes it).
    assignee: AssigneeOut | None


class HotlineRequestPage(pagination.Page[HotlineRequestOut]):
    pass


def request_out(found: HotlineRequest, order_number: str | None) -> HotlineRequestOut:
    assignee = found.assignee
    return HotlineRequestOut(
        id=found.id,
        number=found.number,
        topic=found.topic,
        description=found.description,
        phone=found.phone,
        callback_window=found.callback_window,
        order_number=order_number,
        status=found.status,
        filed_at=found.created_at,
        due_at=found.due_at,
        closed_at=found.closed_at,
        assignee=AssigneeOut(name=assignee.name, email=assignee.email) if assignee else None,
    )


_REFERENCE = re.compile(r"(?:HL-)?(\d{1,19})", re.IGNORECASE)


def request_id_of(reference: str) -> int:
    """The id in "42" or "HL-000042"; 404 for anything else."""
    found = _REFERENCE.fullmatch(reference.strip())
    if found is None or not 0 < int(found.group(1)) <= MAX_ID:
        raise ApiProblem(404)
    return int(found.group(1))


@bp.post("/hotline-requests")
@operation(
    summary=_l("File a hotline request"),
    tag=TAG,
    scope="order",
    body=HotlineRequestIn,
    response=HotlineRequestOut,
    status=201,
)
def file_hotline_request(body: HotlineRequestIn):
    """File a request for a call-back for the token's account, as the hotline form does: it is
    routed to the account's rep and gets its response deadline. The phone is stored in E.164;
    an order number must be one of the account's orders."""
    account = caller_account()
    filed = services.file_request(
        current_user,
        account,
        topic=body.topic,
        description=body.description,
        phone=body.phone,
        callback_window=body.callback_window,
        order_number=body.order_number,
    )
    found = queries.request_of_account_or_404(account.id, filed.id)
    return request_out(found, _order_number(found)), 201


@bp.get("/hotline-requests")
@operation(
    summary=_l("The account's hotline requests"),
    tag=TAG,
    query=PageQuery,
    response=HotlineRequestPage,
)
def list_hotline_requests(query: PageQuery):
    """The account's requests, newest first, as the hotline page lists them."""
    account = caller_account()
    statement = queries.account_requests(account.id).options(joinedload(HotlineRequest.order))
    found, cursor = pagination.page_of(statement, HotlineRequest.id, query)
    return HotlineRequestPage(
        data=[request_out(r, r.order.number if r.order else None) for r in found],
        next_cursor=cursor,
    )


@bp.get("/hotline-requests/<request_id>")
@operation(summary=_l("A hotline request"), tag=TAG, response=HotlineRequestOut)
def show_hotline_request(request_id):
    """One of the account's requests, by its id (42) or its number (HL-000042): its status,
    who calls back and by when."""
    account = caller_account()
    found = queries.request_of_account_or_404(account.id, request_id_of(request_id))
    return request_out(found, _order_number(found))


def _order_number(found: HotlineRequest) -> str | None:
    if found.order_id is None:
        return None
    return db.session.get(Order, found.order_id).number
