"""Roles and object-level permission checks, in one place.

Roles (``User.role``):
    member     belongs to one organisation (producer, distributor or both) and acts for it;
    organiser  staff of the trade-promotion agency: runs events, sees all their data;
    admin      runs the platform: everything an organiser can, plus user management.

Routes use :func:`role_required` for role gates and :func:`can_view` / :func:`can_edit` (or
:func:`get_for_view` / :func:`get_for_edit`) for objects. Features register a rule for their
model class with :func:`view_rule` / :func:`edit_rule`; an unregistered class is visible and
editable only by admins, so forgetting a rule fails closed.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from matchmaker.extensions import db

T = TypeVar("T")


class Role(StrEnum):
    """The three roles; values are stored in ``users.role``."""

    MEMBER = "member"
    ORGANISER = "organiser"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.ORGANISER, Role.ADMIN})

Rule = Callable[[Any, Any], bool]
_view_rules: dict[type, Rule] = {}
_edit_rules: dict[type, Rule] = {}


def is_staff(user) -> bool:
    """True for an authenticated organiser or admin."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in STAFF_ROLES


def is_admin(user) -> bool:
    """True for an authenticated admin."""
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.ADMIN


def role_required(*roles: Role) -> Callable:
    """Decorator: the view needs a logged-in user whose role is one of ``roles``.

    Anonymous users are sent to the login page (Flask-Login); others get 403.
    """
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def view_rule(model: type) -> Callable[[Rule], Rule]:
    """Register ``rule(user, obj) -> bool`` deciding who may view instances of ``model``."""

    def decorator(rule: Rule) -> Rule:
        _view_rules[model] = rule
        return rule

    return decorator


def edit_rule(model: type) -> Callable[[Rule], Rule]:
    """Register ``rule(user, obj) -> bool`` deciding who may change instances of ``model``."""

    def decorator(rule: Rule) -> Rule:
        _edit_rules[model] = rule
        return rule

    return decorator


def _check(rules: dict[type, Rule], user, obj) -> bool:
    if is_admin(user):
        return True
    for cls in type(obj).__mro__:
        rule = rules.get(cls)
        if rule is not None:
            return bool(rule(user, obj))
    return False


def can_view(user, obj) -> bool:
    """May ``user`` (possibly anonymous) see ``obj``? Admins always may."""
    return _check(_view_rules, user, obj)


def can_edit(user, obj) -> bool:
    """May ``user`` change ``obj``? Admins always may."""
    return _check(_edit_rules, user, obj)


def get_or_404(model: type[T], ident: Any) -> T:
    """Load ``model`` by primary key or abort with 404."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def get_for_view(model: type[T], ident: Any) -> T:
    """Load by primary key; 404 if missing, 403 if ``current_user`` may not view it."""
    obj = get_or_404(model, ident)
    if not can_view(current_user, obj):
        abort(403)
    return obj


def get_for_edit(model: type[T], ident: Any) -> T:
    """Load by primary key; 404 if missing, 403 if ``current_user`` may not edit it."""
    obj = get_or_404(model, ident)
    if not can_edit(current_user, obj):
        abort(403)
    return obj


def same_organisation(user, organisation_id: int | None) -> bool:
    """True when ``user`` is an authenticated member of organisation ``organisation_id``."""
    return (
        bool(getattr(user, "is_authenticated", False))
        and organisation_id is not None
        and user.organisation_id == organisation_id
    )
