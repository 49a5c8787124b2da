"""The insights blueprint (the dashboard part owns this module; the KPI and forecast pages join
it from insights.kpi_views, imported by register_blueprints)."""

from flask import Blueprint

bp = Blueprint("insights", __name__)
