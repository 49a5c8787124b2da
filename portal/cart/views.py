"""The buyer's cart: lines at contract prices, quick order, CSV upload, saved order lists."""

from flask import Blueprint

bp = Blueprint("cart", __name__)

# Buyer side (a buyer of another account gets 404 from account_or_404)
