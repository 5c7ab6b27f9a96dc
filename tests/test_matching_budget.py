"""The matching pages' statements on the *first* load after a catalogue change, when the
cached index is rebuilt (:mod:`matchmaker.matching.loader`): still within the budget of
tests/test_query_budget.py, and the page shows the change. (The access-matrix budget test
warms the caches first, so it measures the pages once the index is built.)"""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

import tests.access  # noqa: F401  (loads the access modules in order)
from matchmaker.catalogue.models import Product
from matchmaker.extensions import db
from matchmaker.matching import loader
from matchmaker.organisations.models import Side
from matchmaker.permissions import Role
from tests import factories
from tests.access_events import make_event
from tests.access_matching import D, P, take_part
from tests.access_needs import make_need
from tests.access_products import make_product
from tests.conftest import client_for
from tests.test_query_budget import BUDGET


def _ident(obj) -> int:
    return sa.inspect(obj).identity[0]


@pytest.fixture
def fair(app_ctx):
    """A fish-sauce producer and a supermarket wanting "Gia vị", both approved at an event;
    their members and an organiser."""
    producer = factories.make_organisation("Công ty CP Thủy sản Cửa Hội", Side.PRODUCER)
    buyer = factories.make_organisation("Chuỗi siêu thị Hồng Lam", Side.DISTRIBUTOR)
    fish = make_product(producer, "Nước mắm Cửa Hội", ocop_stars=4)
    need = make_need(buyer, "Gia vị", ocop=("I.4",), hs=(), min_ocop_stars=3)
    event = make_event("Hội nghị kết nối cung cầu Diễn Châu")
    take_part(event, producer, P, product_ids=[_ident(fish)])
    take_part(event, buyer, D, need_ids=[_ident(need)])
    return SimpleNamespace(
        product_id=_ident(fish), event_id=_ident(event),
        buyer=factories.make_user(organisation=buyer, email="hong.lam@example.vn"),
        organiser=factories.make_user(Role.ORGANISER, email="btc.dienchau@example.vn"))


def _rename_product(product_id: int, name: str) -> None:
    """A catalogue change: the product's name (and so its ``updated_at``)."""
    db.session.rollback()
    db.session.get(Product, product_id).name = name
    db.session.commit()
    db.session.rollback()  # no read snapshot may stay open (SQLite)


@pytest.mark.parametrize("page", ["suggestions", "event_suggestions", "event_pairs"])
def test_first_load_after_a_catalogue_change_stays_within_the_budget(app, fair, page,
                                                                   count_queries):
    url = {"suggestions": "/suggestions/",
           "event_suggestions": f"/events/{fair.event_id}/suggestions",
           "event_pairs": f"/events/{fair.event_id}/pairs"}[page]
    client = client_for(app, fair.organiser if page == "event_pairs" else fair.buyer)
    assert "Nước mắm Cửa Hội" in client.get(url).get_data(as_text=True)  # built and cached
    before = loader.catalogue()
    _rename_product(fair.product_id, "Nước mắm Cửa Hội thượng hạng")

    with count_queries() as counter:
        response = client.get(url)

    assert response.status_code == 200
    assert "Nước mắm Cửa Hội thượng hạng" in response.get_data(as_text=True)
    assert loader.catalogue() is not before  # the index was rebuilt by that request
    assert counter.count <= BUDGET, counter.statements


def test_the_catalogue_costs_one_statement_current_or_not(app_ctx, fair, count_queries):
    db.session.rollback()
    with count_queries() as counter:
        first = loader.catalogue()
    assert counter.count == 1
    with count_queries() as counter:
        assert loader.catalogue() is first
    assert counter.count == 1
    _rename_product(fair.product_id, "Nước mắm Cửa Hội 2")
    with count_queries() as counter:
        again = loader.catalogue()
    assert counter.count == 1 and again is not first
    assert again.products[fair.product_id].name == "Nước mắm Cửa Hội 2"
