"""Who opens which page and who sees which field: the one table (DESIGN.md section 2,
SECURITY.md 16 and 18).

PAGES names, for every endpoint of the application, `PUBLIC` or the roles that may call it;
views are marked `@restricted` (or `@public`) and read their roles from here, and the app
refuses to start while an endpoint is missing (`check_pages`). FIELDS names, for each kind of
information a page may show, the roles that see it; views and templates ask `sees(user, field)`
(or pass `visible_fields(user)`), and link only to pages `may_open` says the viewer opens.

What each staff role needs, and so may see:
- account admins, sales managers and directors: everything about their accounts, contracts
  and prices included;
- inside sales: the hotline, care, orders on the customer's behalf, so prices, amounts,
  credit and what the account owes;
- field sales: leads and visits, negotiating face to face, so contracts, prices and amounts,
  but not the account's credit or receivables;
- finance: payments, letters of credit, credit holds and releases, so amounts, credit,
  contracts and their terms;
- the call centre: who the caller is, what they ordered and where it stands, what they asked
  the hotline; no negotiated price, discount, internal reason, amount or credit;
- sysadmins: staff users, the outbox and the audit trail; no customer's business.
"""

from functools import wraps

from flask import Flask, abort, request
from flask_login import current_user

from portal.core.permissions import (
    ACCOUNT_ADMIN,
    ACCOUNT_EDITORS,
    APPROVER,
    BUYER_ROLES,
    CALL_CENTER,
    CUSTOMER_ADMIN,
    FIELD_SALES,
    FINANCE,
    INSIDE_SALES,
    ROLES,
    SALES_DIRECTOR,
    SALES_MANAGER,
    STAFF_ROLES,
    SYSADMIN,
    is_buyer_side,
)

PUBLIC = "public"

