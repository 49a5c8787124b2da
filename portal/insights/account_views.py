"""An account's insights page (figures, stage and reason, platinum), its spend estimates and
a director's override; the stage rules in settings. On the insights blueprint."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.core.access import may_open, restricted
from portal.core.actions import refusal_shown
from portal.core.versioning import Conflict, answer, conflict_seen
from portal.hotline.services import response_hours
from portal.insights import estimates, platinum, stages
from portal.insights.account_page import account_insights, changed_by
from portal.insights.forms import OverrideForm, SpendEstimateForm, StageRulesForm
from portal.insights.views import bp

# --- staff (buyers get 404) ---
#   GET   /staff/insights/accounts/<slug>             account            INSIGHT_READERS
#   POST  /staff/insights/accounts/<slug>/estimates   add_estimate       SPEND_ESTIMATORS
#   POST  /staff/insights/accounts/<slug>/platinum    override_platinum  PLATINUM_OVERRIDERS
#   GET   /staff/insights/settings                    settings           INSIGHT_READERS
#   POST  /staff/insights/settings                    change_settings    STAGE_RULE_EDITORS


@bp.get("/staff/insights/accounts/<slug>")
@restricted
def account(slug):
    return _account_page(account_queries.account_or_404(slug))


@bp.post("/staff/insights/accounts/<slug>/estimates")
@restricted
def add_estimate(slug):
    the_account = account_queries.account_or_404(slug)
    form = SpendEstimateForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            estimates.add_estimate(
                current_user, the_account, form.amount.data, form.as_of.data, form.source.data
            )
            flash(_("Estimate saved; wallet share and stage updated."), "success")
            return redirect(url_for(".account", slug=slug), 303)
    return _account_page(the_account, estimate_form=form)


@bp.post("/staff/insights/accounts/<slug>/platinum")
@restricted
def override_platinum(slug):
    the_account = account_queries.account_or_404(slug)
    form = OverrideForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            if form.decision.data == "end":
                platinum.end_override(current_user, the_account, form.reason.data)
            else:
                platinum.override(current_user, the_account, form.decision.data, form.reason.data)
            flash(_("Override saved and applied."), "success")
            return redirect(url_for(".account", slug=slug), 303)
    return _account_page(the_account, override_form=form)


def _account_page(the_account, estimate_form=None, override_form=None):
    view = account_insights(the_account)
    if estimate_form is None:
        estimate_form = SpendEstimateForm(formdata=None)
        estimate_form.as_of.data = the_account.local_date()
    return render_template(
        "insights/account.html",
        account=the_account,
        view=view,
        estimate_form=estimate_form,
        override_form=override_form or OverrideForm(formdata=None),
        may_estimate=may_open(current_user, "insights.add_estimate"),
        may_override=may_open(current_user, "insights.override_platinum"),
        stage_labels=stages.STAGE_LABELS,
        percent=stages.percent,
        response_hours=response_hours(the_account),
    )


@bp.get("/staff/insights/settings")
@restricted
def settings():
    the_rules = stages.rules()
    return _settings_page(StageRulesForm(formdata=None, obj=the_rules), the_rules)


@bp.post("/staff/insights/settings")
@restricted
def change_settings():
    the_rules = stages.rules()
    form = StageRulesForm()
    conflict = None
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=Conflict) as refused:
            moved = stages.change_rules(current_user, form.values(), form.expected_version())
            flash(
                _(
                    "Stage rules saved; stages assigned again (%(count)d changed).",
                    count=moved,
                ),
                "success",
            )
            return redirect(url_for(".settings"), 303)
        the_rules = stages.rules()
        conflict = conflict_seen(
            refused,
            form,
            lambda: StageRulesForm(formdata=None, obj=the_rules),
            the_rules,
            "stage_rules:1",
        )
    return _settings_page(form, the_rules, conflict)


def _settings_page(form, the_rules, conflict=None):
    return answer(
        "insights/settings.html",
        conflict,
        form=form,
        rules=the_rules,
        changed_by=changed_by(the_rules),
        sentences=stages.rule_sentences(the_rules),
        may_change=may_open(current_user, "insights.change_settings"),
    )
