"""Shared vocabulary of the access matrix (see ``tests/test_access_matrix.py``).

A feature adds a module ``tests/access_<feature>.py`` with ``CASES: list[Case]`` and, when its
routes need objects, ``setup(world) -> None`` that creates them and stores them in ``world``
(a dict already holding the ``users`` fixture's four users under their role names, and
``org_a`` / ``org_b``, their organisations). A case's ``url`` is a string, or a callable
``url(world) -> str`` for routes with ids. Objects belong to organisation A unless a case
says otherwise, so ``member_b`` is always "a member of another organisation".
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("anon", "member_a", "member_b", "organiser", "admin")
LOGIN_REDIRECT = 302  # anonymous visitors of a protected page are sent to /login


@dataclass(frozen=True)
class Case:
    """One route, how to call it, and the status each role must get."""

    method: str
    rule: str  # the Flask URL rule, to check coverage
    url: str | Callable[[dict], str]  # the concrete URL requested
    expect: dict[str, int]
    data: dict | Callable[[dict], dict] = field(default_factory=dict)

    def resolve(self, world: dict) -> tuple[str, dict]:
        url = self.url(world) if callable(self.url) else self.url
        data = self.data(world) if callable(self.data) else self.data
        return url, data


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def logged_in(status: int, anon: int = LOGIN_REDIRECT) -> dict[str, int]:
    return {"anon": anon, **dict.fromkeys(ROLES[1:], status)}


def anonymous_only(status: int) -> dict[str, int]:
    # Logged-in people are sent on from the login and registration pages.
    return {"anon": status, **dict.fromkeys(ROLES[1:], 302)}


def staff_only(status: int = 200) -> dict[str, int]:
    return {"anon": LOGIN_REDIRECT, "member_a": 403, "member_b": 403, "organiser": status,
            "admin": status}


def admin_only(status: int = 200) -> dict[str, int]:
    return {"anon": LOGIN_REDIRECT, "member_a": 403, "member_b": 403, "organiser": 403,
            "admin": status}


def owner_and_staff(status: int = 200, other: int = 403) -> dict[str, int]:
    """Organisation A's members and staff may; B's members get ``other`` (403 or 404)."""
    return {"anon": LOGIN_REDIRECT, "member_a": status, "member_b": other, "organiser": status,
            "admin": status}


def _feature_modules() -> list:
    here = Path(__file__).parent
    return [
        importlib.import_module(f"tests.{info.name}")
        for info in pkgutil.iter_modules([str(here)])
        if info.name.startswith("access_")
    ]


MODULES = _feature_modules()
MATRIX: list[Case] = [case for module in MODULES for case in module.CASES]


def build_world(users: dict) -> dict:
    """The users, their organisations, and every object a feature's ``setup`` adds."""
    world = dict(users)
    world["org_a"] = users["member_a"].organisation
    world["org_b"] = users["member_b"].organisation
    for module in MODULES:
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(world)
    return world
