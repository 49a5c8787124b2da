"""Forms for accounts, users and addresses: input shape only, rules live in services."""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import ColorField, EmailField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from portal.accounts import addresses
from portal.accounts.models import DEFAULT_TAX_TREATMENT, HAND_SET_TIERS, TAX_TREATMENTS
from portal.core.dates import time_zone_choices
from portal.core.forms import AmountField
from portal.core.inputs import plain_input
from portal.core.locales import LANGUAGE_NAMES
from portal.core.money import CURRENCIES
from portal.core.permissions import ROLE_LABELS
from portal.core.phones import DEFAULT_REGION, phone_number, region_of
from portal.core.versioning import VersionedForm

TIER_LABELS = {"platinum": _l("Platinum"), "gold": _l("Gold"), "standard": _l("Standard")}


TAX_TREATMENT_LABELS = {
    "domestic_vat_included": _l("Domestic: prices include VAT"),
    "export_zero_rated": _l("Export: zero-rated"),
}


class PhoneNumber:
    """A phone number valid in its country (libphonenumber), read in the form's `phone_region`
    when it has no country code (the account's country, else China); empty is fine."""

    def __call__(self, form, field):
        if not (field.data or "").strip():
            return
        region = getattr(form, "phone_region", None) or DEFAULT_REGION
        if phone_number(field.data, region) is None:
            raise ValidationError(
                _(
                    "“%(phone)s” is not a phone number we can call: type it with its area "
                    "code, or with its country code, such as +86 21 5555 0100 or "
                    "+1 312 555 0142.",
                    phone=field.data,
                )
            )


PHONE = PhoneNumber()


def _optional_id(value):
    return int(value) if value not in (None, "", "0", 0) else None


class AccountForm(FlaskForm):
    name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Portal address"),
        description=_l("Lower-case letters, digits and hyphens: the portal lives at /a/<this>/."),
        validators=[
            DataRequired(),
            Regexp(
                r"^[a-z0-9][a-z0-9-]{1,39}$",
                message=_l("Use 2 to 40 lower-case letters, digits and hyphens."),
            ),
        ],
    )
    welcome_text = TextAreaField(_l("Welcome text"), validators=[Length(max=2000)])
    brand_colour = ColorField(
        _l("Brand colour"),
        default="#0d6efd",
        validators=[
            DataRequired(),
            Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Use a colour such as #1f4e9c.")),
        ],
    )
    logo = FileField(_l("Logo"), description=_l("PNG, JPEG, GIF or WebP, at most 1 MB."))
    hotline_phone = StringField(
        _l("Hotline number"), validators=[Length(max=40), PHONE], filters=[plain_input]
    )
    time_zone = SelectField(_l("Time zone"), default="Asia/Shanghai")
    default_locale = SelectField(
        _l("Default language"),
        default="en",
        description=_l("What its users see unless they or their browser choose a language."),
    )
    currency = SelectField(_l("Currency"), choices=list(CURRENCIES), default="CNY")
    tier = SelectField(
        _l("Tier"),
        choices=[SelectChoice(tier, TIER_LABELS[tier]) for tier in HAND_SET_TIERS],
        default="standard",
        description=_l("Platinum is earned by sales, or given by a director: not set here."),
    )
    tax_treatment = SelectField(
        _l("Tax treatment"),
        choices=[SelectChoice(code, TAX_TREATMENT_LABELS[code]) for code in TAX_TREATMENTS],
        default=DEFAULT_TAX_TREATMENT,
        description=_l("Chinese accounts: prices include VAT. Foreign accounts: zero-rated."),
    )
    inside_sales_rep_id = SelectField(_l("Inside-sales rep"), coerce=_optional_id)
    backup_rep_id = SelectField(_l("Backup rep"), coerce=_optional_id)
    field_sales_rep_id = SelectField(_l("Field-sales rep"), coerce=_optional_id)
    is_po_required = BooleanField(_l("Buyers must give a purchase-order number on every order"))
    first_user_name = StringField(
        _l("First user's name"),
        description=_l("The account's customer admin; leave both empty to add users later."),
        validators=[Length(max=200)],
    )
    first_user_email = EmailField(
        _l("First user's e-mail"),
        description=_l("They get an e-mail with a link to set their own password."),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
        filters=[plain_input],
    )

    def __init__(self, *args, reps: dict, **kwargs):
        super().__init__(*args, **kwargs)
        if getattr(kwargs.get("obj"), "tier", None) == "platinum":
            del self.tier  # a platinum account's tier is the ranking's or a director's
        self.time_zone.choices = time_zone_choices()
        self.default_locale.choices = [
            (code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]
        ]
        none = [(0, "—")]
        inside = none + [(u.id, f"{u.name} <{u.email}>") for u in reps["inside"]]
        self.inside_sales_rep_id.choices = inside
        self.backup_rep_id.choices = inside
        self.field_sales_rep_id.choices = none + [
            (u.id, f"{u.name} <{u.email}>") for u in reps["field"]
        ]

    @property
    def phone_region(self) -> str:
        """The hotline number is read in the country of the account's time zone."""
        return region_of(self.time_zone.data)

    def values(self) -> dict:
        """The account's attributes as entered (the logo travels separately)."""
        names = ["name", "welcome_text", "hotline_phone", "time_zone", "default_locale"]
        names += ["currency", "tax_treatment"]
        names += ["tier"] if "tier" in self else []
        names += ["inside_sales_rep_id", "backup_rep_id", "field_sales_rep_id"]
        values = {name: self[name].data for name in names}
        values["brand_colour"] = self.brand_colour.data.lower()
        values["is_po_required"] = bool(self.is_po_required.data)
        if "slug" in self:
            values["slug"] = self.slug.data
        return values

    def validate_first_user_name(self, field):
        if bool((field.data or "").strip()) != bool(self.first_user_email.data):
            raise ValidationError(_l("Give the first user's name and e-mail, or neither."))

    def first_user(self) -> dict | None:
        """The first user's name and e-mail, when given."""
        if not self.first_user_email.data:
            return None
        return {"name": self.first_user_name.data.strip(), "email": self.first_user_email.data}


