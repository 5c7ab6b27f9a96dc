"""Account services: take plain arguments, flush, never commit (the route commits)."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from matchmaker.auth.models import User, normalise_email
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation, Side
from matchmaker.permissions import Role
from matchmaker.timeutil import utcnow


class EmailTaken(Exception):
    """An account with this (normalised) email already exists."""


def email_exists(email: str) -> bool:
    """True if an account uses ``email`` (compared trimmed and case-folded)."""
    return db.session.scalar(
        sa.select(sa.exists().where(User.email == normalise_email(email)))
    )


def _add_user(user: User) -> User:
    # The existence check runs inside the request's write transaction (BEGIN IMMEDIATE on
    # SQLite); on PostgreSQL two concurrent inserts can both pass it, and the unique index
    # decides. A savepoint keeps the rest of the transaction usable either way.
    if email_exists(user.email):
        raise EmailTaken(user.email)
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as exc:
        if email_exists(user.email):
            raise EmailTaken(user.email) from exc
        raise
    return user


def register_member(
    *, full_name: str, email: str, password: str, organisation_name: str, side: Side | str,
    locale: str = "vi",
) -> User:
    """Create an organisation and its first member.

    Args:
        side: ``producer``, ``distributor`` or ``both``.
        locale: ``vi`` or ``en``, the interface language the person chose.

    Returns the new, flushed ``User`` (role ``member``).

    Raises:
        EmailTaken: the email is already registered; nothing is added.
    """
    organisation = Organisation(name=organisation_name, side=Side(side))
    user = User(
        full_name=full_name, email=email, role=Role.MEMBER, locale=locale,
        organisation=organisation,
    )
    user.set_password(password)
    return _add_user(user)


def create_staff_user(*, email: str, password: str, full_name: str, role: Role | str) -> User:
    """Create an organiser or admin account (no organisation).

    Raises:
        ValueError: ``role`` is not organiser or admin.
        EmailTaken: the email is already registered.
    """
    role = Role(role)
    if role not in (Role.ORGANISER, Role.ADMIN):
        raise ValueError(f"staff role must be organiser or admin, not {role}")
    user = User(full_name=full_name, email=email, role=role)
    user.set_password(password)
    return _add_user(user)


def record_login(user: User) -> None:
    """Stamp ``last_login_at`` (UTC)."""
    user.last_login_at = utcnow()


def change_password(user: User, new_password: str) -> None:
    """Set a new password; every other session of ``user`` ends (token rotated)."""
    user.set_password(new_password)
