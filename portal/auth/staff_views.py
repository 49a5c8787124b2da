"""Staff administration: sysadmins add, change, deactivate and reactivate members of staff,
and keep the teams.
"""

from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import queries, staff_users
from portal.auth.staff_forms import (
    ActiveForm,
    NewStaffUserForm,
    NewTeamForm,
    StaffFilterForm,
    StaffUserForm,
    TeamForm,
)
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.dates import format_moment
from portal.core.exports import table_response
from portal.core.permissions import STAFF_ROLES, role_label
from portal.core.reauth import fresh_sign_in
from portal.core.versioning import Conflict, answer, conflict_seen

bp = Blueprint("staff_users", __name__)

# --- staff users and teams (sysadmins) ---
#   GET       /staff/users?export=csv|xlsx                 list_users        STAFF_ADMINS
#   GET POST  /staff/users/new                             create_user       STAFF_ADMINS
#   GET POST  /staff/users/<staff_id>                      edit_user         STAFF_ADMINS
#   GET POST  /staff/users/<staff_id>/deactivate           deactivate_user   STAFF_ADMINS
#   POST      /staff/users/<staff_id>/reactivate           reactivate_user   STAFF_ADMINS
#   GET POST  /staff/teams                                 list_teams        STAFF_ADMINS
#   POST      /staff/teams/<team_id>                       edit_team         STAFF_ADMINS
# Changing a user asks for a fresh sign-in (core.reauth). Forms of a user carry its version: a
# save based on an older one shows the form again as typed, with what changed meanwhile.


@bp.get("/staff/users")
@restricted
def list_users():
    teams = [team for team, _members in queries.teams()]
    form = StaffFilterForm(request.args, teams=teams)
    chosen = queries.StaffFilter(
        role=form.role.data if form.role.data in STAFF_ROLES else "",
        team_id=form.team.data,
        state=form.state.data or "",
        text=(form.q.data or "")[:100],
    )
    rows = queries.staff_rows(chosen)
    export = request.args.get("export")
    if export is not None:
        if export not in ("csv", "xlsx"):
            abort(404)
        return _export(export, rows)
    return render_template("auth/staff_users.html", form=form, rows=rows)


def _export(file_format: str, rows):
    columns = [
        ("name", _("Name"), "text"),
        ("email", _("E-mail"), "text"),
        ("role", _("Role"), "text"),
        ("team", _("Team"), "text"),
        ("discount_authority_percent", _("Discount authority"), "percent"),
        ("time_zone", _("Time zone"), "text"),
        ("active", _("Active"), "text"),
        ("last_sign_in", _("Last sign-in"), "text"),
    ]
    zone = current_app.config["COMPANY_TIME_ZONE"]
    table = (
        (
            (
                row.user.name,
                row.user.email,
                role_label(row.user.role) if file_format == "xlsx" else row.user.role,
                row.user.team.name if row.user.team else "",
                row.user.discount_authority_percent.quantize(Decimal("0.01")),
                row.user.time_zone or zone,
                "yes" if row.user.is_active else "no",
                format_moment(row.last_sign_in, labelled=True) if row.last_sign_in else None,
            ),
            "",
        )
        for row in rows
    )
    return table_response(file_format, "staff-users", _("Staff users"), columns, table)


