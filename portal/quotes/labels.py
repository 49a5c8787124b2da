"""What quote statuses, sides, departments, lost reasons and history steps are called on the
pages, in the e-mails and in the PDF (the one vocabulary: models.py names the values)."""

from flask_babel import lazy_gettext as _l

QUOTE_STATUS_LABELS = {
    "requested": _l("Waiting for our answer"),
    "in_review": _l("Being approved"),
    "sent": _l("Waiting for your answer"),
    "accepted": _l("Accepted"),
    "ordered": _l("Ordered"),
    "lost": _l("Closed"),
}
#: The same statuses as staff read them (whose turn it is, from the supplier's side).
STAFF_STATUS_LABELS = {
    "requested": _l("To answer"),
    "in_review": _l("In review"),
    "sent": _l("Sent, waiting for the buyer"),
    "accepted": _l("Accepted, not yet ordered"),
    "ordered": _l("Ordered"),
    "lost": _l("Lost"),
}
SIDE_LABELS = {"buyer": _l("Request for quote"), "supplier": _l("Quote")}
VERSION_STATUS_LABELS = {"draft": _l("Draft"), "in_review": _l("In review"), "sent": _l("Sent")}
DEPARTMENT_LABELS = {
    "product": _l("Product (availability and lead time)"),
    "legal": _l("Legal (non-standard terms)"),
    "finance": _l("Finance (payment term and credit)"),
}
LOST_REASON_LABELS = {
    "price": _l("Price"),
    "timing": _l("Timing"),
    "competitor": _l("Went to a competitor"),
    "no_longer_needed": _l("No longer needed"),
    "other": _l("Other"),
}
EVENT_LABELS = {
    "requested": _l("Quote requested"),
    "routed": _l("Routed"),
    "reassigned": _l("Reassigned"),
    "escalated": _l("Escalated: answer overdue"),
    "submitted": _l("Submitted for approval and sign-off"),
    "price_approved": _l("Price approved"),
    "price_rejected": _l("Price sent back"),
    "signed_off": _l("Signed off"),
    "sent": _l("Quote sent"),
    "changes_requested": _l("Changes requested"),
    "renewal_requested": _l("Renewal requested"),
    "accepted": _l("Accepted"),
    "ordered": _l("Ordered"),
    "lost": _l("Closed as lost"),
}
#: History steps a buyer sees (the others are the supplier's internal work).
BUYER_EVENTS = frozenset(
    {"requested", "sent", "changes_requested", "renewal_requested", "accepted", "ordered", "lost"}
)
