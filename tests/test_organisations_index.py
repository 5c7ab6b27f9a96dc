"""The staff list of organisations: accent-insensitive search, filters, order, pages."""

import re

import pytest

from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation, Side
from matchmaker.text import fold
from tests import factories
from tests.conftest import log_in
from tests.test_organisations import english


def names(response) -> list[str]:
    return re.findall(r'<td><a href="/organisations/\d+">([^<]+)</a></td>',
                      response.get_data(as_text=True))


@pytest.fixture
def staff(app, users):
    client = app.test_client()
    log_in(client, users["organiser"])
    english(client, users["organiser"])
    return client


@pytest.fixture
def orgs(users):
    """Organisations A and B plus four more, with sides, provinces and tax codes."""
    db.session.rollback()
    made = [
        Organisation(name="Công ty TNHH Nước mắm Vạn Phần", side=Side.PRODUCER,
                     province_code=40, tax_code="2901234568"),
        Organisation(name="HTX Nông nghiệp Đô Lương", side=Side.BOTH, province_code=40),
        Organisation(name="Siêu thị Hà Tĩnh", side=Side.DISTRIBUTOR, province_code=42),
        Organisation(name="Ăn ngon Huế", side=Side.PRODUCER, province_code=46),
    ]
    db.session.add_all(made)
    db.session.commit()
    return made


def test_search_ignores_accents_and_case(staff, orgs):
    assert names(staff.get("/organisations/?q=nuoc MAM")) == ["Công ty TNHH Nước mắm Vạn Phần"]
    both = ["HTX Nông nghiệp Đô Lương", "Siêu thị Đô Lương"]
    assert names(staff.get("/organisations/?q=đô lương")) == both
    assert names(staff.get("/organisations/?q=DO%20LUONG")) == both
    assert names(staff.get("/organisations/?q=100%25")) == []  # LIKE wildcards are literal
    page = staff.get("/organisations/?q=zzzz").get_data(as_text=True)
    assert "No organisation matches." in page


def test_search_by_tax_code(staff, orgs):
    assert names(staff.get("/organisations/?q=2901 234")) == ["Công ty TNHH Nước mắm Vạn Phần"]


def test_filters_by_side_and_province(staff, orgs):
    producers = names(staff.get("/organisations/?side=producer"))
    assert "HTX Nông nghiệp Đô Lương" in producers  # "both" counts as a producer
    assert "Siêu thị Hà Tĩnh" not in producers and "Siêu thị Đô Lương" not in producers
    assert names(staff.get("/organisations/?side=both")) == ["HTX Nông nghiệp Đô Lương"]
    assert names(staff.get("/organisations/?province=40")) == [
        "Công ty TNHH Nước mắm Vạn Phần", "HTX Nông nghiệp Đô Lương"]
    assert names(staff.get("/organisations/?province=40&side=distributor")) == [
        "HTX Nông nghiệp Đô Lương"]
    # Nonsense filters are ignored, not errors.
    response = staff.get("/organisations/?province=abc&side=seller&page=99999999999999")
    assert response.status_code == 200


def test_sorted_by_name_without_accents(staff, orgs):
    listed = names(staff.get("/organisations/"))
    assert listed == sorted(listed, key=fold)
    assert listed[0] == "Ăn ngon Huế"  # folded "an ngon hue" comes first


def test_pages_of_fifty_and_a_constant_number_of_queries(app, users, count_queries):
    client = app.test_client()
    log_in(client, users["organiser"])
    with count_queries() as few:
        assert client.get("/organisations/").status_code == 200
    db.session.rollback()
    for i in range(60):
        factories.make_organisation(f"Cơ sở sản xuất {i:02d}", Side.BOTH)
    with count_queries() as many:
        first = client.get("/organisations/")
    assert many.count == few.count <= 5, many.statements
    assert len(names(first)) == 50
    second = names(client.get("/organisations/?page=2"))
    assert len(second) == 62 - 50
    assert "Siêu thị Đô Lương" in second


def test_members_may_not_list_organisations(app, users):
    client = app.test_client()
    log_in(client, users["member_a"])
    assert client.get("/organisations/").status_code == 403
