"""Contracts: the contract page with its price rules, rule editing, and price approvals."""

import base64
from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.catalog.forms import SearchForm
from portal.contracts import imports, queries, services
from portal.contracts.forms import (
    ContractForm,
    DecisionForm,
    ImportForm,
    RemoveRuleForm,
    RuleForm,
    TermForm,
)
from portal.contracts.import_rows import value_text
from portal.contracts.permissions import (
    PROPOSAL_DECIDERS,
    can_approve,
    can_decide,
    can_edit_prices,
)
from portal.contracts.pricing import NO_CONTRACT, PricedLine, explain, price_products
from portal.contracts.rule_checks import Unlikely
from portal.core.actions import refusal_shown
from portal.core.money import plain
from portal.core.permissions import ACCOUNT_EDITORS, BUYER_ROLES, STAFF_ROLES, SYSADMIN, allow
from portal.core.reauth import fresh_sign_in

bp = Blueprint("contracts", __name__)

# --- staff: contracts, price rules, price approvals, audit, payment terms ---
#   GET       /staff/accounts/<slug>/contracts          list_contracts   STAFF_ROLES
#   GET POST  /staff/accounts/<slug>/contracts/new      create_contract  ACCOUNT_EDITORS
#   GET       /staff/contracts/<id>                     show_contract    STAFF_ROLES
#   GET POST  /staff/contracts/<id>/edit                edit_contract    ACCOUNT_EDITORS
#   GET POST  /staff/contracts/<id>/rules/new           create_rule      ACCOUNT_EDITORS
#   GET POST  /staff/contracts/<id>/rules/<rule_id>     edit_rule        ACCOUNT_EDITORS
#   POST      /staff/contracts/<id>/rules/<rule_id>/remove  remove_rule  ACCOUNT_EDITORS
#   GET POST  /staff/contracts/<id>/import              import_rules     ACCOUNT_EDITORS
#   GET       /staff/contracts/<id>/rules.csv           export_rules     ACCOUNT_EDITORS
#   GET       /staff/approvals                          list_proposals   ACCOUNT_EDITORS
#   POST      /staff/approvals/<rule_id>                decide_proposal  PROPOSAL_DECIDERS
#   GET       /staff/audit                              audit_trail      ACCOUNT_EDITORS,SYSADMIN
#   GET       /staff/payment-terms                      list_terms       STAFF_ROLES
#   GET POST  /staff/payment-terms/new                  create_term      ACCOUNT_EDITORS
#   GET POST  /staff/payment-terms/<term_id>            edit_term        ACCOUNT_EDITORS
# A rule import is checked first, then applied whole.
# --- buyer side (a buyer of another account gets 404 from account_or_404) ---
#   GET       /a/<slug>/catalog                         browse_catalog   BUYER_ROLES
#   GET       /a/<slug>/products/<sku>                  show_product     BUYER_ROLES


@bp.get("/staff/accounts/<slug>/contracts")
@allow(*STAFF_ROLES)
def list_contracts(slug):
    account = account_queries.account_or_404(slug)
    contracts = queries.contracts_of(account)
    today = services.today_for(account)
    return render_template(
        "contracts/list.html",
        account=account,
        contracts=contracts,
        countdowns={c.id: queries.countdown(c, today) for c in contracts},
        can_edit=can_edit_prices(current_user),
    )


