"""Accounts: staff account screens, account branding, and user management on both sides."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries, services
from portal.accounts.forms import (
    AccountForm,
    AddressForm,
    EditAccountForm,
    NewStaffUserForm,
    NewUserForm,
    PasswordForm,
    StaffUserForm,
    UserForm,
)
from portal.accounts.permissions import can_edit_account, can_manage_users_of
from portal.core.actions import refusal_shown
from portal.core.images import image_response
from portal.core.money import plain
from portal.core.permissions import (
    ACCOUNT_EDITORS,
    BUYER_ROLES,
    CUSTOMER_ADMIN,
    STAFF_ROLES,
    SYSADMIN,
    allow,
    public,
    require,
)
from portal.core.reauth import fresh_sign_in

bp = Blueprint("accounts", __name__)

# --- staff ---
#   GET       /staff/accounts                               list_accounts         STAFF_ROLES
#   GET POST  /staff/accounts/new                           create_account        ACCOUNT_EDITORS
#   GET POST  /staff/accounts/<slug>/edit                   edit_account          ACCOUNT_EDITORS
#   GET POST  /staff/accounts/<slug>/users/new              staff_create_user     ACCOUNT_EDITORS
#   GET POST  /staff/accounts/<slug>/users/<id>             staff_edit_user       ACCOUNT_EDITORS
#   POST      /staff/accounts/<slug>/users/<id>/password    staff_set_password    ACCOUNT_EDITORS
#   POST      /staff/accounts/<slug>/addresses              staff_add_address     ACCOUNT_EDITORS
#   POST      /staff/accounts/<slug>/addresses/<id>/delete  staff_remove_address  ACCOUNT_EDITORS
#   GET       /staff/users                                  list_staff_users      SYSADMIN
#   GET POST  /staff/users/new                              create_staff_user     SYSADMIN
#   GET POST  /staff/users/<staff_id>                       edit_staff_user       SYSADMIN
# The account 360 view, /staff/accounts/<slug>, is lookup's (lookup.show_account).
# --- buyer side (a buyer of another account gets 404 from account_or_404) ---
#   GET       /a/<slug>/logo                                logo                  public
#   GET       /a/<slug>/theme.css                           theme                 public
#   GET       /a/<slug>/users                               list_users            CUSTOMER_ADMIN
#   GET POST  /a/<slug>/users/new                           create_user           CUSTOMER_ADMIN
#   GET POST  /a/<slug>/users/<id>                          edit_user             CUSTOMER_ADMIN
#   POST      /a/<slug>/users/<id>/password                 set_password          CUSTOMER_ADMIN
#   POST      /a/<slug>/addresses                           add_address           CUSTOMER_ADMIN
#   POST      /a/<slug>/addresses/<id>/delete               remove_address        CUSTOMER_ADMIN


@bp.get("/staff/accounts")
@allow(*STAFF_ROLES)
def list_accounts():
    return render_template(
        "accounts/list.html", accounts=queries.accounts_for_staff(), can_edit=can_edit_account
    )


@bp.route("/staff/accounts/new", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
def create_account():
    form = AccountForm(reps=queries.rep_choices())
    if form.validate_on_submit():
        with refusal_shown(form):
            first_user = form.first_user()
            account = services.create_account(
                current_user, form.values(), _upload(form), first_user=first_user
            )
            if first_user:
                flash(
                    _(
                        "Account %(name)s created; %(email)s was sent a link to set a password.",
                        name=account.name,
                        email=first_user["email"],
                    ),
                    "success",
                )
            else:
                flash(_("Account %(name)s created.", name=account.name), "success")
            return redirect(url_for("lookup.show_account", slug=account.slug))
    return render_template("accounts/account_form.html", form=form, account=None)


@bp.route("/staff/accounts/<slug>/edit", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
def edit_account(slug):
    account = queries.account_or_404(slug, with_details=True)
    form = EditAccountForm(obj=account, reps=queries.rep_choices())
    if form.validate_on_submit():
        with refusal_shown(form):
            services.update_account(current_user, account, form.values(), _upload(form))
            flash(_("Changes saved."), "success")
            return redirect(url_for("lookup.show_account", slug=account.slug))
        # Refused: the page reads the account (and its addresses) again.
        account = queries.account_or_404(slug, with_details=True)
    return render_template(
        "accounts/account_form.html",
        form=form,
        account=account,
        users=queries.users_of(account),
        address_form=AddressForm(),
    )


def _upload(form) -> bytes | None:
    file = form.logo.data
    return file.read() if file and file.filename else None


@bp.get("/staff/users")
@allow(SYSADMIN)
def list_staff_users():
    return render_template("accounts/staff_users.html", users=queries.staff_users())


@bp.route("/staff/users/new", methods=["GET", "POST"])
@allow(SYSADMIN)
@fresh_sign_in
def create_staff_user():
    form = NewStaffUserForm(roles=STAFF_ROLES)
    if form.validate_on_submit():
        with refusal_shown(form):
            user = services.create_staff_user(current_user, form.values())
            flash(
                _("User %(email)s created and sent a link to set a password.", email=user.email),
                "success",
            )
            return redirect(url_for(".list_staff_users"))
    return render_template("accounts/staff_user_form.html", form=form, user=None)


@bp.route("/staff/users/<int:staff_id>", methods=["GET", "POST"])
@allow(SYSADMIN)
@fresh_sign_in
def edit_staff_user(staff_id):
    user = queries.staff_user_or_404(staff_id)
    form = StaffUserForm(obj=user, roles=STAFF_ROLES)
    if request.method == "GET":
        form.discount_authority.data = user.discount_authority_percent.normalize()
    if form.validate_on_submit():
        with refusal_shown(form):
            services.update_staff_user(current_user, user, form.values())
            flash(_("Changes to %(email)s saved.", email=user.email), "success")
            return redirect(url_for(".list_staff_users"))
    return render_template("accounts/staff_user_form.html", form=form, user=user)


@bp.get("/a/<slug>/logo")
@public
def logo(slug):
    account = queries.account_or_404(slug)
    found = services.logo_of(account)
    if found is None:
        abort(404)
    return image_response(*found)


@bp.get("/a/<slug>/theme.css")
@public
def theme(slug):
    """The account's brand colour as CSS: a stylesheet, so the CSP needs no inline styles."""
    account = queries.account_or_404(slug)
    colour = account.brand_colour
    rgb = ", ".join(str(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    css = render_template("accounts/theme.css", account=account, ink=_ink(colour), rgb=rgb)
    response = Response(css, mimetype="text/css")
    response.cache_control.max_age = 300
    return response


def _ink(colour: str) -> str:
    """Black or white, whichever reads better on the brand colour (WCAG relative luminance)."""
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def channel(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    return "#000000" if luminance > 0.4 else "#ffffff"


# User management, the same on both sides: staff pages for any account, /a/<slug>/users for
# the account's own customer admins.


@bp.get("/a/<slug>/users")
@allow(CUSTOMER_ADMIN)
def list_users(slug):
    account = _managed_account(slug)
    return render_template(
        "accounts/users.html",
        account=account,
        users=queries.users_of(account),
        address_form=AddressForm(),
        addresses=account.addresses,
    )


@bp.route("/a/<slug>/users/new", methods=["GET", "POST"])
@allow(CUSTOMER_ADMIN)
@fresh_sign_in
def create_user(slug):
    return _create_user_page(_managed_account(slug), back=url_for(".list_users", slug=slug))


@bp.route("/staff/accounts/<slug>/users/new", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
@fresh_sign_in
def staff_create_user(slug):
    return _create_user_page(_managed_account(slug), back=url_for(".edit_account", slug=slug))


@bp.route("/a/<slug>/users/<int:user_id>", methods=["GET", "POST"])
@allow(CUSTOMER_ADMIN)
@fresh_sign_in
def edit_user(slug, user_id):
    account = _managed_account(slug)
    back = url_for(".list_users", slug=slug)
    return _edit_user_page(account, queries.user_of_account_or_404(account, user_id), back)


@bp.route("/staff/accounts/<slug>/users/<int:user_id>", methods=["GET", "POST"])
@allow(*ACCOUNT_EDITORS)
@fresh_sign_in
def staff_edit_user(slug, user_id):
    account = _managed_account(slug)
    back = url_for(".edit_account", slug=slug)
    return _edit_user_page(account, queries.user_of_account_or_404(account, user_id), back)


@bp.post("/a/<slug>/users/<int:user_id>/password")
@allow(CUSTOMER_ADMIN)
@fresh_sign_in
def set_password(slug, user_id):
    return _set_password(slug, user_id, ".edit_user")


@bp.post("/staff/accounts/<slug>/users/<int:user_id>/password")
@allow(*ACCOUNT_EDITORS)
@fresh_sign_in
def staff_set_password(slug, user_id):
    return _set_password(slug, user_id, ".staff_edit_user")


@bp.post("/a/<slug>/addresses")
@allow(CUSTOMER_ADMIN)
def add_address(slug):
    return _add_address(slug, url_for(".list_users", slug=slug))


@bp.post("/staff/accounts/<slug>/addresses")
@allow(*ACCOUNT_EDITORS)
def staff_add_address(slug):
    return _add_address(slug, url_for(".edit_account", slug=slug))


@bp.post("/a/<slug>/addresses/<int:address_id>/delete")
@allow(CUSTOMER_ADMIN)
def remove_address(slug, address_id):
    return _remove_address(slug, address_id, url_for(".list_users", slug=slug))


@bp.post("/staff/accounts/<slug>/addresses/<int:address_id>/delete")
@allow(*ACCOUNT_EDITORS)
def staff_remove_address(slug, address_id):
    return _remove_address(slug, address_id, url_for(".edit_account", slug=slug))


def _managed_account(slug):
    account = queries.account_or_404(slug, with_details=True)
    require(can_manage_users_of(current_user, account))
    return account


def _create_user_page(account, back):
    form = NewUserForm(roles=BUYER_ROLES)
    if form.validate_on_submit():
        with refusal_shown(form):
            user = services.create_user(current_user, account, form.values())
            flash(
                _("User %(email)s created and sent a link to set a password.", email=user.email),
                "success",
            )
            return redirect(back)
    return render_template("accounts/user_form.html", form=form, account=account, back=back)


def _edit_user_page(account, user, back):
    form = UserForm(obj=user, roles=BUYER_ROLES)
    if request.method == "GET" and user.spending_limit_amount is not None:
        form.spending_limit.data = plain(user.spending_limit_amount, account.currency)
    if form.validate_on_submit():
        with refusal_shown(form):
            services.update_user(current_user, account, user, form.values())
            flash(_("Changes to %(email)s saved.", email=user.email), "success")
            return redirect(back)
    return render_template(
        "accounts/user_form.html",
        form=form,
        account=account,
        user=user,
        back=back,
        password_form=PasswordForm(),
    )


def _set_password(slug, user_id, edit_endpoint):
    account = _managed_account(slug)
    user = queries.user_of_account_or_404(account, user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        with refusal_shown():
            services.set_password(current_user, user, form.password.data)
            flash(
                _("New password set; %(email)s was signed out everywhere.", email=user.email),
                "success",
            )
    return redirect(url_for(edit_endpoint, slug=slug, user_id=user_id))


def _add_address(slug, back):
    account = _managed_account(slug)
    form = AddressForm()
    if form.validate_on_submit():
        services.add_address(current_user, account, form.values())
        flash(_("Address added."), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(str(error) for error in errors), "danger")
    return redirect(back)


def _remove_address(slug, address_id, back):
    account = _managed_account(slug)
    services.remove_address(
        current_user, account, queries.address_of_account_or_404(account, address_id)
    )
    flash(_("Address removed."), "success")
    return redirect(back)
