"""User model (``users`` table) and its Flask-Login integration."""

import secrets
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.db import TimestampMixin, UTCDateTime
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation
from matchmaker.permissions import Role
from matchmaker.text import normalise

MIN_PASSWORD_LENGTH = 10
# werkzeug's scrypt parameters (n=2**15, r=8, p=1), named so that a change is deliberate.
PASSWORD_METHOD = "scrypt"


def normalise_email(value: str | None) -> str:
    """Trim and case-fold an email address: ``" A@X.vn "`` -> ``"a@x.vn"``.

    Case-folding the local part too is deliberate: mail systems in practice treat it
    case-insensitively, and two accounts differing only by case confuse users.
    """
    return (value or "").strip().casefold()


def new_session_token() -> str:
    """A random token that, with the user id, identifies a login session (32 hex chars)."""
    return secrets.token_hex(16)


class User(UserMixin, TimestampMixin, db.Model):
    """A person who logs in. Members act for their organisation; staff run the platform.

    Flask-Login stores ``"<id>:<session_token>"``; changing the password rotates the token, so
    every other session of that user ends.
    """

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('member', 'organiser', 'admin')", name="role_valid"),
        sa.CheckConstraint("locale IN ('vi', 'en')", name="locale_valid"),
        sa.CheckConstraint(
            "role <> 'member' OR organisation_id IS NOT NULL", name="member_has_organisation"
        ),
        sa.CheckConstraint("length(email) > 2", name="email_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    full_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.MEMBER)
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return normalise_email(value)

    @validates("full_name")
    def _normalise_full_name(self, _key: str, value: str) -> str:
        return normalise(value)

    def set_password(self, password: str) -> None:
        """Hash and store ``password`` (scrypt) and end the user's other sessions."""
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        """True if ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in inactive users.
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ORGANISER, Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


@cache
def _dummy_hash() -> str:
    # A valid hash of a random password, checked when the email is unknown so that a failed
    # login takes the same time whether or not the account exists.
    return generate_password_hash(secrets.token_hex(16), method=PASSWORD_METHOD)


def verify_login(email: str, password: str) -> User | None:
    """Return the active user with ``email`` and ``password``, or None.

    Does the same hashing work when the email is unknown (no timing oracle).
    """
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password):
        return None
    return user
