"""Every page runs at most ``BUDGET`` SQL statements, however many rows it shows."""

import pytest

from matchmaker.organisations.models import Side
from tests import factories
from tests.access import MATRIX, ROLES
from tests.conftest import log_in

BUDGET = 5

PAGES = [
    (case, role)
    for case in MATRIX
    if case.method == "GET"
    for role in ROLES
    if case.expect[role] == 200
]


@pytest.mark.parametrize(("case", "role"), PAGES, ids=[f"{c.rule} {r}" for c, r in PAGES])
def test_every_page_stays_within_the_budget(case, role, app, world, count_queries):
    url, _data = case.resolve(world)
    client = app.test_client()
    if role != "anon":
        log_in(client, world[role])
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    assert counter.count <= BUDGET, counter.statements


def test_account_list_does_not_grow_with_rows(app, users, count_queries, app_ctx):
    client = app.test_client()
    log_in(client, users["admin"])
    with count_queries() as few:
        client.get("/admin/users")
    for i in range(40):
        org = factories.make_organisation(f"Cơ sở sản xuất số {i}", Side.BOTH)
        factories.make_user(organisation=org)
    with count_queries() as many:
        page = client.get("/admin/users").get_data(as_text=True)
    assert "Cơ sở sản xuất số 39" in page
    assert many.count == few.count <= BUDGET