@bp.route("/staff/accounts/<slug>/contracts/new", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
@fresh_sign_in
def create_contract(slug):
    account = account_queries.account_or_404(slug)
    form = ContractForm(terms=queries.payment_terms(), currency=account.currency)
    if form.validate_on_submit():
        with refusal_shown(form):
            contract = services.save_contract(current_user, account, None, form.values())
            flash(_("Contract %(number)s created.", number=contract.number), "success")
            return redirect(url_for(".show_contract", contract_id=contract.id))
    return render_template("contracts/contract_form.html", form=form, account=account)


@bp.get("/staff/contracts/<int:contract_id>")
@allow(*STAFF_ROLES)
def show_contract(contract_id):
    contract = queries.contract_or_404(contract_id)
    rules = queries.rules_of(contract)
    today = services.today_for(contract.account)
    return render_template(
        "contracts/show.html",
        contract=contract,
        rules=rules,
        depths=queries.depths(rules),
        countdown=queries.countdown(contract, today),
        today=today,
        events=queries.audit_trail(f"contract:{contract.id}"),
        can_edit=can_edit_prices(current_user),
    )


@bp.route("/staff/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
@fresh_sign_in
def edit_contract(contract_id):
    contract = queries.contract_or_404(contract_id)
    form = ContractForm(obj=contract, terms=queries.payment_terms())
    if request.method == "GET":
        form.version.data = contract.version
        form.credit_limit.data = plain(contract.credit_limit_amount, contract.currency)
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=services.Conflict) as refused:
            services.save_contract(
                current_user, contract.account, contract, form.values(), form.expected_version()
            )
            flash(_("Contract saved."), "success")
            return redirect(url_for(".show_contract", contract_id=contract_id))
        if isinstance(refused.error, services.Conflict):
            return _conflict(refused.error, url_for(".edit_contract", contract_id=contract_id))
    return render_template(
        "contracts/contract_form.html", form=form, account=contract.account, contract=contract
    )


@bp.route("/staff/contracts/<int:contract_id>/rules/new", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
@fresh_sign_in
def create_rule(contract_id):
    contract = queries.contract_or_404(contract_id)
    return _rule_page(contract, None)


@bp.route("/staff/contracts/<int:contract_id>/rules/<int:rule_id>", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
@fresh_sign_in
def edit_rule(contract_id, rule_id):
    contract = queries.contract_or_404(contract_id)
    return _rule_page(contract, queries.rule_of_contract_or_404(contract, rule_id))


def _rule_page(contract, rule):
    form = RuleForm(obj=rule, categories=queries.categories())
    if request.method == "GET" and rule is not None:
        form.version.data = rule.version
        form.target.data = "sku" if rule.product_id else "category"
        form.sku.data = rule.product.sku if rule.product_id else ""
        form.category.data = rule.category.name if rule.category_id else ""
        form.value.data = value_text(rule.kind, rule.value, contract.currency)
        form.reason.data = ""
    unlikely = False
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=services.Conflict) as refused:
            sku = form.sku.data if form.target.data == "sku" else None
            values = {**form.values(), **services.target_values(sku, form.category.data)}
            saved = services.save_rule(
                current_user,
                contract,
                rule,
                values,
                form.reason.data,
                form.expected_version(),
                confirmed=form.confirm.data,
            )
            if saved.status == "proposed":
                flash(
                    _(
                        "This discount is beyond your authority: it was sent for approval. "
                        "The current price stays in force until it is approved."
                    ),
                    "warning",
                )
            else:
                flash(_("Price rule saved and in force."), "success")
            return redirect(url_for(".show_contract", contract_id=contract.id))
        if isinstance(refused.error, services.Conflict):
            return _conflict(refused.error, request.path)
        unlikely = isinstance(refused.error, Unlikely)
    return render_template(
        "contracts/rule_form.html",
        form=form,
        contract=contract,
        rule=rule,
        ask_to_confirm=unlikely or form.confirm.data,
    )


@bp.post("/staff/contracts/<int:contract_id>/rules/<int:rule_id>/remove")
@allow(*ACCOUNT_EDITORS)
@fresh_sign_in
def remove_rule(contract_id, rule_id):
    contract = queries.contract_or_404(contract_id)
    rule = queries.rule_of_contract_or_404(contract, rule_id)
    form = RemoveRuleForm()
    back = url_for(".edit_rule", contract_id=contract_id, rule_id=rule_id)
    if not form.validate_on_submit():
        flash(_("Say why the rule is removed."), "danger")
        return redirect(back)
    with refusal_shown(view_shows=services.Conflict) as refused:
        services.remove_rule(current_user, rule, form.reason.data, form.expected_version())
        flash(_("Price rule removed; the list price applies again."), "success")
        return redirect(url_for(".show_contract", contract_id=contract_id))
    if isinstance(refused.error, services.Conflict):
        return _conflict(refused.error, back)
    return redirect(back)


@bp.route("/staff/contracts/<int:contract_id>/import", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
# Asked when the checked file is applied, not when it is uploaded (a file cannot be re-sent).
@fresh_sign_in(when=lambda: "apply" in request.form)
def import_rules(contract_id):
    """Upload a CSV: every row is checked and shown; only a clean file can be applied, and it is
    applied whole. The checked file travels back with the page (base64), so the rows applied
    are the rows shown, and `state` turns a change by someone else meanwhile into a conflict."""
    contract = queries.contract_or_404(contract_id)
    form = ImportForm()
    preview = data = None
    if form.validate_on_submit():
        data = form.data_bytes()
        if form.apply.data:
            shown_here = (services.Conflict, imports.ImportRejected)
            with refusal_shown(form, view_shows=shown_here) as refused:
                result = imports.apply_import(
                    current_user,
                    contract,
                    data,
                    form.reason.data or "",
                    form.state.data,
                    confirmed=form.confirm.data,
                )
                flash(
                    _(
                        "Imported: %(created)d new, %(updated)d changed, %(proposed)d sent for "
                        "approval, %(unchanged)d unchanged.",
                        **vars(result),
                    ),
                    "success",
                )
                return redirect(url_for(".show_contract", contract_id=contract.id))
            if isinstance(refused.error, services.Conflict):
                return _conflict(refused.error, url_for(".import_rules", contract_id=contract_id))
            if isinstance(refused.error, imports.ImportRejected):
                preview = refused.error.preview
            else:
                preview = imports.preview_import(current_user, contract, data)
        else:
            preview = imports.preview_import(current_user, contract, data)
    return render_template(
        "contracts/import.html",
        contract=contract,
        form=form,
        preview=preview,
        encoded=base64.b64encode(data).decode() if preview and preview.is_valid else None,
    )


@bp.get("/staff/contracts/<int:contract_id>/rules.csv")
@allow(*ACCOUNT_EDITORS)
def export_rules(contract_id):
    contract = queries.contract_or_404(contract_id)
    response = Response(imports.export_rules_csv(contract), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{contract.number}-price-rules.csv"'
    )
    return response


@bp.get("/staff/approvals")
@allow(*ACCOUNT_EDITORS)
def list_proposals():
    return render_template(
        "contracts/approvals.html",
        proposals=queries.open_proposals(),
        can_decide=can_decide,
        can_approve=can_approve,
        form=DecisionForm(),
    )


@bp.post("/staff/approvals/<int:rule_id>")
@allow(*PROPOSAL_DECIDERS)
@fresh_sign_in
def decide_proposal(rule_id):
    proposal = queries.proposal_or_404(rule_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Write a comment for the author and the audit trail."), "danger")
        return redirect(url_for(".list_proposals"))
    with refusal_shown():
        services.decide_proposal(current_user, proposal, bool(form.approve.data), form.comment.data)
        flash(
            _("Proposal approved: the price is in force.")
            if form.approve.data
            else _("Proposal rejected."),
            "success",
        )
    return redirect(url_for(".list_proposals"))


@bp.get("/staff/audit")
@allow(*ACCOUNT_EDITORS, SYSADMIN)
def audit_trail():
    """Every recorded change and sensitive read (lookups and account views included,
    SECURITY.md 18): account editors and sysadmins, who supervise the staff who act on
    customers' data, read it; filters by object, action, actor and UTC dates."""
    filters = {
        name: request.args.get(name, "").strip()[:120]
        for name in ("target", "action", "actor", "since", "until")
    }
    before = request.args.get("before", type=int)
    limit = 200
    events = queries.audit_events(
        filters["target"],
        filters["action"],
        limit,
        before,
        actor=filters["actor"],
        on_or_after=_day(filters["since"]),
        on_or_before=_day(filters["until"]),
    )
    return render_template("contracts/audit.html", events=events, limit=limit, **filters)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.get("/staff/payment-terms")
@allow(*STAFF_ROLES)
def list_terms():
    return render_template(
        "contracts/terms.html",
        terms=queries.terms_with_milestones(),
        contracts=queries.contracts_per_term(),
        can_edit=can_edit_prices(current_user),
    )


@bp.route("/staff/payment-terms/new", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
def create_term():
    return _term_page(None)


@bp.route("/staff/payment-terms/<int:term_id>", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
def edit_term(term_id):
    return _term_page(queries.term_or_404(term_id))


def _term_page(term):
    if request.method == "GET" and term is not None:
        form = TermForm(data=_term_data(term))
    else:
        form = TermForm()
    if form.more_rows.data:
        _add_rows(form, len(form.milestones.entries) + 3)
    elif form.validate_on_submit():
        with refusal_shown(form):
            saved = services.save_term(current_user, term, form.values())
            flash(_("Payment term %(name)s saved.", name=saved.name), "success")
            return redirect(url_for(".list_terms"))
    filled = sum(not entry.form.is_blank() for entry in form.milestones.entries)
    _add_rows(form, max(4, filled + 2))
    return render_template("contracts/terms_form.html", form=form, term=term)


def _term_data(term) -> dict:
    return {
        "code": term.code,
        "name": term.name,
        "needs_letter_of_credit": term.needs_letter_of_credit,
        "milestones": [
            {
                "label": m.label,
                "share": f"{m.share_percent.normalize():f}",
                "event": m.event,
                "days": str(m.days),
            }
            for m in term.milestones
        ],
    }


def _add_rows(form, wanted: int) -> None:
    """Empty milestone rows up to `wanted` (at most the form's maximum)."""
    while len(form.milestones.entries) < min(wanted, TermForm.MAX_ROWS):
        form.milestones.append_entry()


@bp.get("/a/<slug>/catalog")
@allow(*BUYER_ROLES)
def browse_catalog(slug):
    account = account_queries.account_or_404(slug)
    on = services.today_for(account)
    assortment = queries.assortment(account.id, on)
    form = SearchForm(request.args, categories=queries.categories_visible_to(assortment))
    page = queries.catalog_page(
        assortment,
        q=form.query,
        category_id=form.category.data,
        page=request.args.get("page", 1, type=int),
        per_page=queries.BUYER_PER_PAGE,
    )
    pricing = price_products(account.id, [product.sku for product in page.items], on)
    return render_template(
        "contracts/catalog.html",
        account=account,
        form=form,
        page=page,
        lines=dict(zip([p.sku for p in page.items], pricing.lines, strict=True)),
        terms=pricing.terms,
        no_contract=_no_contract_message(pricing),
        countdown=queries.countdown(pricing.terms, on),
    )


@bp.get("/a/<slug>/products/<sku>")
@allow(*BUYER_ROLES)
def show_product(slug, sku):
    account = account_queries.account_or_404(slug)
    on = services.today_for(account)
    product = queries.visible_product_or_404(account.id, sku, on)
    pricing = price_products(account.id, [product.sku], on)
    line = pricing.lines[0]
    return render_template(
        "contracts/product.html",
        account=account,
        product=product,
        line=line,
        terms=pricing.terms,
        explanation=explain(line, pricing.terms),
        countdown=queries.countdown(pricing.terms, on),
    )


def _no_contract_message(pricing) -> str | None:
    """Why nothing on the page has a contract price, when no contract is in force."""
    if pricing.terms is not None:
        return None
    if pricing.lines:
        return explain(pricing.lines[0], None)
    return explain(PricedLine("", 1, None, None, None, None, None, None, NO_CONTRACT), None)


def _conflict(error, retry_url):
    return render_template("contracts/conflict.html", message=error.message, retry=retry_url), 409
