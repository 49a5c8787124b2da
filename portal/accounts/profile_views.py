"""Each user's own settings: the profile page, and the header's language switch (which
anonymous visitors use too, kept in their session)."""

import flask_babel
from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import services
from portal.accounts.forms import LanguageForm, ProfileForm
from portal.accounts.views import bp
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.http import form_page, home_url
from portal.core.permissions import public

#   GET POST  /profile    profile          ROLES
#   POST      /language   switch_language  public


@bp.route("/profile", methods=["GET", "POST"])
@restricted
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(
        obj=user,
        languages=current_app.config["LANGUAGES"],
        staff=not user.is_buyer_side,
        company_zone=current_app.config["COMPANY_TIME_ZONE"],
    )
    if form.validate_on_submit():
        with refusal_shown(form):
            services.update_profile(user, form.values())
            flask_babel.refresh()  # the message below in the language just chosen
            flash(_("Your settings are saved."), "success")
            return redirect(url_for("accounts.profile"))
    account_zone = user.account.time_zone if user.is_buyer_side else None
    return render_template("accounts/profile.html", form=form, account_zone=account_zone)


@bp.post("/language")
@public
def switch_language():
    """Save the language chosen in the header, as the signed-in user's own setting or the
    anonymous visitor's session's, and go back to the page it was chosen on."""
    form = LanguageForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the languages offered."), "danger")
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
        services.update_profile(user, {"locale": form.locale.data})
    else:
        session["locale"] = form.locale.data
    # The page it was chosen on: the referrer, when a page of this site (core.http.safe_next).
    return redirect(form_page() or home_url(current_user, signed_out=True))
