"""Sign-in, sign-out, change of password, and setting a password from a link by e-mail."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.auth import password_links, services
from portal.auth.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, NewPasswordForm
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.http import home_url, safe_next
from portal.core.locales import browser_locale
from portal.core.permissions import public
from portal.core.reauth import THROTTLE_RETRY_AFTER, mark_signed_in

bp = Blueprint("auth", __name__)

# --- sign-in ---
#   GET POST  /login                  login                   public
#   POST      /logout                 logout                  ROLES
#   GET POST  /password               change_password         ROLES
#   GET POST  /password/forgot        forgot_password         public
#   GET POST  /password/new/<token>   set_password_from_link  public


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated:
        return redirect(safe_next(form.next.data) or home_url(current_user))
    if form.validate_on_submit():
        try:
            user = services.sign_in(form.email.data, form.password.data, request.remote_addr)
        except services.Throttled:
            return render_template("auth/login.html", form=form, throttled=True), 429
        except services.ThrottleUnavailable:
            page = render_template("auth/login.html", form=form, unavailable=True)
            return page, 503, THROTTLE_RETRY_AFTER
        except services.InvalidCredentials:
            form.password.errors = [_("The e-mail or password is not correct.")]
        else:
            # The language they sign in with: the switch's, else their browser's.
            language = session.get("locale") or browser_locale(request.accept_languages)
            # A fresh session: nothing from before sign-in survives (SECURITY.md 8).
            session.clear()
            services.start_session(user, remember=form.remember.data, language=language)
            login_user(user, remember=form.remember.data)
            mark_signed_in()
            return redirect(safe_next(form.next.data) or home_url(user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@restricted
def logout():
    destination = home_url(current_user, signed_out=True)
    services.end_session(current_user.session_token)
    # Clear first: logout_user() leaves a note in the session to delete the remember cookie.
    session.clear()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(destination)


@bp.route("/password", methods=["GET", "POST"])
@restricted
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        with refusal_shown(form):
            services.change_password(user, form.current_password.data, form.new_password.data)
            # The new session is not remembered: "keep me signed in" is asked again at sign-in.
            login_user(user)
            mark_signed_in()
            flash(_("Password changed. Your other sessions have been signed out."), "success")
            return redirect(home_url(current_user))
    return render_template("auth/password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    """The same answer whether or not the e-mail is a user's (SECURITY.md 7)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            password_links.request_reset(form.email.data)
        except services.ThrottleUnavailable:
            page = render_template("auth/forgot_password.html", form=form, unavailable=True)
            return page, 503, THROTTLE_RETRY_AFTER
        return render_template("auth/forgot_password.html", form=None)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/new/<token>", methods=["GET", "POST"])
@public
def set_password_from_link(token):
    found = password_links.user_for_link(token)
    if found is None:
        return render_template("auth/new_password.html", form=None)
    user, purpose = found
    form = NewPasswordForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            password_links.set_password_from_link(token, form.password.data)
            flash(_("Your password is set. Sign in with it."), "success")
            return redirect(url_for(".login"))
    return render_template("auth/new_password.html", form=form, user=user, purpose=purpose)