# --- role groups, named for what they do ---
#: Buyer-side roles with an approvals page: approvers, and customer admins, who decide when
#: their account has no approver (ordering.approvals).
APPROVALS_ROLES = (APPROVER, CUSTOMER_ADMIN)
MANAGERS = (SALES_MANAGER, SALES_DIRECTOR)
#: Staff who look after customers' business: every member of staff but sysadmins.
BUSINESS_STAFF = tuple(role for role in STAFF_ROLES if role != SYSADMIN)
#: Staff who read contracts, their negotiated prices, discounts and the reasons given.
CONTRACT_READERS = (*ACCOUNT_EDITORS, INSIDE_SALES, FIELD_SALES, FINANCE)
#: Staff who see what orders and invoices amount to.
AMOUNT_READERS = CONTRACT_READERS
#: Staff who see an account's credit limit, exposure and credit hold.
CREDIT_READERS = (*ACCOUNT_EDITORS, INSIDE_SALES, FINANCE)
#: Staff who see what an account owes (unpaid milestones).
RECEIVABLES_READERS = (*MANAGERS, INSIDE_SALES, FINANCE)
#: Roles that approve or reject price proposals, within their own discount authority.
PROPOSAL_DECIDERS = MANAGERS
#: Staff who read the hotline queue and file requests for callers.
HOTLINE_STAFF = (INSIDE_SALES, SALES_MANAGER, SALES_DIRECTOR, CALL_CENTER)
#: Staff who claim, call, reassign and close requests, and track sample units; care tasks.
HOTLINE_WORKERS = (INSIDE_SALES, SALES_MANAGER, SALES_DIRECTOR)
#: Staff who see quotes: the pipeline, a quote's versions and history (prices only as
#: AMOUNT_READERS see them: the call centre does not).
QUOTE_STAFF = BUSINESS_STAFF
#: Staff who write and submit supplier versions, reassign quotes and mark them lost.
QUOTE_WORKERS = HOTLINE_WORKERS
#: Staff who sign a supplier version off for a department (quotes.permissions.SIGNERS).
QUOTE_SIGNERS = (ACCOUNT_ADMIN, SALES_DIRECTOR, FINANCE)
#: Staff who read leads: field sales (theirs), inside sales (those they handed over), managers.
LEAD_VIEWERS = (FIELD_SALES, INSIDE_SALES, SALES_MANAGER, SALES_DIRECTOR)
#: Staff who enter and change leads (field sales their own).
LEAD_EDITORS = (FIELD_SALES, SALES_MANAGER, SALES_DIRECTOR)
#: Who gives a lead without an owner (or another's) to a field-sales rep.
LEAD_ASSIGNERS = MANAGERS
#: Who turns a quote into a lead for field sales (inside sales hand it over).
LEAD_FROM_QUOTE = LEAD_VIEWERS
#: Staff who read visits: field sales and inside sales those of their accounts, managers all.
VISIT_READERS = LEAD_VIEWERS
#: Staff who plan, log and cancel visits.
VISIT_WRITERS = LEAD_EDITORS
SAMPLE_VIEWERS = (INSIDE_SALES, FIELD_SALES, SALES_MANAGER, SALES_DIRECTOR)
#: Staff who take calls or act for customers: they search contacts, orders and invoices.
LOOKUP_ROLES = (CALL_CENTER, INSIDE_SALES, SALES_MANAGER, SALES_DIRECTOR, ACCOUNT_ADMIN, FINANCE)
#: Staff who move orders through the lifecycle at the order desk.
ORDER_DESK = (INSIDE_SALES, ACCOUNT_ADMIN, SALES_MANAGER, SALES_DIRECTOR, FINANCE)
#: Staff who release orders to production (the release gate binds them all alike).
RELEASERS = (FINANCE, SALES_DIRECTOR)
#: Staff who place orders on a buyer's behalf.
ON_BEHALF_PLACERS = (INSIDE_SALES, SALES_MANAGER, SALES_DIRECTOR)
#: Staff who put accounts on credit hold and lift it.
CREDIT_CONTROLLERS = (FINANCE,)
#: Staff who record remittances and register letters of credit.
RECORDERS = (FINANCE,)
#: Staff who look at the finance desk (sales managers read only).
DESK_VIEWERS = (FINANCE, SALES_MANAGER, SALES_DIRECTOR)
#: Staff who see the outbox and send dead letters again.
OUTBOX_KEEPERS = (SYSADMIN,)
#: Key-account insights: the dashboard, each account's figures, stage and platinum.
INSIGHT_READERS = (*ACCOUNT_EDITORS, INSIDE_SALES, FIELD_SALES)
#: KPIs per rep and team, coverage and the forecast; the stage rules (changed, audited).
KPI_READERS = MANAGERS
STAGE_RULE_EDITORS = MANAGERS
#: Only a director puts an account in or out of platinum by hand, with a reason.
PLATINUM_OVERRIDERS = (SALES_DIRECTOR,)
#: Who enters an account's estimated annual spend.
SPEND_ESTIMATORS = (*ACCOUNT_EDITORS, INSIDE_SALES, FIELD_SALES)
#: Staff users, their roles, teams and discount authority.
STAFF_ADMINS = (SYSADMIN,)
AUDIT_READERS = (*ACCOUNT_EDITORS, SYSADMIN)
#: Staff who keep an account's fapiao details (finance verifies them).
FAPIAO_KEEPERS = (*ACCOUNT_EDITORS, FINANCE)
#: Staff who download an account's statement (what it owes, aged): those who see invoice
#: amounts, but field sales, who do not see an account's receivables.
STATEMENT_READERS = tuple(role for role in AMOUNT_READERS if role != FIELD_SALES)

