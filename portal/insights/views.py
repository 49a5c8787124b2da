"""The insights pages: one blueprint, which the account pages and settings join from
account_views (the dashboard's version of this module replaces this one at merge)."""

from flask import Blueprint

bp = Blueprint("insights", __name__)
