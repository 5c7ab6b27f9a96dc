"""``flask seed-demo``: the real Nghệ An producers through the importer, a dozen fictional
distributors with sourcing needs, the demo logins; twice adds nothing."""

import sqlalchemy as sa

from matchmaker.auth.models import User
from matchmaker.catalogue.models import Product, SourcingNeed
from matchmaker.demo import DISTRIBUTORS, PLACEHOLDERS
from matchmaker.extensions import db
from matchmaker.imports.models import MatchReview, ProducerImport
from matchmaker.organisations.models import BuyerType, Organisation, Side
from matchmaker.timeutil import to_local, utcnow
from tests import factories
from tests.test_import import table_counts


def seed(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_demo_imports_real_producers_and_fictional_distributors(app, app_ctx):
    output = seed(app)
    assert "Imported nghe-an-ocop-products-from-news.csv: 16 producers, 31 products" in output
    assert "Fictional distributors" in output
    assert "producer@example.com: member of Công ty CP Dược liệu Pù Mát" in output
    db.session.rollback()
    run = db.session.scalar(sa.select(ProducerImport))
    assert run.rows_total == 39 and run.imported_by_id is None
    producer = db.session.scalar(sa.select(User).where(User.email == "producer@example.com"))
    assert producer.organisation.name == "Công ty CP Dược liệu Pù Mát"
    assert producer.organisation.source == "imported"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product).where(
        Product.organisation_id == producer.organisation_id)) == 8
    imported = db.session.scalars(sa.select(Organisation).where(
        Organisation.source == "imported")).all()
    assert len(imported) == 16 and {o.province_code for o in imported} == {40}
    assert db.session.scalar(sa.select(MatchReview.status)) == "pending"

    distributors = db.session.scalars(sa.select(Organisation).where(
        Organisation.side == Side.DISTRIBUTOR)).all()
    assert len(distributors) == len(DISTRIBUTORS) == 12
    assert all(o.name.startswith("(Demo) ") and o.source == "demo" for o in distributors)
    assert {o.buyer_type for o in distributors} == set(BuyerType)
    assert len({o.province_code for o in distributors}) >= 5
    assert all(o.delivery_province_codes for o in distributors)
    buyer = db.session.scalar(sa.select(User).where(User.email == "distributor@example.com"))
    assert buyer.organisation.name == "(Demo) Chuỗi siêu thị Sông Lam"

    needs = db.session.scalars(sa.select(SourcingNeed)).all()
    per_org = {}
    for need in needs:
        per_org[need.organisation_id] = per_org.get(need.organisation_id, 0) + 1
        assert need.categories and need.monthly_volume and need.unit
        assert need.active_until > to_local(utcnow()).date()
    assert set(per_org) == {o.id for o in distributors}
    assert all(1 <= n <= 3 for n in per_org.values())
    assert any(n.required_certifications for n in needs)
    assert any(n.min_ocop_stars for n in needs)
    # A fish-sauce need and the imported fish sauces share the OCOP product set I.4.a.
    paths = {c.path for n in needs for c in n.categories}
    assert "ocop/I/I.4/I.4.a" in paths and "ocop/I/I.5" in paths
    assert not db.session.scalar(sa.select(Organisation).where(
        Organisation.name.in_(PLACEHOLDERS)))


def test_seed_demo_twice_adds_nothing(app, app_ctx):
    seed(app)
    before = table_counts()
    output = seed(app)
    assert "Demo data ready (0 new records)." in output
    assert table_counts() == before


def test_seed_demo_moves_the_logins_off_the_old_placeholders(app, app_ctx):
    # A database seeded by the first version of the demo.
    old_producer = factories.make_organisation("Nhà sản xuất demo", Side.PRODUCER)
    old_buyer = factories.make_organisation("Nhà phân phối demo", Side.DISTRIBUTOR)
    factories.make_user(organisation=old_producer, email="producer@example.com")
    factories.make_user(organisation=old_buyer, email="distributor@example.com")
    output = seed(app)
    assert "Moved producer@example.com to Công ty CP Dược liệu Pù Mát." in output
    assert 'Removed the placeholder organisation "Nhà sản xuất demo".' in output
    db.session.rollback()
    assert not db.session.scalar(sa.select(Organisation).where(
        Organisation.name.in_(PLACEHOLDERS)))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 3