#: Every endpoint -> PUBLIC or the roles that may call it.
PAGES: dict[str, str | tuple[str, ...]] = {
    # home
    "home.index": PUBLIC,
    "home.landing": PUBLIC,
    "home.healthz": PUBLIC,
    "home.readyz": PUBLIC,
    "home.staff_dashboard": STAFF_ROLES,
    "home.read_staff_notices": STAFF_ROLES,
    # api: the document and its page; who the token is (each part's operations below)
    "api.openapi": PUBLIC,
    "api.docs": PUBLIC,
    "api.me": ROLES,
    # api: the buyer's catalog, prices and cart (api.catalog_views)
    "api.list_catalog": BUYER_ROLES,
    "api.show_catalog_item": BUYER_ROLES,
    "api.quote_prices": BUYER_ROLES,
    "api.show_cart": BUYER_ROLES,
    "api.add_cart_line": BUYER_ROLES,
    "api.set_cart_line": BUYER_ROLES,
    "api.remove_cart_line": BUYER_ROLES,
    # api: ship-to addresses, orders and approvals (api.order_views)
    "api.list_addresses": BUYER_ROLES,
    "api.place_order": BUYER_ROLES,
    "api.list_orders": BUYER_ROLES,
    "api.show_order": BUYER_ROLES,
    "api.cancel_order": BUYER_ROLES,
    "api.list_approvals": APPROVALS_ROLES,
    "api.approve_order": APPROVALS_ROLES,
    "api.reject_order": APPROVALS_ROLES,
    # api: the buyer's payment schedule, invoices and their PDFs (api/payment_views.py)
    "api.order_schedule": BUYER_ROLES,
    "api.list_invoices": BUYER_ROLES,
    "api.show_invoice": BUYER_ROLES,
    "api.invoice_pdf": BUYER_ROLES,
    # api: the buyer's hotline requests (api/hotline_views.py)
    "api.file_hotline_request": BUYER_ROLES,
    "api.list_hotline_requests": BUYER_ROLES,
    "api.show_hotline_request": BUYER_ROLES,
    # api: the buyer's quotes and their answers to them (api/quote_views.py)
    "api.list_quotes": BUYER_ROLES,
    "api.request_quote": BUYER_ROLES,
    "api.show_quote": BUYER_ROLES,
    "api.accept_quote": BUYER_ROLES,
    "api.reject_quote": BUYER_ROLES,
    "api.ask_for_quote_changes": BUYER_ROLES,
    # api: staff tokens: lookup, the accounts, an account's 360 (fields by FIELDS)
    "api.look_up": LOOKUP_ROLES,
    "api.list_accounts": STAFF_ROLES,
    "api.show_account": STAFF_ROLES,
    # api: tokens as people keep them (normal pages; SECURITY.md 48, 49)
    "api_tokens.account_tokens": (CUSTOMER_ADMIN,),
    "api_tokens.revoke_account_token": (CUSTOMER_ADMIN,),
    "api_tokens.own_tokens": STAFF_ROLES,
    "api_tokens.revoke_own_token": STAFF_ROLES,
    "api_tokens.staff_account_tokens": ACCOUNT_EDITORS,
    "api_tokens.staff_revoke_account_token": ACCOUNT_EDITORS,
    # auth
    "auth.login": PUBLIC,
    "auth.logout": ROLES,
    "auth.change_password": ROLES,
    "auth.forgot_password": PUBLIC,
    "auth.set_password_from_link": PUBLIC,
    # auth: staff administration (sysadmins): staff users, their sessions, teams
    "staff_users.list_users": STAFF_ADMINS,
    "staff_users.create_user": STAFF_ADMINS,
    "staff_users.edit_user": STAFF_ADMINS,
    "staff_users.deactivate_user": STAFF_ADMINS,
    "staff_users.reactivate_user": STAFF_ADMINS,
    "staff_users.list_teams": STAFF_ADMINS,
    "staff_users.edit_team": STAFF_ADMINS,
    # accounts: staff screens; the customer admin's users and addresses; branding
    "accounts.list_accounts": STAFF_ROLES,
    "accounts.create_account": ACCOUNT_EDITORS,
    "accounts.edit_account": ACCOUNT_EDITORS,
    "accounts.staff_create_user": ACCOUNT_EDITORS,
    "accounts.staff_edit_user": ACCOUNT_EDITORS,
    "accounts.staff_set_password": ACCOUNT_EDITORS,
    "accounts.staff_add_address": ACCOUNT_EDITORS,
    "accounts.staff_remove_address": ACCOUNT_EDITORS,
    "accounts.staff_edit_address": ACCOUNT_EDITORS,
    "accounts.profile": ROLES,
    "accounts.switch_language": PUBLIC,
    "accounts.logo": PUBLIC,
    "accounts.theme": PUBLIC,
    "accounts.list_users": (CUSTOMER_ADMIN,),
    "accounts.create_user": (CUSTOMER_ADMIN,),
    "accounts.edit_user": (CUSTOMER_ADMIN,),
    "accounts.set_password": (CUSTOMER_ADMIN,),
    "accounts.add_address": (CUSTOMER_ADMIN,),
    "accounts.remove_address": (CUSTOMER_ADMIN,),
    "accounts.edit_address": (CUSTOMER_ADMIN,),
    # catalog: list prices are the supplier's public prices
    "catalog.list_products": STAFF_ROLES,
    "catalog.create_product": ACCOUNT_EDITORS,
    "catalog.edit_product": ACCOUNT_EDITORS,
    "catalog.import_products": ACCOUNT_EDITORS,
    "catalog.product_image": PUBLIC,
    # contracts: the buyer's catalog; contracts, prices, proposals; payment terms
    "contracts.browse_catalog": BUYER_ROLES,
    "contracts.show_product": BUYER_ROLES,
    "contracts.list_contracts": CONTRACT_READERS,
    "contracts.create_contract": ACCOUNT_EDITORS,
    "contracts.show_contract": CONTRACT_READERS,
    "contracts.edit_contract": ACCOUNT_EDITORS,
    "contracts.create_rule": ACCOUNT_EDITORS,
    "contracts.edit_rule": ACCOUNT_EDITORS,
    "contracts.remove_rule": ACCOUNT_EDITORS,
    "contracts.import_rules": ACCOUNT_EDITORS,
    "contracts.export_rules": ACCOUNT_EDITORS,
    "contracts.list_proposals": ACCOUNT_EDITORS,
    "contracts.decide_proposal": PROPOSAL_DECIDERS,
    "contracts.audit_trail": AUDIT_READERS,
    "contracts.list_terms": STAFF_ROLES,
    "contracts.create_term": ACCOUNT_EDITORS,
    "contracts.edit_term": ACCOUNT_EDITORS,
    # cart: cart pages, quick order, CSV upload, order lists
    "cart.show_cart": BUYER_ROLES,
    "cart.add_to_cart": BUYER_ROLES,
    "cart.update_cart": BUYER_ROLES,
    "cart.quick_order": BUYER_ROLES,
    "cart.upload_cart": BUYER_ROLES,
    "cart.save_order_list": BUYER_ROLES,
    "cart.show_order_list": BUYER_ROLES,
    "cart.edit_order_list": BUYER_ROLES,
    "cart.add_order_list": BUYER_ROLES,
    "cart.remove_order_list": BUYER_ROLES,
    # ordering: the buyer's checkout, orders, approvals, notices
    "ordering.reorder": BUYER_ROLES,
    "ordering.checkout": BUYER_ROLES,
    "ordering.list_orders": BUYER_ROLES,
    "ordering.show_order": BUYER_ROLES,
    "ordering.cancel_order": BUYER_ROLES,
    "ordering.list_approvals": APPROVALS_ROLES,
    "ordering.decide_order": APPROVALS_ROLES,
    "ordering.read_notices": BUYER_ROLES,
    # quotes: ordering an accepted quote
    "quote_orders.order_quote": BUYER_ROLES,
    # ordering: the order desk (amounts on its pages by FIELDS), credit hold
    "ordering.list_staff_orders": BUSINESS_STAFF,
    "ordering.show_staff_order": BUSINESS_STAFF,
    "ordering.confirm_order": ORDER_DESK,
    "ordering.hold_order": ORDER_DESK,
    "ordering.resume_order": ORDER_DESK,
    "ordering.ship_order": ORDER_DESK,
    "ordering.deliver_order": ORDER_DESK,
    "ordering.close_order": ORDER_DESK,
    "ordering.cancel_order_by_staff": ORDER_DESK,
    "ordering.release_order": RELEASERS,
    "ordering.place_order_for_buyer": ON_BEHALF_PLACERS,
    "ordering.record_decision": ON_BEHALF_PLACERS,
    "ordering.set_credit_hold": CREDIT_CONTROLLERS,
    # payments: the finance desk; invoices and statements; cards and Stripe's webhook
    "payments.show_finance_desk": DESK_VIEWERS,
    "payments.record_remittance": RECORDERS,
    "payments.register_letter_of_credit": RECORDERS,
    "payments.amend_letter_of_credit": RECORDERS,
    "payments.void_letter_of_credit": RECORDERS,
    "payments.record_refund_sent": RECORDERS,
    "payments.show_receivables": DESK_VIEWERS,
    "payments.export_ageing_csv": DESK_VIEWERS,
    "payments.export_ageing_xlsx": DESK_VIEWERS,
    "payments.export_overdue_csv": DESK_VIEWERS,
    "payments.export_overdue_xlsx": DESK_VIEWERS,
    "payments.show_bank_statements": DESK_VIEWERS,
    "payments.upload_bank_statement": RECORDERS,
    "payments.show_bank_line": RECORDERS,
    "payments.assign_bank_line": RECORDERS,
    "payments.return_bank_line": RECORDERS,
    "payments.list_invoices": BUYER_ROLES,
    "payments.export_invoices": BUYER_ROLES,
    "payments.show_invoice": BUYER_ROLES,
    "payments.show_staff_invoice": AMOUNT_READERS,
    "payments.download_invoice_pdf": BUYER_ROLES,
    "payments.download_statement_pdf": BUYER_ROLES,
    "payments.download_staff_invoice_pdf": AMOUNT_READERS,
    "payments.download_staff_statement_pdf": STATEMENT_READERS,
    "payments.pay_by_card": BUYER_ROLES,
    "payments.start_card_setup": BUYER_ROLES,
    "payments.show_card_payment": BUYER_ROLES,
    "payments.remove_saved_card": BUYER_ROLES,
    "payments.receive_stripe_webhook": PUBLIC,
    "payments.record_fapiao": RECORDERS,
    # quote documents: a quote version as a PDF (drafts for staff only, marked DRAFT)
    "quote_documents.download_quote_pdf": BUYER_ROLES,
    "quote_documents.download_staff_quote_pdf": AMOUNT_READERS,
    # fapiao: the account's invoicing details, verified by finance; red-letter fapiao
    "fapiao.edit_details": (CUSTOMER_ADMIN,),
    "fapiao.staff_edit_details": FAPIAO_KEEPERS,
    "fapiao.verify_details": (FINANCE,),
    "fapiao.list_red_letters": (FINANCE,),
    "fapiao.record_red_letter": (FINANCE,),
    # hotline: the buyer's form and survey; the queue, leads, sample units, availability
    "hotline.file_request": BUYER_ROLES,
    "hotline.answer_survey": BUYER_ROLES,
    "hotline.show_queue": HOTLINE_STAFF,
    "hotline.file_for_caller": HOTLINE_STAFF,
    "hotline.show_request": HOTLINE_STAFF,
    "hotline.claim_request": HOTLINE_WORKERS,
    "hotline.log_call": HOTLINE_WORKERS,
    "hotline.reassign_request": HOTLINE_WORKERS,
    "hotline.close_request": HOTLINE_WORKERS,
    "hotline.list_samples": SAMPLE_VIEWERS,
    "hotline.move_sample": HOTLINE_WORKERS,
    "hotline.set_availability": STAFF_ROLES,
    # hotline: customer care
    "hotline.show_care": HOTLINE_WORKERS,
    "hotline.log_due_contact": HOTLINE_WORKERS,
    "hotline.show_account_care": HOTLINE_WORKERS,
    "hotline.add_care_task": HOTLINE_WORKERS,
    "hotline.set_account_calendar": MANAGERS,
    "hotline.deactivate_care_task": HOTLINE_WORKERS,
    "hotline.log_account_contact": HOTLINE_WORKERS,
    # quotes: the staff's pipeline, quotes for callers, the workbench
    "staff_quotes.show_pipeline": QUOTE_STAFF,
    "staff_quotes.start_quote": HOTLINE_STAFF,
    "staff_quotes.show_quote": QUOTE_STAFF,
    "staff_quotes.save_draft": QUOTE_WORKERS,
    "staff_quotes.submit_quote": QUOTE_WORKERS,
    "staff_quotes.decide_price": MANAGERS,
    "staff_quotes.sign_off": QUOTE_SIGNERS,
    "staff_quotes.reassign_quote": QUOTE_WORKERS,
    "staff_quotes.mark_lost": QUOTE_WORKERS,
    # pipeline: leads (from the hotline, quotes or field sales) and field sales' visits
    "pipeline.list_leads": LEAD_VIEWERS,
    "pipeline.new_lead": LEAD_EDITORS,
    "pipeline.show_lead": LEAD_VIEWERS,
    "pipeline.assign_lead": LEAD_ASSIGNERS,
    "pipeline.lead_from_quote": LEAD_FROM_QUOTE,
    "pipeline.list_visits": VISIT_READERS,
    "pipeline.account_visits": VISIT_READERS,
    "pipeline.show_visit": VISIT_READERS,
    "pipeline.log_visit": VISIT_WRITERS,
    "pipeline.cancel_visit": VISIT_WRITERS,
    # notifications: the e-mail outbox
    "notifications.show_outbox": OUTBOX_KEEPERS,
    "notifications.retry_message": OUTBOX_KEEPERS,
    # lookup: the call centre's search; the account 360 view (its sections by FIELDS)
    "lookup.look_up": LOOKUP_ROLES,
    "lookup.show_account": STAFF_ROLES,
    # insights: an account's figures, stage and platinum; spend estimates; overrides; rules
    "insights.account": INSIGHT_READERS,
    "insights.add_estimate": SPEND_ESTIMATORS,
    "insights.override_platinum": PLATINUM_OVERRIDERS,
    "insights.settings": INSIGHT_READERS,
    "insights.change_settings": STAGE_RULE_EDITORS,
    # quotes: the buyer asks for a quote, sees the versions sent and answers them
    "quotes.list_quotes": BUYER_ROLES,
    "quotes.request_quote": BUYER_ROLES,
    "quotes.show_quote": BUYER_ROLES,
    "quotes.accept_quote": BUYER_ROLES,
    "quotes.reject_quote": BUYER_ROLES,
    "quotes.ask_for_changes": BUYER_ROLES,
    "quotes.ask_to_renew": BUYER_ROLES,
    # insights: KPIs per rep and team, coverage by stage, the forecast, and their exports
    "insights.kpis": KPI_READERS,
    "insights.export_kpis_csv": KPI_READERS,
    "insights.export_kpis_xlsx": KPI_READERS,
    "insights.forecast": KPI_READERS,
    "insights.export_forecast_csv": KPI_READERS,
    "insights.export_forecast_xlsx": KPI_READERS,
    # api: the customer admin's webhook endpoints, their deliveries and attempts
    "webhooks.list_endpoints": (CUSTOMER_ADMIN,),
    "webhooks.create_endpoint": (CUSTOMER_ADMIN,),
    "webhooks.show_endpoint": (CUSTOMER_ADMIN,),
    "webhooks.edit_endpoint": (CUSTOMER_ADMIN,),
    "webhooks.set_active": (CUSTOMER_ADMIN,),
    "webhooks.roll_secret": (CUSTOMER_ADMIN,),
    "webhooks.delete_endpoint": (CUSTOMER_ADMIN,),
    "webhooks.send_test_event": (CUSTOMER_ADMIN,),
    "webhooks.redeliver": (CUSTOMER_ADMIN,),
    # insights: the dashboard (charts, the account table) and its exports
    "insights.dashboard": INSIGHT_READERS,
    "insights.export_table": INSIGHT_READERS,
    # punchout: cXML from procurement systems, authenticated by the connection's shared
    # secret (setup, order) or a one-time start token; the cart returned in a PunchOut session;
    # staff keep an account's connections and their secrets
    "punchout.setup": PUBLIC,
    "punchout.order": PUBLIC,
    "punchout.start": PUBLIC,
    "punchout.return_cart": BUYER_ROLES,
    "punchout.connections": ACCOUNT_EDITORS,
    "punchout.roll_secret": ACCOUNT_EDITORS,
    "punchout.deactivate": ACCOUNT_EDITORS,
    "punchout.reactivate": ACCOUNT_EDITORS,
}

