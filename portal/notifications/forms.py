"""The forms of notices and of the outbox (the CSRF token only)."""

from flask_wtf import FlaskForm


class ReadNoticesForm(FlaskForm):
    """Mark all of one's notices read (the CSRF token only)."""


class RetryMessageForm(FlaskForm):
    """Send a dead letter again."""
