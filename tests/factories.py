"""Test data builders. Each returns a flushed and committed object."""

from functools import cache
from itertools import count

from werkzeug.security import generate_password_hash

from matchmaker.auth.models import PASSWORD_METHOD, User
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation, Side
from matchmaker.permissions import Role

PASSWORD = "correct horse battery"
_seq = count(1)


@cache
def _password_hash() -> str:
    # scrypt is slow by design; hash the shared test password once per run.
    return generate_password_hash(PASSWORD, method=PASSWORD_METHOD)


def make_organisation(name: str | None = None, side: Side = Side.PRODUCER) -> Organisation:
    """An organisation with a unique Vietnamese name unless ``name`` is given."""
    org = Organisation(name=name or f"Hợp tác xã Nông nghiệp số {next(_seq)}", side=side)
    db.session.add(org)
    db.session.commit()
    return org


def make_user(
    role: Role = Role.MEMBER,
    organisation: Organisation | None = None,
    email: str | None = None,
    full_name: str = "Nguyễn Thị Hoà",
    locale: str = "vi",
    active: bool = True,
) -> User:
    """A user whose password is :data:`PASSWORD`; members get a new organisation if none."""
    if role == Role.MEMBER and organisation is None:
        organisation = make_organisation()
    user = User(
        email=email or f"user{next(_seq)}@example.vn",
        full_name=full_name,
        role=role,
        organisation=organisation,
        locale=locale,
        active=active,
    )
    user.password_hash = _password_hash()
    db.session.add(user)
    db.session.commit()
    return user
