"""Tokens and calls for the API's tests."""

from portal.api import tokens


def issue_token(user, scopes=("read",), days: int = 30, actor=None) -> str:
    """A live token of `user` with these scopes, issued by `actor` (the user by default)."""
    _token, plain = tokens.issue(actor or user, user, "test", list(scopes), days)
    return plain


def bearer(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}
