"""Account services: take plain arguments, flush, never commit (the route commits)."""

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from matchmaker.auth.models import LoginSession, User, normalise_email
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation, Side
from matchmaker.permissions import Role
from matchmaker.text import normalise
from matchmaker.timeutil import utcnow


class EmailTaken(Exception):
    """An account with this (normalised) email already exists."""


class InvalidAccount(ValueError):
    """An email or name that cannot be stored; the message says which (English, for the CLI;
    web forms validate the same rules first, with translated messages)."""


MAX_NAME_LENGTH = 120
MAX_EMAIL_LENGTH = 254


def check_account_fields(email: str, full_name: str) -> tuple[str, str]:
    """Return ``(email, full_name)`` normalised, or raise :class:`InvalidAccount`.

    The email must be a syntactically valid address (email-validator, no DNS lookup) of at
    most 254 characters; the name 1 to 120 characters after :func:`matchmaker.text.normalise`.
    """
    email, full_name = normalise_email(email), normalise(full_name)
    if not 1 <= len(full_name) <= MAX_NAME_LENGTH:
        raise InvalidAccount(f"the name must be 1 to {MAX_NAME_LENGTH} characters long")
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidAccount(f"the email must be at most {MAX_EMAIL_LENGTH} characters long")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAccount(f"not a valid email address: {exc}") from None
    return email, full_name


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
        InvalidAccount: the email or name cannot be stored.
        EmailTaken: the email is already registered.
    """
    role = Role(role)
    if role not in (Role.ORGANISER, Role.ADMIN):
        raise ValueError(f"staff role must be organiser or admin, not {role}")
    email, full_name = check_account_fields(email, full_name)
    user = User(full_name=full_name, email=email, role=role)
    user.set_password(password)
    return _add_user(user)


def open_login_session(user: User, user_agent: str | None = None) -> LoginSession:
    """Start a login session for ``user`` (stamping ``last_login_at``, UTC) and make ``user``
    carry its id, so that Flask-Login stores it. Flushes."""
    login_session = LoginSession(user_id=user.id, user_agent=(user_agent or "")[:255] or None)
    db.session.add(login_session)
    db.session.flush()
    user.login_session_id = login_session.id
    user.last_login_at = utcnow()
    return login_session


def close_login_session(session_id: str | None) -> None:
    """End one login session (logout). Unknown ids are ignored."""
    if session_id:
        db.session.execute(sa.delete(LoginSession).where(LoginSession.id == session_id))


def change_password(user: User, new_password: str) -> None:
    """Set a new password and end every other login session of ``user``; the one ``user``
    was loaded for (``user.login_session_id``) continues."""
    user.set_password(new_password)
    db.session.execute(sa.delete(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.id != user.login_session_id))
