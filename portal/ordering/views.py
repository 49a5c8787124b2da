"""Orders: checkout, the buyer's orders and approvals, and the staff order desk."""

from flask import Blueprint

bp = Blueprint("ordering", __name__)

# Buyer side (a buyer of another account gets 404 from account_or_404 / order_or_404)

# --- buyer: checkout, orders, approvals, notices ---

# --- buyer: reorder ---

# --- staff: order desk ---
