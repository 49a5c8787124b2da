"""Who calls the API: the user of the request's Bearer token, never a session cookie (a cookie
would let any page of another site post to the API in the user's name, and the API is exempt
from CSRF tokens). Run by the app's first request hook for the routes of the `api` blueprint,
before anything reads `current_user`."""

from flask import g, request

from portal.api.tokens import authenticate, digest
from portal.extensions import login_manager


def bearer_value() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def load_token_user() -> None:
    """`current_user` is the token's user, or anonymous without a live token (an operation
    then answers 401)."""
    plain = bearer_value()
    token = authenticate(plain, request.remote_addr) if plain else None
    g.api_token = token
    g._login_user = token.user if token is not None else login_manager.anonymous_user()


def rate_key() -> str:
    """Requests count per token (the digest of what was sent), else per client address."""
    plain = bearer_value()
    return "api-token:" + digest(plain) if plain else "api-address:" + (request.remote_addr or "-")
