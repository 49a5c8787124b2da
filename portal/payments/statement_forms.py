"""Forms of bank statements: the upload (with a column mapping for CSV/XLSX exports), and the
queue's decisions. Input shape only; payments.statement_services decides."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.core.money import CURRENCIES
from portal.payments.forms import MilestonePartsMixin

#: The mapping fields and their labels, in the order the form shows them.
COLUMN_LABELS = {
    "date": _l("Date column"),
    "amount": _l("Amount (credit) column"),
    "currency": _l("Currency column"),
    "reference": _l("Reference / remittance text column"),
    "payer": _l("Payer column"),
    "bank_reference": _l("Bank reference column"),
}


class StatementUploadForm(FlaskForm):
    """A CAMT.053 file, or a CSV/XLSX export with a saved mapping or one given now (saved
    under `mapping_name`)."""

    file = FileField(
        _l("Bank statement"),
        description=_l("CAMT.053 (XML), or the bank's CSV or Excel (.xlsx) export, at most 16 MB."),
        validators=[FileRequired(_l("Choose the statement file."))],
        render_kw={"accept": ".xml,.csv,.txt,.xlsx,text/xml,text/csv"},
    )
    mapping = SelectField(_l("Saved column mapping (CSV/XLSX)"), validate_choice=False)
    mapping_name = StringField(
        _l("Or save a new mapping as"),
        description=_l("The bank's name, such as Bank of China; next month choose it above."),
        validators=[Optional(), Length(max=60)],
    )
    date_column = StringField(COLUMN_LABELS["date"], validators=[Optional(), Length(max=100)])
    amount_column = StringField(COLUMN_LABELS["amount"], validators=[Optional(), Length(max=100)])
    currency_column = StringField(
        COLUMN_LABELS["currency"], validators=[Optional(), Length(max=100)]
    )
    reference_column = StringField(
        COLUMN_LABELS["reference"], validators=[Optional(), Length(max=100)]
    )
    payer_column = StringField(COLUMN_LABELS["payer"], validators=[Optional(), Length(max=100)])
    bank_reference_column = StringField(
        COLUMN_LABELS["bank_reference"], validators=[Optional(), Length(max=100)]
    )
    currency = SelectField(
        _l("Currency, when no column gives it"),
        validate_choice=False,
        choices=[SelectChoice("", "—"), *[SelectChoice(c, c) for c in CURRENCIES]],
    )

    def __init__(self, *args, mappings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.mapping.choices = [SelectChoice("", _l("None (CAMT.053)"))] + [
            SelectChoice(m.name, m.name) for m in mappings
        ]

    def columns(self) -> dict[str, str]:
        return {name: (getattr(self, f"{name}_column").data or "") for name in COLUMN_LABELS}


class ReturnLineForm(FlaskForm):
    note = TextAreaField(
        _l("Why and how the money goes back"), validators=[DataRequired(), Length(max=2000)]
    )


class AssignLineForm(MilestonePartsMixin, FlaskForm):
    """A queued line split over the chosen account's open milestones, one box each."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, milestones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.init_parts(milestones)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self.read_parts(request.form) and ok


#: Why a line waits in the queue, as finance reads it (payments.matching).
REASON_LABELS = {
    "": "",
    "no_reference": _l("No invoice number in the reference"),
    "unknown_reference": _l("Unknown invoice number"),
    "not_owed": _l("Invoice paid already, or its order is not owed (not approved or cancelled)"),
    "currency": _l("Another currency than the invoice"),
    "overpaid": _l("More than is owed"),
    "amounts_differ": _l("The invoices named do not add up to the amount"),
    "several_accounts": _l("Invoices of several accounts"),
    "reference_taken": _l("A transfer with this reference is recorded already"),
}
STATUS_LABELS = {
    "applied": _l("paid"),
    "queued": _l("in the queue"),
    "assigned": _l("assigned by finance"),
    "returned": _l("returned to the payer"),
}
