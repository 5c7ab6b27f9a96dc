"""User model (``users`` table) and its Flask-Login integration."""

import secrets
import unicodedata
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
from matchmaker.timeutil import utcnow

MIN_PASSWORD_LENGTH = 10
# werkzeug's scrypt parameters (n=2**15, r=8, p=1), named so that a change is deliberate.
PASSWORD_METHOD = "scrypt"


def normalise_email(value: str | None) -> str:
    """Trim, NFC-normalise and case-fold an email address: ``" A@X.vn "`` -> ``"a@x.vn"``.

    Case-folding the local part too is deliberate: mail systems in practice treat it
    case-insensitively, and two accounts differing only by case confuse users.
    """
    return unicodedata.normalize("NFC", (value or "").strip()).casefold()


def new_session_token() -> str:
    """A random, unguessable login-session id (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def normalise_password(password: str) -> str:
    """NFC form of a password, so that "mật khẩu" typed as composed or decomposed Unicode (both
    happen with Vietnamese input methods) is the same password."""
    return unicodedata.normalize("NFC", password or "")


class User(UserMixin, TimestampMixin, db.Model):
    """A person who logs in. Members act for their organisation; staff run the platform.

    Flask-Login stores ``"<user id>:<login session id>"`` (see :class:`LoginSession`): a session
    is valid only while its row exists, so logging out or changing the password ends it on the
    server, not just in one browser.
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
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return normalise_email(value)

    @validates("full_name")
    def _normalise_full_name(self, _key: str, value: str) -> str:
        return normalise(value)

    # The login session this object was loaded for (set by the loader or at login).
    login_session_id = None  # a plain attribute, not a column
    unread_notifications = 0  # set by the user loader, not a column

    def set_password(self, password: str) -> None:
        """Hash and store ``password`` (scrypt, after NFC normalisation)."""
        self.password_hash = generate_password_hash(
            normalise_password(password), method=PASSWORD_METHOD)

    def check_password(self, password: str) -> bool:
        """True if ``password`` matches the stored hash (compared in NFC)."""
        return check_password_hash(self.password_hash, normalise_password(password))

    def get_id(self) -> str:
        return f"{self.id}:{self.login_session_id}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in inactive users.
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ORGANISER, Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class LoginSession(db.Model):
    """One logged-in browser. Deleted at logout; all but the current one are deleted when the
    password changes. ``id`` is the random token Flask-Login keeps in the signed cookie."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, default=new_session_token)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))


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
        check_password_hash(_dummy_hash(), normalise_password(password))
        return None
    if not user.check_password(password):
        return None
    return user