@bp.route("/staff/users/new", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def create_user():
    form = NewStaffUserForm(teams=queries.team_choices(), company_zone=_company_zone())
    if form.validate_on_submit():
        with refusal_shown(form):
            user = staff_users.create_staff_user(current_user, form.values())
            flash(
                _("User %(email)s created and sent a link to set a password.", email=user.email),
                "success",
            )
            return redirect(url_for(".list_users"))
    return answer("auth/staff_user_form.html", form=form, user=None)


@bp.route("/staff/users/<int:staff_id>", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def edit_user(staff_id):
    user = queries.staff_user_or_404(staff_id)
    form = _user_form(user, formdata=None) if request.method == "GET" else _user_form(user)
    conflict = None
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=Conflict) as refused:
            staff_users.update_staff_user(
                current_user, user, form.values(), form.expected_version()
            )
            flash(_("Changes to %(email)s saved.", email=user.email), "success")
            return redirect(url_for(".list_users"))
        conflict = conflict_seen(
            refused, form, lambda: _user_form(user, formdata=None), user, f"user:{user.id}"
        )
    return answer(
        "auth/staff_user_form.html",
        conflict,
        form=form,
        user=user,
        active_form=ActiveForm(obj=user, formdata=None),
    )


def _user_form(user, **kwargs) -> StaffUserForm:
    form = StaffUserForm(
        obj=user, teams=queries.team_choices(user), company_zone=_company_zone(), **kwargs
    )
    if kwargs.get("formdata", True) is None:  # the form as it shows the user now
        form.discount_authority.data = user.discount_authority_percent.normalize()
    return form


def _company_zone() -> str:
    return current_app.config["COMPANY_TIME_ZONE"]


@bp.route("/staff/users/<int:staff_id>/deactivate", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def deactivate_user(staff_id):
    """A confirmation page first: how many accounts still name the user as their rep."""
    user = queries.staff_user_or_404(staff_id)
    form = ActiveForm(obj=user) if request.method == "POST" else ActiveForm(obj=user, formdata=None)
    status = 200
    if form.validate_on_submit():
        with refusal_shown(form):
            staff_users.deactivate_staff_user(current_user, user, form.expected_version())
            flash(_("%(name)s is deactivated and signed out.", name=user.name), "success")
            return redirect(url_for(".edit_user", staff_id=user.id))
        status = 422
        form = ActiveForm(obj=user, formdata=None)
    page = render_template(
        "auth/staff_deactivate.html",
        form=form,
        user=user,
        reps=queries.rep_counts(user),
        refused=staff_users.deactivation_refused(current_user, user),
    )
    return page, status


@bp.post("/staff/users/<int:staff_id>/reactivate")
@restricted
@fresh_sign_in
def reactivate_user(staff_id):
    user = queries.staff_user_or_404(staff_id)
    form = ActiveForm(obj=user)
    if form.validate_on_submit():
        with refusal_shown(form):
            staff_users.reactivate_staff_user(current_user, user, form.expected_version())
            flash(_("%(name)s is active again.", name=user.name), "success")
    return redirect(url_for(".edit_user", staff_id=user.id))


@bp.route("/staff/teams", methods=["GET", "POST"])
@restricted
def list_teams():
    new = NewTeamForm()
    status = 200
    if new.validate_on_submit():
        with refusal_shown(new):
            team = staff_users.create_team(current_user, new.name.data)
            flash(_("Team %(name)s added.", name=team.name), "success")
            return redirect(url_for(".list_teams"))
        status = 422
    elif new.is_submitted():
        status = 422
    return _teams_page(new, status)


@bp.post("/staff/teams/<int:team_id>")
@restricted
def edit_team(team_id):
    team = queries.team_or_404(team_id)
    form = TeamForm(prefix=_prefix(team))
    if form.validate_on_submit():
        with refusal_shown(form):
            staff_users.update_team(current_user, team, form.name.data, form.is_active.data)
            flash(_("Team %(name)s saved.", name=team.name), "success")
            return redirect(url_for(".list_teams"))
    return _teams_page(NewTeamForm(formdata=None), 422, failed=(team.id, form))


def _teams_page(new, status, failed=None):
    rows = []
    for team, members in queries.teams():
        is_failed = failed is not None and failed[0] == team.id
        form = failed[1] if is_failed else TeamForm(obj=team, formdata=None, prefix=_prefix(team))
        rows.append((team, members, form))
    return render_template("auth/staff_teams.html", new=new, rows=rows), status


def _prefix(team) -> str:
    """Each team's row is a form of its own: its fields' names and ids are the team's."""
    return f"team{team.id}-"
