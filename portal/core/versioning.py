"""Lost updates between two tabs or two people (SECURITY.md 37), one way for every edit form.

A record edited through a form is `Versioned`: SQLAlchemy bumps its `version` on every UPDATE
and refuses an UPDATE whose row changed since it was loaded. Its form is a `VersionedForm`,
which carries the version it was shown with; the service calls `check_version` before it
changes anything and commits through `commit`, so a save based on an older version raises
`Conflict`, whether the other save came long before or a moment before the commit.

The view answers a Conflict with `conflict_seen`: the same page again, with what the person
typed, each field where it differs from what is saved now, and who saved meanwhile and when.
Its form now carries the saved version, so saving again replaces the saved values knowingly.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Mapped, declared_attr, joinedload, mapped_column
from sqlalchemy.orm.exc import StaleDataError
from wtforms import Field, HiddenField

from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.extensions import db


class Versioned:
    """A row people edit through forms (SECURITY.md 37)."""

    #: Optimistic lock: a save based on an older version is refused (SECURITY.md 37).
    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


class Conflict(ServiceError):
    """Someone else saved the same record since it was loaded (SECURITY.md 37)."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or _("Someone else changed this since you opened it. Reload to see their change.")
        )


def check_version(record, expected: int | None) -> None:
    """Refuse a save based on another version than `record`'s (None: the form sent none)."""
    if expected is not None and record.version != expected:
        raise Conflict()


def touch(record) -> None:
    """A new version for a change only in the record's children (a term's milestones)."""
    record.version = record.version + 1


def commit() -> None:
    """Commit; a versioned row changed by someone else since it was loaded is a Conflict."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict() from None


class VersionedForm(FlaskForm):
    """An edit form: the version of its record when shown, and when it was shown."""

    #: The record's version when the form was shown; filled from `obj=record`.
    version = HiddenField()
    #: When the form was shown (UTC, ISO 8601): who saved since is listed on a conflict.
    opened_at = HiddenField(default=lambda: utcnow().isoformat())

    def expected_version(self) -> int | None:
        text = str(self.version.data or "")
        return int(text) if text.isdigit() else None

    def opened(self) -> datetime | None:
        try:
            opened = datetime.fromisoformat(self.opened_at.data or "")
        except ValueError:
            return None
        return opened if opened.tzinfo is not None else None


@dataclass
class Difference:
    """A field whose typed value is not the saved one."""

    label: str
    yours: str
    saved: str


@dataclass
class ConflictSeen:
    """What a conflict page shows above the form as typed."""

    message: str
    differences: list[Difference] = field(default_factory=list)
    #: The audit events of the saves meanwhile, newest first (the actor loaded).
    saves: list[AuditEvent] = field(default_factory=list)
    #: A file chosen in the form (files cannot be kept): choose it again.
    has_dropped_file: bool = False


def conflict_seen(
    refused,
    form: VersionedForm,
    saved_form: Callable[[], FlaskForm],
    record,
    target: str,
    actions: tuple[str, ...] = (),
    not_compared: tuple[str, ...] = (),
) -> ConflictSeen | None:
    """What to show when the refusal `refused` (from core.actions.refusal_shown) is a
    Conflict, or None. `saved_form()` builds the form as it is shown for the record now;
    `target` (and `actions`, if given) pick the record's audit events; `not_compared` names
    fields that are no value of the record (a reason for the change). The form keeps what was
    typed and takes the saved version and a new opening time."""
    if not isinstance(refused.error, Conflict):
        return None
    opened = form.opened()
    form.version.data = str(record.version)
    form.opened_at.data = utcnow().isoformat()
    return ConflictSeen(
        message=refused.error.message,
        differences=differences(form, saved_form(), not_compared),
        saves=saves_since(target, opened, actions),
        has_dropped_file=any(
            getattr(f.data, "filename", None) for f in form if f.type == "FileField"
        ),
    )


def answer(template: str, conflict: ConflictSeen | None = None, **context):
    """A form page: 409 when it shows a conflict."""
    return render_template(template, conflict=conflict, **context), 409 if conflict else 200


#: Field types a conflict does not compare: what the person cannot see or cannot be kept.
NOT_COMPARED = {"HiddenField", "CSRFTokenField", "FileField", "PasswordField", "SubmitField"}


def differences(
    typed: FlaskForm, saved: FlaskForm, not_compared: tuple[str, ...] = ()
) -> list[Difference]:
    """Each visible field whose typed value, as the form shows it, is not the saved one."""
    saved_values = dict(_shown_values(saved, not_compared))
    found = []
    for label, yours in _shown_values(typed, not_compared):
        theirs = saved_values.pop(label, "")
        if yours != theirs:
            found.append(Difference(label, yours, theirs))
    found += [Difference(label, "", theirs) for label, theirs in saved_values.items() if theirs]
    return found


def _shown_values(form, not_compared=(), prefix: str = "") -> Iterator[tuple[str, str]]:
    for item in form:
        if item.type in NOT_COMPARED or item.short_name in not_compared:
            continue
        label = f"{prefix}{item.label.text}"
        if item.type == "FieldList":  # rows that say they are blank are no rows
            for number, entry in enumerate(item.entries, start=1):
                if not getattr(entry.form, "is_blank", lambda: False)():
                    yield from _shown_values(entry.form, prefix=f"{label} {number}: ")
        elif item.type == "FormField":
            yield from _shown_values(item.form, prefix=f"{label}: ")
        else:
            yield label, _shown(item)


def _shown(item: Field) -> str:
    if item.type == "BooleanField":
        return str(_l("yes") if item.data else _l("no"))
    if item.type in ("SelectField", "RadioField"):
        for choice in item.iter_choices():
            if choice[2]:  # (value, label, selected, ...)
                return str(choice[1])
        return ""
    return (item._value() or "").strip()


def saves_since(
    target: str, since: datetime | None, actions: tuple[str, ...] = ()
) -> list[AuditEvent]:
    """The audit events on `target` after `since` (without it, the last one), newest first."""
    query = (
        sa.select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.target == target)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if actions:
        query = query.where(AuditEvent.action.in_(actions))
    query = query.where(AuditEvent.at > since).limit(10) if since else query.limit(1)
    return list(db.session.scalars(query).unique())
