"""Forms of staff administration: a member of staff, the staff list's filter, a team. Input
shape only; the rules are in auth.staff_users."""

from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields import EmailField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length

from portal.accounts.forms import PHONE
from portal.core.dates import time_zone_choices
from portal.core.forms import PercentField
from portal.core.inputs import id_or_none, plain_input
from portal.core.locales import LANGUAGE_NAMES
from portal.core.permissions import ROLE_LABELS, STAFF_ROLES
from portal.core.versioning import VersionedForm


class StaffUserForm(VersionedForm):
    """A member of staff, as a sysadmin sets them up."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[plain_input],
    )
    phone = StringField(_l("Phone"), validators=[Length(max=40), PHONE], filters=[plain_input])
    role = SelectField(_l("Role"))
    team_id = SelectField(_l("Team"), coerce=id_or_none, default="")
    discount_authority = PercentField(
        _l("Discount authority (% below list)"),
        description=_l(
            "Deeper discounts this person sets wait for someone with more authority. "
            "Only roles that set prices use it; 0 for the others."
        ),
        default=Decimal(0),
        validators=[InputRequired()],
    )
    time_zone = SelectField(_l("Time zone"), default="")
    locale = SelectField(_l("Language"), default="")

    def __init__(self, *args, teams, company_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(role, ROLE_LABELS[role]) for role in STAFF_ROLES]
        self.team_id.choices = [SelectChoice("", _l("No team"))] + [
            SelectChoice(team.id, team.name) for team in teams
        ]
        company = _l("The company's (%(zone)s)", zone=company_zone)
        self.time_zone.choices = [SelectChoice("", company), *time_zone_choices()]
        self.locale.choices = [SelectChoice("", _l("Automatic"))] + [
            SelectChoice(code, LANGUAGE_NAMES.get(code, code))
            for code in current_app.config["LANGUAGES"]
        ]

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "email": self.email.data,
            "phone": self.phone.data or "",
            "role": self.role.data,
            "team_id": self.team_id.data,
            "discount_authority_percent": self.discount_authority.data,
            "time_zone": self.time_zone.data or "",
            "locale": self.locale.data or "",
        }


class NewStaffUserForm(StaffUserForm):
    """No password: the new member of staff is sent a link to set their own."""

    version = opened_at = None


class StaffFilterForm(FlaskForm):
    """The staff list's filter, read from the query string."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), filters=[plain_input])
    role = SelectField(_l("Role"), default="")
    team = SelectField(_l("Team"), coerce=id_or_none, default="")
    state = SelectField(_l("Status"), default="")

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice("", _l("Any"))] + [
            SelectChoice(role, ROLE_LABELS[role]) for role in STAFF_ROLES
        ]
        self.team.choices = [SelectChoice("", _l("Any"))] + [
            SelectChoice(team.id, team.name) for team in teams
        ]
        self.state.choices = [
            SelectChoice("", _l("Any")),
            SelectChoice("active", _l("Active")),
            SelectChoice("inactive", _l("Deactivated")),
        ]


class ActiveForm(VersionedForm):
    """Deactivate or reactivate: only the version of the user, so a stale page is a Conflict."""


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=100)])
    is_active = BooleanField(_l("Active"), default=True)


class NewTeamForm(FlaskForm):
    name = StringField(_l("New team"), validators=[DataRequired(), Length(max=100)])