#: What a staff page may show -> the roles that see it.
FIELDS: dict[str, tuple[str, ...]] = {
    #: Contract number, payment term, validity.
    "contract": BUSINESS_STAFF,
    #: Negotiated prices, discounts off list, and the reasons given for them.
    "prices": CONTRACT_READERS,
    #: Order, line and invoice amounts, unit prices, payment schedules.
    "amounts": AMOUNT_READERS,
    #: Credit limit, exposure, available credit, credit hold and its reason.
    "credit": CREDIT_READERS,
    #: Payments due: the account's unpaid milestones.
    "payments": RECEIVABLES_READERS,
    #: Contacts' e-mail addresses and phone numbers.
    "contacts": BUSINESS_STAFF,
    #: Orders, their status and what blocks their release.
    "orders": BUSINESS_STAFF,
    #: Open hotline requests and their deadlines.
    "hotline": BUSINESS_STAFF,
}


def may_open(user, endpoint: str) -> bool:
    roles = PAGES[endpoint]
    return roles == PUBLIC or (user.is_authenticated and user.role in roles)


def sees(user, field: str) -> bool:
    return user.is_authenticated and user.role in FIELDS[field]


def visible_fields(user) -> frozenset[str]:
    """The FIELDS `user` sees."""
    return frozenset(field for field in FIELDS if sees(user, field))


