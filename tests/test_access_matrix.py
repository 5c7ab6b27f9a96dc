"""Every route × every kind of visitor: anonymous, member of organisation A, member of
organisation B, organiser, admin.

Each later feature adds its routes to ``MATRIX``. ``test_every_route_is_in_the_matrix`` fails
when a route exists that the matrix does not list, so no route ships without a permission
test. Object routes use objects of organisation A, so ``member_b`` is the "other organisation"
case.
"""

from dataclasses import dataclass, field

import pytest

from tests.conftest import log_in

ROLES = ("anon", "member_a", "member_b", "organiser", "admin")
LOGIN_REDIRECT = 302  # anonymous visitors of a protected page are sent to /login


@dataclass(frozen=True)
class Case:
    """One route, how to call it, and the status each role must get."""

    method: str
    rule: str  # the Flask URL rule, to check coverage
    url: str  # the concrete URL requested
    expect: dict[str, int]
    data: dict = field(default_factory=dict)


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def logged_in(status: int, anon: int = LOGIN_REDIRECT) -> dict[str, int]:
    return {"anon": anon, **dict.fromkeys(ROLES[1:], status)}


def anonymous_only(status: int) -> dict[str, int]:
    # Logged-in people are sent on from the login and registration pages.
    return {"anon": status, **dict.fromkeys(ROLES[1:], 302)}


def admin_only() -> dict[str, int]:
    return {"anon": LOGIN_REDIRECT, "member_a": 403, "member_b": 403, "organiser": 403,
            "admin": 200}


MATRIX = [
    Case("GET", "/", "/", everyone(200)),
    Case("GET", "/healthz", "/healthz", everyone(200)),
    Case("POST", "/language", "/language", everyone(302), data={"lang": "en"}),
    Case("GET", "/login", "/login", anonymous_only(200)),
    Case("POST", "/login", "/login", anonymous_only(200), data={"email": "", "password": ""}),
    Case("GET", "/register", "/register", anonymous_only(200)),
    Case("POST", "/register", "/register", anonymous_only(200), data={"email": "x"}),
    Case("POST", "/logout", "/logout", everyone(302)),
    Case("GET", "/account/", "/account/", logged_in(200)),
    Case("GET", "/account/password", "/account/password", logged_in(200)),
    Case("POST", "/account/password", "/account/password", logged_in(200),
         data={"current_password": ""}),
    Case("GET", "/admin/users", "/admin/users", admin_only()),
]

IGNORED_ENDPOINTS = {"static"}


def test_every_route_is_in_the_matrix(app):
    listed = {(case.method, case.rule) for case in MATRIX}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) not in listed:
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"routes without a permission test in MATRIX: {missing}"


def test_matrix_lists_only_real_routes(app):
    real = {
        (method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods
    }
    stale = [f"{c.method} {c.rule}" for c in MATRIX if (c.method, c.rule) not in real]
    assert not stale, f"MATRIX lists routes that no longer exist: {stale}"


@pytest.mark.parametrize("case", MATRIX, ids=lambda c: f"{c.method} {c.url}")
def test_access(case, app, users, no_csrf):
    results = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anon":
            log_in(client, users[role])
        response = client.open(case.url, method=case.method, data=case.data)
        results[role] = response.status_code
        if response.status_code == LOGIN_REDIRECT and case.expect[role] == LOGIN_REDIRECT \
                and role == "anon" and case.url not in ("/logout", "/language"):
            assert "/login" in response.headers["Location"], case
    assert results == case.expect
