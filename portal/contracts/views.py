"""Contracts: the contract page with its price rules, rule editing, and price approvals."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.contracts import queries, services
from portal.contracts.forms import ContractForm, DecisionForm, RemoveRuleForm, RuleForm
from portal.contracts.permissions import PROPOSAL_DECIDERS, can_decide, can_edit_prices
from portal.core.errors import ServiceError
from portal.core.permissions import ACCOUNT_EDITORS, STAFF_ROLES, allow

bp = Blueprint("contracts", __name__)

#   GET POST  /staff/accounts/<slug>/contracts/new              create_contract
#   GET       /staff/contracts/<id>                             show_contract
#   GET POST  /staff/contracts/<id>/edit                        edit_contract
#   GET POST  /staff/contracts/<id>/rules/new                   create_rule
#   GET POST  /staff/contracts/<id>/rules/<rule_id>             edit_rule
#   POST      /staff/contracts/<id>/rules/<rule_id>/remove      remove_rule
#   GET       /staff/approvals                                  list_proposals
#   POST      /staff/approvals/<rule_id>                        decide_proposal

@bp.route("/staff/accounts/<slug>/contracts/new", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
def create_contract(slug):
    account = account_queries.account_or_404(slug)
    form = ContractForm(terms=queries.payment_terms(), currency=account.currency)
    if form.validate_on_submit():
        try:
            contract = services.save_contract(current_user, account, None, form.values())
        except ServiceError as error:
            _show_error(form, error)
        else:
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
        days_left=queries.days_left(contract, today),
        today=today,
        events=queries.audit_trail(f"contract:{contract.id}"),
        can_edit=can_edit_prices(current_user),
    )


@bp.route("/staff/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
def edit_contract(contract_id):
    contract = queries.contract_or_404(contract_id)
    form = ContractForm(obj=contract, terms=queries.payment_terms())
    if request.method == "GET":
        form.version.data = contract.version
        form.credit_limit.data = f"{contract.credit_limit_amount:f}"
    if form.validate_on_submit():
        try:
            services.save_contract(
                current_user, contract.account, contract, form.values(), form.expected_version()
            )
        except services.Conflict as error:
            return _conflict(error, url_for(".edit_contract", contract_id=contract.id))
        except ServiceError as error:
            _show_error(form, error)
        else:
            flash(_("Contract saved."), "success")
            return redirect(url_for(".show_contract", contract_id=contract.id))
    return render_template(
        "contracts/contract_form.html", form=form, account=contract.account, contract=contract
    )


@bp.route("/staff/contracts/<int:contract_id>/rules/new", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
def create_rule(contract_id):
    contract = queries.contract_or_404(contract_id)
    return _rule_page(contract, None)


@bp.route("/staff/contracts/<int:contract_id>/rules/<int:rule_id>", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
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
        form.value.data = f"{rule.value.normalize():f}"
        form.reason.data = ""
    if form.validate_on_submit():
        try:
            sku = form.sku.data if form.target.data == "sku" else None
            values = {**form.values(), **services.target_values(sku, form.category.data)}
            saved = services.save_rule(
                current_user, contract, rule, values, form.reason.data, form.expected_version()
            )
        except services.Conflict as error:
            return _conflict(error, request.path)
        except ServiceError as error:
            _show_error(form, error)
        else:
            if saved.status == "proposed":
                flash(
                    _("This discount is beyond your authority: it was sent for approval. "
                      "The current price stays in force until it is approved."),
                    "warning",
                )
            else:
                flash(_("Price rule saved and in force."), "success")
            return redirect(url_for(".show_contract", contract_id=contract.id))
    return render_template("contracts/rule_form.html", form=form, contract=contract, rule=rule)


@bp.post("/staff/contracts/<int:contract_id>/rules/<int:rule_id>/remove")
@allow(*ACCOUNT_EDITORS)
def remove_rule(contract_id, rule_id):
    contract = queries.contract_or_404(contract_id)
    rule = queries.rule_of_contract_or_404(contract, rule_id)
    form = RemoveRuleForm()
    if not form.validate_on_submit():
        flash(_("Say why the rule is removed."), "danger")
        return redirect(url_for(".edit_rule", contract_id=contract.id, rule_id=rule.id))
    try:
        services.remove_rule(current_user, rule, form.reason.data, form.expected_version())
    except services.Conflict as error:
        return _conflict(error, url_for(".edit_rule", contract_id=contract.id, rule_id=rule.id))
    flash(_("Price rule removed; the list price applies again."), "success")
    return redirect(url_for(".show_contract", contract_id=contract.id))


@bp.get("/staff/approvals")
@allow(*ACCOUNT_EDITORS)
def list_proposals():
    proposals = queries.open_proposals()
    return render_template(
        "contracts/approvals.html",
        proposals=proposals,
        depths=queries.depths(proposals + [p.replaces for p in proposals if p.replaces]),
        can_decide=can_decide,
        form=DecisionForm(),
    )


@bp.post("/staff/approvals/<int:rule_id>")
@allow(*PROPOSAL_DECIDERS)
def decide_proposal(rule_id):
    proposal = queries.proposal_or_404(rule_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Write a comment for the author and the audit trail."), "danger")
        return redirect(url_for(".list_proposals"))
    try:
        services.decide_proposal(current_user, proposal, bool(form.approve.data), form.comment.data)
    except ServiceError as error:
        flash(error.message, "danger")
    else:
        flash(_("Proposal approved: the price is in force.") if form.approve.data
              else _("Proposal rejected."), "success")
    return redirect(url_for(".list_proposals"))


def _conflict(error, retry_url):
    return render_template("contracts/conflict.html", message=error.message, retry=retry_url), 409


def _show_error(form, error: ServiceError) -> None:
    field = form[error.field] if error.field and error.field in form else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "danger")
