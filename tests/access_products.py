"""Access-matrix rows for products and their images, and the helpers that build them.

World: organisation A (a producer) has an active product with two images and an inactive
product with one; organisation B is a distributor, so its member cannot create products.
"""

from io import BytesIO

import sqlalchemy as sa
from PIL import Image

from matchmaker.catalogue import services
from matchmaker.catalogue.images import process_image
from matchmaker.catalogue.models import Category, Product, ProductImage
from matchmaker.extensions import db
from tests.access import LOGIN_REDIRECT, Case, everyone, owner_and_staff


def image_bytes(size=(800, 600), kind="JPEG", color=(200, 60, 40), **save) -> bytes:
    """A real image of ``size`` pixels, encoded as ``kind`` (JPEG or PNG)."""
    out = BytesIO()
    mode = "RGBA" if kind == "PNG" else "RGB"
    Image.new(mode, size, color).save(out, format=kind, **save)
    return out.getvalue()


def category(scheme: str, code: str) -> Category:
    """A reference category by scheme and code (the trees are loaded once per session)."""
    return db.session.scalar(
        sa.select(Category).where(Category.scheme == scheme, Category.code == code))


def make_product(organisation, name="Nước mắm Cửa Lò", images=0, **values) -> Product:
    """A committed product of ``organisation`` (OCOP set 9 and HS 2103 by default) with
    ``images`` real images."""
    fields = dict(name=name, unit="chai", ocop_category_id=category("ocop", "I.4.a").id,
                  hs_category_id=category("hs", "2103").id, price_min_vnd=120_000,
                  price_max_vnd=150_000, min_order_qty=100, monthly_capacity=2_000)
    fields.update(values)
    product = services.create_product(organisation, services.ProductFields(**fields))
    if images:
        add_images(product, images)
    db.session.commit()
    return product


def add_images(product: Product, count: int) -> list[ProductImage]:
    """Store ``count`` generated images for ``product`` through the service (committed)."""
    processed = [process_image(image_bytes(color=(40 * i, 100, 200)), "jpeg")
                 for i in range(count)]
    rows = services.add_images(product, processed)
    db.session.commit()
    return rows


def setup(world: dict) -> None:
    world["product"] = make_product(world["org_a"], images=2)
    world["hidden_product"] = make_product(world["org_a"], "Mắm tôm Diễn Châu", images=1,
                                           active=False)
    world["product_images"] = [i.id for i in world["product"].images]
    world["hidden_image"] = world["hidden_product"].images[0].id


def _product_url(suffix=""):
    return lambda w: f"/products/{w['product'].id}{suffix}"


def _fresh_image_url(w):
    # Each visitor deletes an image of its own, so that an earlier row of the case cannot
    # change what a later one gets.
    # End the test's read snapshot first: the previous visitor's request wrote since, and
    # SQLite will not let a stale snapshot write.
    db.session.rollback()
    image = add_images(w["product"], 1)[0]
    return f"/products/{w['product'].id}/images/{image.id}/delete"


HIDDEN = {"anon": 404, "member_a": 200, "member_b": 404, "organiser": 200, "admin": 200}
PRODUCER_ONLY = {"anon": LOGIN_REDIRECT, "member_a": 200, "member_b": 403, "organiser": 403,
                 "admin": 403}
IMAGE_RULE = "/products/<int:product_id>/images/<int:image_id>/<variant>"

CASES = [
    Case("GET", "/products/<int:product_id>", _product_url(), everyone(200)),
    Case("GET", "/products/<int:product_id>",
         lambda w: f"/products/{w['hidden_product'].id}", HIDDEN),
    Case("GET", IMAGE_RULE,
         lambda w: f"/products/{w['product'].id}/images/{w['product_images'][0]}/thumb",
         everyone(200)),
    Case("GET", IMAGE_RULE,
         lambda w: f"/products/{w['hidden_product'].id}/images/{w['hidden_image']}/full",
         HIDDEN),
    Case("GET", "/products/mine", "/products/mine",
         {"anon": LOGIN_REDIRECT, "member_a": 200, "member_b": 200, "organiser": 403,
          "admin": 403}),
    Case("GET", "/products/new", "/products/new", PRODUCER_ONLY),
    Case("POST", "/products/new", "/products/new", PRODUCER_ONLY, data={"name": ""}),
    Case("GET", "/products/<int:product_id>/edit", _product_url("/edit"), owner_and_staff()),
    Case("GET", "/products/<int:product_id>/edit",
         lambda w: f"/products/{w['hidden_product'].id}/edit", owner_and_staff()),
    Case("POST", "/products/<int:product_id>/edit", _product_url("/edit"), owner_and_staff(),
         data={"name": ""}),
    # No file chosen: the edit page again, with the message.
    Case("POST", "/products/<int:product_id>/images", _product_url("/images"),
         owner_and_staff()),
    Case("POST", "/products/<int:product_id>/images/<int:image_id>/delete",
         _fresh_image_url, owner_and_staff(302)),
    Case("POST", "/products/<int:product_id>/images/<int:image_id>/cover",
         lambda w: f"/products/{w['product'].id}/images/{w['product_images'][1]}/cover",
         owner_and_staff(302)),
]
