"""The matching loader: database rows → engine records, the cached catalogue, event
participants and the event's index."""

from datetime import timedelta

import sqlalchemy as sa

import tests.access  # noqa: F401  (loads the access modules in order)
from matchmaker.catalogue.models import NeedCertification, Product
from matchmaker.catalogue.services import local_today
from matchmaker.extensions import db
from matchmaker.matching import loader
from matchmaker.organisations.models import Certification, Side
from tests import factories
from tests.access_events import make_event
from tests.access_matching import D, P, take_part
from tests.access_needs import category, make_need
from tests.access_products import make_product
from tests.access_registrations import register_org


def _ident(obj) -> int:
    return sa.inspect(obj).identity[0]


def _producer(name="Công ty CP Thủy sản Nghệ An", province=40):
    org = factories.make_organisation(name, Side.PRODUCER)
    org.province_code = province
    db.session.commit()
    return org


def _certificate(org, kind, expired=False):
    cert = Certification(organisation_id=_ident(org), kind=kind,
                         expires_on=local_today() - timedelta(days=1) if expired else None)
    db.session.add(cert)
    db.session.commit()
    return cert


def test_records_carry_paths_certifications_stars_and_provinces(app_ctx):
    org = _producer()
    valid, expired = _certificate(org, "haccp"), _certificate(org, "vietgap", expired=True)
    _certificate(org, "organic")  # held, but not linked to the product: not the product's
    product = make_product(org, "Nước mắm Cửa Lò CL28", ocop_stars=4,
                           certification_ids=[_ident(valid), _ident(expired)])
    make_product(org, "Mắm tôm cũ", active=False)
    buyer = factories.make_organisation("Siêu thị Hoa Sen", Side.DISTRIBUTOR)
    need = make_need(buyer, "Gia vị", ocop=("I.4",), hs=("2103",), provinces=(40, 1),
                     min_ocop_stars=3, monthly_volume=2_000, unit="chai",
                     target_price_vnd=140_000)
    db.session.add(NeedCertification(sourcing_need_id=_ident(need), kind="haccp"))
    db.session.commit()
    make_need(buyer, "Hết hạn", ocop=("I.4",), hs=(),
              active_until=local_today() - timedelta(days=1))
    make_need(buyer, "Tạm dừng", ocop=("I.4",), hs=(), active=False)

    products, needs, organisations, categories = loader.load_records()

    assert [p.id for p in products] == [_ident(product)]
    record = products[0]
    assert set(record.category_paths) == {"ocop/I/I.4/I.4.a", "hs/IV/21/2103"}
    assert record.certifications == {"haccp"}
    assert record.ocop_stars == 4 and record.stars == 4
    assert record.province_code == 40 and record.producer_id == _ident(org)
    assert (record.unit, record.monthly_capacity, record.price_min_vnd,
            record.price_max_vnd) == ("chai", 2_000, 120_000, 150_000)
    assert [n.id for n in needs] == [_ident(need)]
    n = needs[0]
    assert set(n.category_paths) == {"ocop/I/I.4", "hs/IV/21/2103"}
    assert n.required_certifications == {"haccp"} and n.min_ocop_stars == 3
    assert n.delivery_provinces == {40, 1}
    assert (n.monthly_volume, n.unit, n.target_price_vnd) == (2_000, "chai", 140_000)
    assert organisations[_ident(org)].name == "Công ty CP Thủy sản Nghệ An"
    assert organisations[_ident(buyer)].side == "distributor"
    assert categories["ocop/I/I.4"].name("vi") == "Gia vị"
    assert categories["hs/IV/21/2103"].name("en").startswith("Sauces")


def test_the_catalogue_is_cached_until_the_catalogue_changes(app, app_ctx, count_queries):
    org = _producer()
    product = make_product(org, "Nước mắm hạ thổ", ocop_stars=4)
    buyer = factories.make_organisation("Tổng kho Sông Hàn", Side.DISTRIBUTOR)
    make_need(buyer, "Nước mắm", ocop=("I.4.a",), hs=())
    first = loader.catalogue()
    assert first.index.top_producers_for(_ident(buyer))[0].producer_id == _ident(org)
    db.session.rollback()
    with count_queries() as counter:
        again = loader.catalogue()
    assert again is first and counter.count == 1

    # A change only a link table sees (a certificate linked to the product) still counts.
    cert = _certificate(org, "food_safety")
    db.session.rollback()
    db.session.execute(sa.insert(sa.table("product_certifications", sa.column("product_id"),
                                          sa.column("certification_id"))).values(
        product_id=_ident(product), certification_id=_ident(cert)))
    db.session.commit()
    rebuilt = loader.catalogue()
    assert rebuilt is not first
    assert rebuilt.products[_ident(product)].certifications == {"food_safety"}

    db.session.get(Product, _ident(product)).active = False
    db.session.commit()
    assert loader.catalogue().products == {}


def test_event_participants_and_index_use_what_each_brought(app_ctx):
    org = _producer()
    brought = make_product(org, "Nước mắm Cửa Hội", ocop_stars=4)
    make_product(org, "Mật ong rừng", ocop_category_id=None,
                 hs_category_id=category("hs", "0409").id)
    late = _producer("HTX Thủy sản Quỳnh Lưu")
    make_product(late, "Nước mắm Quỳnh", ocop_stars=3)
    buyer = factories.make_organisation("Siêu thị Đô Lương 2", Side.DISTRIBUTOR)
    need = make_need(buyer, "Nước mắm", ocop=("I.4",), hs=("0409",))
    event = make_event("Hội nghị Vinh")
    reg = take_part(event, org, P, product_ids=[_ident(brought)])
    take_part(event, buyer, D, need_ids=[_ident(need)])
    register_org(event, late, side=P)  # pending: not a participant yet

    participants = loader.event_participants(_ident(event))
    assert {(p.organisation_id, p.side) for p in participants} == {
        (_ident(org), "producer"), (_ident(buyer), "distributor")}
    mine = next(p for p in participants if p.organisation_id == _ident(org))
    assert mine.registration_id == reg and mine.product_ids == {_ident(brought)}
    index = loader.event_index(loader.catalogue(), participants)
    assert [p.id for p in index.products] == [_ident(brought)]  # the honey stayed home
    assert loader.event_index(loader.catalogue(), participants) is index  # cached
    [match] = index.top_producers_for(_ident(buyer))
    assert match.producer_id == _ident(org)
