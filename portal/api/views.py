"""The JSON API v1: its blueprint, the OpenAPI document and its readable page, and who the
token is. The operations of each part join this blueprint from their own module (catalog,
orders, ...), imported by the app factory; portal.api.spec says how an operation is written.

Machine endpoints: Bearer tokens only (portal.api.bearer), no CSRF token, no cookie; errors are
problem documents (portal.core.problems); requests limited per token (API_RATE_LIMIT).
"""

import math
import time
from datetime import datetime

from flask import Blueprint, current_app, g, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from pydantic import BaseModel, Field

from portal.api import reading, spec
from portal.api.bearer import rate_key
from portal.api.models import EVENT_TYPES
from portal.api.spec import ApiProblem, InvalidInput, operation
from portal.core.errors import ServiceError
from portal.core.problems import problem
from portal.extensions import csrf, limiter
from portal.tax import fapiao

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_key)(bp)

# --- the document, its page, the caller ---
#   GET  /api/v1/openapi.json    openapi     public
#   GET  /api/v1/docs            docs        public
#   GET  /api/v1/me              me          ROLES


@bp.errorhandler(ApiProblem)
def _api_problem(error: ApiProblem):
    return error.response()


@bp.errorhandler(InvalidInput)
def _invalid_input(error: InvalidInput):
    return error.response()


@bp.errorhandler(429)
def _too_many_requests(error):
    """Over API_RATE_LIMIT for this token (bearer.rate_key): when the window lets it in again,
    as Retry-After (RFC 9110)."""
    limit = limiter.current_limit
    wait = max(1, math.ceil(limit.reset_at - time.time())) if limit is not None else 60
    detail = ngettext(
        "Too many requests for this token; retry in %(num)d second.",
        "Too many requests for this token; retry in %(num)d seconds.",
        wait,
    )
    return problem(429, detail, code="rate_limited", headers={"Retry-After": str(wait)})


@bp.errorhandler(ServiceError)
def _refused(error: ServiceError):
    """A business rule refused the request (the same message a page shows); nothing changed."""
    from portal.core.errors import roll_back

    roll_back()
    errors = [{"field": error.field, "message": error.message}] if error.field else None
    return problem(422, error.message, errors=errors)


@bp.get("/openapi.json")
@operation(summary=_l("This document"), tag="document", scope=None)
def openapi():
    """The OpenAPI 3.1 document of this API, built from the code that serves it."""
    return current_app.response_class(
        current_app.json.dumps(spec.build_document(current_app)), mimetype="application/json"
    )


@bp.get("/docs")
@operation(summary=_l("This document, to read"), tag="document", scope=None, media="text/html")
def docs():
    """The document as a page, served by the portal itself (no CDN)."""
    document = spec.build_document(current_app)
    return current_app.make_response(
        render_template(
            "api/docs.html",
            document=document,
            operations=reading.operations_by_tag(document),
            schemas=reading.schemas(document),
            rate_limit=current_app.config["API_RATE_LIMIT"],
            webhook_events=EVENT_TYPES,
            verify_example=reading.verify_example(),
            punchout_setup=url_for("punchout.setup", _external=True),
            punchout_order=url_for("punchout.order", _external=True),
        )
    )


class AccountOut(BaseModel):
    slug: str
    name: str
    currency: str
    time_zone: str
    fapiao_types: list[str] = Field(
        description="The fapiao types an order may ask for (fapiao_type of POST /orders); "
        "empty: the account is not issued fapiao through the portal."
    )
    default_fapiao_type: str | None = Field(
        description="The type checkout preselects, used by the example script."
    )


class TokenOut(BaseModel):
    name: str
    scopes: list[str]
    expires_at: datetime


class MeOut(BaseModel):
    """The token's user, their account (none for staff) and the token itself."""

    id: int
    name: str
    email: str
    role: str
    account: AccountOut | None
    token: TokenOut


@bp.get("/me")
@operation(summary=_l("Who the token acts as"), tag="document", response=MeOut)
def me():
    """The user the token acts as, their role and account, and the token's scopes and expiry."""
    user, token = current_user, g.api_token
    account = user.account
    types = fapiao.fapiao_choice(account).types if account is not None else ()
    return MeOut(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role,
        account=AccountOut(
            slug=account.slug,
            name=account.name,
            currency=account.currency,
            time_zone=account.time_zone,
            fapiao_types=list(types),
            default_fapiao_type=types[0] if types else None,
        )
        if account is not None
        else None,
        token=TokenOut(
            name=token.name,
            scopes=sorted(token.scope_set),
            expires_at=token.expires_at,
        ),
    )