def restricted(view):
    """Only signed-in users with a role PAGES names for the endpoint may call the view.

    Anonymous visitors are sent to sign in. A buyer-side user outside the roles gets 404, so
    the staff area and other accounts' pages give no hint that they exist; staff get 403.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            from portal.extensions import login_manager

            return login_manager.unauthorized()
        if not may_open(current_user, request.endpoint):
            abort(404 if is_buyer_side(current_user) else 403)
        return view(*args, **kwargs)

    wrapper.is_restricted = True
    return wrapper


def check_pages(app: Flask) -> None:
    """Part of the app factory: every endpoint is in PAGES and marked as PAGES says (and
    nothing in PAGES names a missing endpoint or an unknown role). Each restricted view
    carries its roles as `allowed_roles`, for the route tables and the tests."""
    endpoints = {e for e in app.view_functions if e != "static" and not e.endswith(".static")}
    problems = [f"{e}: not in PAGES" for e in sorted(endpoints - set(PAGES))]
    problems += [f"{e}: in PAGES, not a route" for e in sorted(set(PAGES) - endpoints)]
    for endpoint in sorted(endpoints & set(PAGES)):
        view, roles = app.view_functions[endpoint], PAGES[endpoint]
        if roles == PUBLIC:
            if not getattr(view, "is_public", False):
                problems.append(f"{endpoint}: PUBLIC in PAGES, not marked @public")
        elif not getattr(view, "is_restricted", False):
            problems.append(f"{endpoint}: not marked @restricted")
        elif set(roles) - set(ROLES):
            problems.append(f"{endpoint}: unknown roles {sorted(set(roles) - set(ROLES))}")
        else:
            view.allowed_roles = frozenset(roles)
    if problems:
        raise RuntimeError("access table (portal.core.access.PAGES): " + "; ".join(problems))
