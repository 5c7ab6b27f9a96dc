"""Access-matrix rows for browse/search and the JSON API: all public, read-only.

World: organisation A (Nghệ An) gets three active products (fish sauce, tea, honey; one with
a valid VietGAP certificate) and one inactive product, so the pages and their budgets are
measured with results, facets and categories on screen.
"""

import sqlalchemy as sa

from matchmaker.catalogue.models import Category, Product, ProductImage
from matchmaker.extensions import db
from matchmaker.organisations.models import Certification, Organisation, Side
from tests.access import Case, everyone

NGHE_AN = 40
HA_TINH = 42  # current province codes (vietnam-provinces)


def category(code: str, scheme: str = "ocop") -> Category:
    """A reference category by code (the trees are loaded once per test session)."""
    return db.session.scalar(
        sa.select(Category).where(Category.scheme == scheme, Category.code == code))


def make_org(name: str, province: int | None = NGHE_AN) -> Organisation:
    """A producer organisation, added to the session (not committed)."""
    org = Organisation(name=name, side=Side.PRODUCER, province_code=province)
    db.session.add(org)
    return org


def make_product(org: Organisation, name: str, ocop: str | None = None, hs: str | None = None,
                 cover: bool = False, **values) -> Product:
    """A product added to the session (not committed); ``cover`` adds a position-0 image row
    (no file: pages only link to it)."""
    product = Product(organisation=org, name=name, unit=values.pop("unit", "kg"),
                      ocop_category=category(ocop) if ocop else None,
                      hs_category=category(hs, "hs") if hs else None, **values)
    db.session.add(product)
    if cover:
        product.images.append(ProductImage(position=0, path="x/full.jpg", thumb_path="x/t.jpg",
                                           content_type="image/jpeg", width=800, height=600))
    return product


def setup(world: dict) -> None:
    org = world["org_a"]
    org.province_code = NGHE_AN
    cert = Certification(organisation=org, kind="vietgap", number="VG-40-001")
    make_product(org, "Nước mắm Cửa Lò (tìm kiếm)", "I.4.a", "2103", cover=True, unit="chai",
                 ocop_stars=4, price_min_vnd=80_000, price_max_vnd=120_000)
    make_product(org, "Trà xanh Thanh Chương (tìm kiếm)", "I.5.a", unit="hộp", ocop_stars=3,
                 certifications=[cert])
    make_product(org, "Mật ong hoa nhãn (tìm kiếm)", hs="0409", unit="lít",
                 price_min_vnd=250_000)
    make_product(org, "Sản phẩm ngừng bán (tìm kiếm)", "I.4.a", active=False)
    db.session.commit()


CASES = [
    Case("GET", "/products/", "/products/", everyone(200)),
    Case("GET", "/products/", "/products/?q=tim+kiem&category=ocop/I&sort=name",
         everyone(200)),
    Case("GET", "/api/v1/products", "/api/v1/products?q=nuoc+mam", everyone(200)),
    Case("GET", "/api/v1/categories", "/api/v1/categories?scheme=ocop&depth=3", everyone(200)),
    Case("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", everyone(200)),
]
