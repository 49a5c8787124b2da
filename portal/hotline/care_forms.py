"""Forms of the care pages: input shape only; portal.hotline.care decides what is allowed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.inputs import bounded_int
from portal.hotline.care import KIND_LABELS, MAX_NOTES, MAX_TITLE
from portal.hotline.models import CARE_KINDS


class CareTaskForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in CARE_KINDS])
    title = StringField(_l("Task"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    every_days = IntegerField(
        _l("Every (days)"), default=30, validators=[DataRequired(), NumberRange(1, 366)]
    )
    first_due_on = DateField(_l("First due on"), validators=[DataRequired()])


class ContactForm(FlaskForm):
    """A contact logged on the account's care page, for one of its tasks or on its own."""

    task = SelectField(_l("For the task"), coerce=bounded_int, validators=[Optional()])
    notes = TextAreaField(_l("What was said or sent"), validators=[Length(max=MAX_NOTES)])

    def __init__(self, *args, tasks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.task.choices = [SelectChoice(0, _l("No task: a contact on its own"))] + [
            SelectChoice(t.id, t.title) for t in tasks if t.is_active
        ]


class DueContactForm(FlaskForm):
    """A contact logged inline on the due list, for the task of its row."""

    notes = TextAreaField(_l("What was said or sent"), validators=[Length(max=MAX_NOTES)])


class DeactivateForm(FlaskForm):
    """A bare POST with the CSRF token."""


class CalendarForm(FlaskForm):
    """The calendar an account's deadlines and care dates count in; 0 is the default one."""

    calendar = SelectField(_l("Working days"), coerce=bounded_int)

    def __init__(self, *args, calendars=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar.choices = [(0, _l("The default calendar"))] + [
            (calendar.id, calendar.name) for calendar in calendars
        ]
