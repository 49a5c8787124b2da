"""Staff administration, a sysadmin's verbs: members of staff (their role, discount authority,
team, time zone and language), deactivating and reactivating them, and teams. Each checks,
then writes in one commit, audited with its changes.

Here, above accounts, because a user's sign-in sessions are auth's: a change of role or a
deactivation ends every session of the user at once (their rows are deleted, so the cookie
names nothing on the next request; resume_session also refuses an inactive user's session).
A new member of staff gets the invitation to set a password that every new user gets
(accounts.services.user_invited, sent by password_links).
"""

from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from portal.accounts.models import KeyAccount, Team, User
from portal.accounts.services import account_people_changed, user_invited
from portal.auth.models import UserSession
from portal.core import audit
from portal.core.errors import ServiceError
from portal.core.inputs import plain_email
from portal.core.locales import is_zone
from portal.core.permissions import STAFF_ROLES, SYSADMIN
from portal.core.versioning import check_version, commit
from portal.extensions import db

#: What a sysadmin sets on a member of staff (the form's values, by these names).
FIELDS = (
    "name",
    "email",
    "phone",
    "role",
    "team_id",
    "discount_authority_percent",
    "time_zone",
    "locale",
)


def create_staff_user(actor: User, values: dict) -> User:
    """A new member of staff, without a password: they are sent a link to set their own."""
    values = _checked(values)
    user = User(account_id=None, password_hash=None, **values)
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user.create",
        f"user:{user.id}",
        {name: (None, value) for name, value in values.items() if value not in ("", None)},
    )
    user_invited.send(user)
    db.session.commit()
    return user


def update_staff_user(
    actor: User, user: User, values: dict, expected_version: int | None = None
) -> None:
    """Change a member of staff; a save based on an older version is a Conflict (SECURITY.md
    37). A new role ends the user's sessions: they sign in again under it."""
    check_version(user, expected_version)
    values = _checked(values, user)
    if user.id == actor.id and values["role"] != user.role:
        raise ServiceError(_("You cannot change your own role."), field="role")
    if values["role"] != SYSADMIN:
        _keep_a_sysadmin(user)
    changes = audit.diff(user, values)
    if changes:
        audit.record(actor, "user.update", f"user:{user.id}", changes)
    if "role" in changes:
        end_sessions(user)
        _tell_accounts(user)
    commit()


def deactivate_staff_user(actor: User, user: User, expected_version: int | None = None) -> None:
    """Deactivate a member of staff: they cannot sign in, and their sessions end now. The
    accounts naming them as rep keep doing so (the sysadmin reassigns them); hotline routing
    passes over inactive users."""
    check_version(user, expected_version)
    if reason := deactivation_refused(actor, user):
        raise ServiceError(reason)
    user.is_active = False
    audit.record(actor, "user.deactivate", f"user:{user.id}", {"is_active": (True, False)})
    end_sessions(user)
    _tell_accounts(user)
    commit()


def deactivation_refused(actor: User, user: User) -> str | None:
    """Why `actor` may not deactivate `user` (themselves, one already deactivated, the last
    active sysadmin), or None: the confirmation page shows it instead of the button."""
    if user.id == getattr(actor, "id", None):
        return _("You cannot deactivate yourself.")
    if not user.is_active:
        return _("%(name)s is already deactivated.", name=user.name)
    try:
        _keep_a_sysadmin(user)
    except ServiceError as error:
        return error.message
    return None


def reactivate_staff_user(actor: User, user: User, expected_version: int | None = None) -> None:
    check_version(user, expected_version)
    if user.is_active:
        raise ServiceError(_("%(name)s is already active.", name=user.name))
    user.is_active = True
    audit.record(actor, "user.reactivate", f"user:{user.id}", {"is_active": (False, True)})
    _tell_accounts(user)
    commit()


def end_sessions(user: User) -> None:
    """Delete every sign-in session of `user` (in the caller's transaction)."""
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))


def _tell_accounts(user: User) -> None:
    """The accounts whose inside-sales or backup rep `user` is: who is asked about their
    stranded orders may have changed (accounts.services.account_people_changed)."""
    accounts = db.session.scalars(
        sa.select(KeyAccount)
        .where(
            sa.or_(KeyAccount.inside_sales_rep_id == user.id, KeyAccount.backup_rep_id == user.id)
        )
        .order_by(KeyAccount.id)
    )
    for account in accounts:
        account_people_changed.send(account)


def _keep_a_sysadmin(user: User) -> None:
    """Refuse to take the last active sysadmin away (nobody could manage staff any more)."""
    if user.role != SYSADMIN or not user.is_active:
        return
    others = db.session.scalar(
        sa.select(sa.func.count(User.id)).where(
            User.role == SYSADMIN, User.is_active.is_(True), User.id != user.id
        )
    )
    if not others:
        raise ServiceError(_("%(name)s is the last active sysadmin.", name=user.name))


def _checked(values: dict, user: User | None = None) -> dict:
    """The values as stored, or a ServiceError on the field at fault."""
    values = {name: values[name] for name in FIELDS}
    values["name"] = values["name"].strip()
    values["email"] = plain_email(values["email"])
    if not values["name"]:
        raise ServiceError(_("Enter a name."), field="name")
    if values["role"] not in STAFF_ROLES:
        raise ServiceError(_("Choose one of the roles offered."), field="role")
    clash = sa.select(User.id).where(User.email == values["email"])
    if user is not None:
        clash = clash.where(User.id != user.id)
    if db.session.scalar(clash):
        raise ServiceError(_("A user with this e-mail already exists."), field="email")
    percent = values["discount_authority_percent"]
    if (
        percent is None
        or not Decimal(0) <= percent <= Decimal(100)
        or percent != percent.quantize(Decimal("0.01"))
    ):
        raise ServiceError(
            _("Enter a percentage from 0 to 100, such as 12.5."), field="discount_authority"
        )
    team_id = values["team_id"]
    if team_id is not None and not (user is not None and team_id == user.team_id):
        team = db.session.get(Team, team_id)
        if team is None or not team.is_active:
            raise ServiceError(_("Choose an active team."), field="team_id")
    if values["time_zone"] and not is_zone(values["time_zone"]):
        raise ServiceError(_("Choose a time zone from the list."), field="time_zone")
    if values["locale"] not in ("", *current_app.config["LANGUAGES"]):
        raise ServiceError(_("Choose one of the languages offered."), field="locale")
    return values


# Teams


def create_team(actor: User, name: str) -> Team:
    name = _team_name(name)
    team = Team(name=name)
    db.session.add(team)
    db.session.flush()
    audit.record(actor, "team.create", f"team:{team.id}", {"name": (None, name)})
    db.session.commit()
    return team


def update_team(actor: User, team: Team, name: str, is_active: bool) -> None:
    """Rename a team, or (de)activate it: its members keep it, but nobody new joins an
    inactive team."""
    changes = audit.diff(team, {"name": _team_name(name, team), "is_active": is_active})
    if changes:
        audit.record(actor, "team.update", f"team:{team.id}", changes)
    db.session.commit()


def _team_name(name: str, team: Team | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ServiceError(_("Enter the team's name."), field="name")
    clash = sa.select(Team.id).where(sa.func.lower(Team.name) == name.lower())
    if team is not None:
        clash = clash.where(Team.id != team.id)
    if db.session.scalar(clash):
        raise ServiceError(_("A team with this name already exists."), field="name")
    return name