class EditAccountForm(AccountForm, VersionedForm):
    """The slug is fixed once an account exists: its portal address is printed and bookmarked.
    Its users are managed on this page, not added with the account."""

    slug = None
    first_user_name = None
    first_user_email = None


class _PersonForm(VersionedForm):
    """Who a user is and what they may do: what a portal user and a member of staff share."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[plain_input],
    )
    phone = StringField(_l("Phone"), validators=[Length(max=40), PHONE], filters=[plain_input])
    role = SelectField(_l("Role"))
    is_active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(role, ROLE_LABELS[role]) for role in roles]

    def values(self) -> dict:
        values = {
            "name": self.name.data.strip(),
            "email": self.email.data,
            "phone": self.phone.data or "",
            "role": self.role.data,
        }
        if self.is_active is not None:  # a new user's form has no such field
            values["is_active"] = self.is_active.data
        return values


class UserForm(_PersonForm):
    spending_limit = AmountField(
        _l("Spending limit"),
        description=_l("Orders above this wait for an approver. Leave empty for no limit."),
        validators=[Optional()],
    )

    def values(self) -> dict:
        # Blank (or only spaces) means no limit.
        return {**super().values(), "spending_limit_amount": self.spending_limit.data}


class NewUserForm(UserForm):
    """No password: the new user is sent a link to set their own."""

    is_active = version = opened_at = None


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )


class AddressForm(FlaskForm):
    """An address of China or elsewhere; what each country requires is checked by
    accounts.addresses (the service checks it again)."""

    label = StringField(_l("Label"), validators=[Length(max=80)])
    country = SelectField(
        _l("Country"), default=addresses.CHINA, coerce=lambda code: addresses.plain(code).upper()
    )
    recipient_name = StringField(_l("Recipient"), validators=[Length(max=100)])
    recipient_phone = StringField(
        _l("Recipient's mobile"),
        description=_l("In China a mobile number, such as 138 0013 8000."),
        validators=[Length(max=40)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    province = SelectField(_l("Province (China)"), validate_choice=False)
    region = StringField(_l("State or region (outside China)"), validators=[Length(max=50)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    district = StringField(_l("District or county (China)"), validators=[Length(max=50)])
    lines = TextAreaField(_l("Street address"), validators=[Length(max=500)])
    postcode = StringField(_l("Postcode"), validators=[Length(max=20)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = addresses.countries()
        self.province.choices = [("", "—"), *addresses.province_choices()]
        shown = kwargs.get("obj")
        # One column holds a Chinese province or a state elsewhere: show it in its field.
        if shown is not None and not self.region.raw_data and shown.country != addresses.CHINA:
            self.region.data, self.province.data = shown.province, ""

    def values(self) -> dict:
        values = {name: self[name].data or "" for name in addresses.FIELDS}
        if values["country"] != addresses.CHINA:
            values["province"] = self.region.data or ""
        return addresses.normalised(values)

    def validate(self, extra_validators=None) -> bool:
        is_valid = super().validate(extra_validators)
        for name, message in addresses.problems(self.values()).items():
            is_region = name == "province" and self.country.data != addresses.CHINA
            field = self.region if is_region else self[name]
            field.errors = [*field.errors, message]
            is_valid = False
        return is_valid


class EditAddressForm(AddressForm, VersionedForm):
    pass


class ProfileForm(FlaskForm):
    """A user's own settings: language, and for staff their time zone."""

    locale = SelectField(
        _l("Language"),
        description=_l("Automatic: your browser's language, else your account's."),
    )
    time_zone = SelectField(_l("Time zone"))

    def __init__(self, *args, languages, staff: bool, company_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = [("", _l("Automatic"))] + [
            (code, LANGUAGE_NAMES.get(code, code)) for code in languages
        ]
        if staff:
            company = _l("The company's (%(zone)s)", zone=company_zone)
            self.time_zone.choices = [SelectChoice("", company), *time_zone_choices()]
        else:
            del self.time_zone  # buyers see their account's time zone

    def values(self) -> dict:
        values = {"locale": self.locale.data}
        if "time_zone" in self:
            values["time_zone"] = self.time_zone.data
        return values


class LanguageForm(FlaskForm):
    """The header's language switch (it returns to the page it is on, its referrer)."""

    locale = SelectField(choices=list(LANGUAGE_NAMES))
