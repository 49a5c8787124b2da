"""The one form of notices."""

from flask_wtf import FlaskForm


class ReadNoticesForm(FlaskForm):
    """Mark all of one's notices read (the CSRF token only)."""
