"""The insights blueprint (the dashboard part owns this module; the account pages and settings
join it from insights.account_views, the KPI and forecast pages from insights.kpi_views, both
imported by register_blueprints)."""

from flask import Blueprint

bp = Blueprint("insights", __name__)
