"""Every route × every kind of visitor: anonymous, member of organisation A, member of
organisation B, organiser, admin.

The rows live in ``tests/access_*.py`` (one module per feature; see ``tests/access.py``).
``test_every_route_is_in_the_matrix`` fails when a route exists that no module lists, so no
route ships without a permission test.
"""

import pytest

from tests.access import LOGIN_REDIRECT, MATRIX, ROLES
from tests.conftest import log_in

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
    assert not missing, f"routes without a permission test in tests/access_*.py: {missing}"


def test_matrix_lists_only_real_routes(app):
    real = {
        (method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods
    }
    stale = [f"{c.method} {c.rule}" for c in MATRIX if (c.method, c.rule) not in real]
    assert not stale, f"the matrix lists routes that no longer exist: {stale}"


@pytest.mark.parametrize("case", MATRIX, ids=lambda c: f"{c.method} {c.rule}")
def test_access(case, app, world, no_csrf):
    results = {}
    for role in ROLES:
        url, data = case.resolve(world)
        client = app.test_client()
        if role != "anon":
            log_in(client, world[role])
        response = client.open(url, method=case.method, data=data)
        results[role] = response.status_code
        if role == "anon" and case.expect["anon"] == LOGIN_REDIRECT == response.status_code \
                and case.url not in ("/logout", "/language"):
            assert "/login" in response.headers["Location"], case
    assert results == case.expect
