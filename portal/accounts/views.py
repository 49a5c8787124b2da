"""Accounts: staff account screens, account branding, and user management on both sides."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries, services
from portal.accounts.forms import (
    AccountForm,
    AddressForm,
    EditAccountForm,
    EditAddressForm,
    NewUserForm,
    PasswordForm,
    UserForm,
)
from portal.accounts.permissions import can_edit_account, can_manage_users_of
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.images import image_response
from portal.core.money import plain
from portal.core.permissions import (
    BUYER_ROLES,
    public,
    require,
)
from portal.core.reauth import fresh_sign_in
from portal.core.versioning import Conflict, VersionedForm, answer, conflict_seen

bp = Blueprint("accounts", __name__)

# --- staff ---
#   GET       /staff/accounts                               list_accounts         STAFF_ROLES
#   GET POST  /staff/accounts/new                           create_account        ACCOUNT_EDITORS
#   GET POST  /staff/accounts/<slug>/edit                   edit_account          ACCOUNT_EDITORS
#   GET POST  /staff/accounts/<slug>/users/new              staff_create_user     ACCOUNT_EDITORS
#   GET POST  /staff/accounts/<slug>/users/<id>             staff_edit_user       ACCOUNT_EDITORS
#   POST      /staff/accounts/<slug>/users/<id>/password    staff_set_password    ACCOUNT_EDITORS
#   POST      /staff/accounts/<slug>/addresses              staff_add_address     ACCOUNT_EDITORS
#   GET POST  /staff/accounts/<slug>/addresses/<id>         staff_edit_address    ACCOUNT_EDITORS
#   POST      /staff/accounts/<slug>/addresses/<id>/delete  staff_remove_address  ACCOUNT_EDITORS
# The account 360 view, /staff/accounts/<slug>, is lookup's (lookup.show_account). Edit forms
# carry their record's version: a save based on an older one shows the form again as typed,
# with what changed meanwhile (core.versioning, SECURITY.md 37).
# --- buyer side (a buyer of another account gets 404 from account_or_404) ---
#   GET       /a/<slug>/logo                                logo                  public
#   GET       /a/<slug>/theme.css                           theme                 public
#   GET       /a/<slug>/users                               list_users            CUSTOMER_ADMIN
#   GET POST  /a/<slug>/users/new                           create_user           CUSTOMER_ADMIN
#   GET POST  /a/<slug>/users/<id>                          edit_user             CUSTOMER_ADMIN
#   POST      /a/<slug>/users/<id>/password                 set_password          CUSTOMER_ADMIN
#   POST      /a/<slug>/addresses                           add_address           CUSTOMER_ADMIN
#   GET POST  /a/<slug>/addresses/<id>                      edit_address          CUSTOMER_ADMIN
#   POST      /a/<slug>/addresses/<id>/delete               remove_address        CUSTOMER_ADMIN


@bp.get("/staff/accounts")
@restricted
def list_accounts():
    return render_template(
        "accounts/list.html", accounts=queries.accounts_for_staff(), can_edit=can_edit_account
    )


@bp.route("/staff/accounts/new", methods=["GET", "POST"])
@restricted
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
@restricted
def edit_account(slug):
    account = queries.account_or_404(slug, with_details=True)
    form = EditAccountForm(obj=account, reps=queries.rep_choices())
    conflict = None
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=Conflict) as refused:
            services.update_account(
                current_user, account, form.values(), _upload(form), form.expected_version()
            )
            flash(_("Changes saved."), "success")
            return redirect(url_for("lookup.show_account", slug=account.slug))
        # Refused: the page reads the account (and its addresses) again.
        account = queries.account_or_404(slug, with_details=True)
        conflict = conflict_seen(
            refused,
            form,
            lambda: EditAccountForm(formdata=None, obj=account, reps=queries.rep_choices()),
            account,
            f"account:{account.slug}",
        )
    return answer(
        "accounts/account_form.html",
        conflict,
        form=form,
        account=account,
        users=queries.users_of(account),
        address_form=AddressForm(),
    )


def _upload(form) -> bytes | None:
    file = form.logo.data
    return file.read() if file and file.filename else None


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
@restricted
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
@restricted
@fresh_sign_in
def create_user(slug):
    return _create_user_page(_managed_account(slug), back=url_for(".list_users", slug=slug))


@bp.route("/staff/accounts/<slug>/users/new", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def staff_create_user(slug):
    return _create_user_page(_managed_account(slug), back=url_for(".edit_account", slug=slug))


@bp.route("/a/<slug>/users/<int:user_id>", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def edit_user(slug, user_id):
    account = _managed_account(slug)
    back = url_for(".list_users", slug=slug)
    return _edit_user_page(account, queries.user_of_account_or_404(account, user_id), back)


@bp.route("/staff/accounts/<slug>/users/<int:user_id>", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def staff_edit_user(slug, user_id):
    account = _managed_account(slug)
    back = url_for(".edit_account", slug=slug)
    return _edit_user_page(account, queries.user_of_account_or_404(account, user_id), back)


@bp.post("/a/<slug>/users/<int:user_id>/password")
@restricted
@fresh_sign_in
def set_password(slug, user_id):
    return _set_password(slug, user_id, ".edit_user")


@bp.post("/staff/accounts/<slug>/users/<int:user_id>/password")
@restricted
@fresh_sign_in
def staff_set_password(slug, user_id):
    return _set_password(slug, user_id, ".staff_edit_user")


@bp.post("/a/<slug>/addresses")
@restricted
def add_address(slug):
    return _add_address(slug, url_for(".list_users", slug=slug))


@bp.post("/staff/accounts/<slug>/addresses")
@restricted
def staff_add_address(slug):
    return _add_address(slug, url_for(".edit_account", slug=slug))


@bp.route("/a/<slug>/addresses/<int:address_id>", methods=["GET", "POST"])
@restricted
def edit_address(slug, address_id):
    return _edit_address_page(slug, address_id, url_for(".list_users", slug=slug))


@bp.route("/staff/accounts/<slug>/addresses/<int:address_id>", methods=["GET", "POST"])
@restricted
def staff_edit_address(slug, address_id):
    return _edit_address_page(slug, address_id, url_for(".edit_account", slug=slug))


@bp.post("/a/<slug>/addresses/<int:address_id>/delete")
@restricted
def remove_address(slug, address_id):
    return _remove_address(slug, address_id, url_for(".list_users", slug=slug))


@bp.post("/staff/accounts/<slug>/addresses/<int:address_id>/delete")
@restricted
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


def _user_form(account, user, **kwargs) -> UserForm:
    """The user form as it shows `user` now (kwargs: formdata=None for a form never posted)."""
    form = UserForm(obj=user, roles=BUYER_ROLES, **kwargs)
    limit = user.spending_limit_amount
    form.spending_limit.data = "" if limit is None else plain(limit, account.currency)
    return form


def _edit_user_page(account, user, back):
    if request.method == "GET":
        form = _user_form(account, user)
    else:
        form = UserForm(obj=user, roles=BUYER_ROLES)
    conflict = None
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=Conflict) as refused:
            services.update_user(
                current_user, account, user, form.values(), form.expected_version()
            )
            flash(_("Changes to %(email)s saved.", email=user.email), "success")
            return redirect(back)
        conflict = conflict_seen(
            refused,
            form,
            lambda: _user_form(account, user, formdata=None),
            user,
            f"user:{user.id}",
        )
    return answer(
        "accounts/user_form.html",
        conflict,
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
        with refusal_shown():
            services.add_address(current_user, account, form.values())
            flash(_("Address added."), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(str(error) for error in errors), "danger")
    return redirect(back)


def _edit_address_page(slug, address_id, back):
    account = _managed_account(slug)
    address = queries.address_of_account_or_404(account, address_id)
    form = EditAddressForm(obj=address)
    conflict = None
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=Conflict) as refused:
            services.update_address(
                current_user, account, address, form.values(), form.expected_version()
            )
            flash(_("Address saved."), "success")
            return redirect(back)
        conflict = conflict_seen(
            refused,
            form,
            lambda: EditAddressForm(formdata=None, obj=address),
            address,
            f"address:{address.id}",
        )
    return answer(
        "accounts/address_form.html",
        conflict,
        form=form,
        account=account,
        address=address,
        back=back,
    )


def _remove_address(slug, address_id, back):
    account = _managed_account(slug)
    address = queries.address_of_account_or_404(account, address_id)
    form = VersionedForm()
    with refusal_shown(form):
        services.remove_address(current_user, account, address, form.expected_version())
        flash(_("Address removed."), "success")
    return redirect(back)
