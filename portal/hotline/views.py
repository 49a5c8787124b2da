"""Hotline pages: the buyer's form and requests; the staff queue, leads and sample units."""

from flask import Blueprint

bp = Blueprint("hotline", __name__)
