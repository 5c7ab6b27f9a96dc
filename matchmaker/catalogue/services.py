"""Products, their images and sourcing needs: the domain operations and who may do what.

Every function takes plain values, flushes and never commits: the request commits once.
Forms check input first and explain mistakes; the checks here are the backstop that keeps
the data consistent whoever calls (CLI, import, API), and the schema's CHECK and UNIQUE
constraints are the last word.

Who may see and change what (registered with :mod:`matchmaker.permissions`):

* Product / ProductImage: an active product is public; an inactive one only to its
  organisation's members and staff. Members of the producing organisation and staff edit.
* SourcingNeed: an open need (active, ``active_until`` not passed in Vietnam) is visible to
  every logged-in user; a closed one only to its organisation's members and staff, who are
  also the ones who may edit or delete it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from matchmaker.catalogue.categories import HS
from matchmaker.catalogue.images import ImageError, ProcessedImage
from matchmaker.catalogue.models import (
    MAX_PRODUCT_IMAGES,
    Category,
    NeedCertification,
    NeedProvince,
    Product,
    ProductImage,
    SourcingNeed,
    product_certifications,
)
from matchmaker.extensions import db
from matchmaker.organisations.divisions import is_province
from matchmaker.organisations.models import Certification, CertificationKind, Organisation
from matchmaker.permissions import edit_rule, is_staff, same_organisation, view_rule
from matchmaker.text import normalise, sort_key
from matchmaker.timeutil import to_local, utcnow
from matchmaker.uploads import CONTENT_TYPES, delete_upload, save_bytes


class CatalogueError(ValueError):
    """Input a service refuses. ``code``: ``not_producer``, ``not_distributor``, ``name``
    (empty), ``no_category``, ``category`` (unknown or wrong kind of category), ``price_order``
    (maximum below minimum), ``certification`` (not the organisation's), ``kind`` (unknown
    certification kind), ``province`` (not a current province), ``past_date``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def local_today() -> date:
    """Today's date in Vietnam (Asia/Ho_Chi_Minh), the calendar needs run on."""
    return to_local(utcnow()).date()


# --- permissions -----------------------------------------------------------------------

def _member_or_staff(user, organisation_id: int) -> bool:
    return is_staff(user) or same_organisation(user, organisation_id)


@view_rule(Product)
def can_view_product(user, product: Product) -> bool:
    """Active products are public; inactive ones only for their producer and staff."""
    return product.active or _member_or_staff(user, product.organisation_id)


@edit_rule(Product)
def can_edit_product(user, product: Product) -> bool:
    """Members of the producing organisation and staff."""
    return _member_or_staff(user, product.organisation_id)


@view_rule(ProductImage)
def _can_view_image(user, image: ProductImage) -> bool:
    return can_view_product(user, image.product)


@edit_rule(ProductImage)
def _can_edit_image(user, image: ProductImage) -> bool:
    return can_edit_product(user, image.product)


def need_is_open(need: SourcingNeed, today: date | None = None) -> bool:
    """Active and ``active_until`` (inclusive) not before ``today`` (default: Vietnam's)."""
    if not need.active:
        return False
    return need.active_until is None or need.active_until >= (today or local_today())


@view_rule(SourcingNeed)
def can_view_need(user, need: SourcingNeed) -> bool:
    """Open needs: any logged-in user. Closed ones: the distributor's members and staff."""
    if not getattr(user, "is_authenticated", False):
        return False
    return need_is_open(need) or _member_or_staff(user, need.organisation_id)


@edit_rule(SourcingNeed)
def can_edit_need(user, need: SourcingNeed) -> bool:
    """Members of the distributor organisation and staff."""
    return _member_or_staff(user, need.organisation_id)


# --- loading ---------------------------------------------------------------------------

def card_options() -> tuple:
    """Loader options for product cards (``catalogue/_product_card.html``): producer and
    categories joined, images in one extra statement. ``sa.select(Product).options(
    *card_options())`` shows any number of cards in two statements."""
    return (
        # The card shows the producer's name only: not its delivery provinces, which the
        # Organisation model would otherwise load in a statement of their own.
        joinedload(Product.organisation).lazyload(Organisation.delivery_provinces),
        joinedload(Product.ocop_category),
        joinedload(Product.hs_category),
        selectinload(Product.images),
    )


def organisation_products(organisation_id: int) -> list[Product]:
    """All products of an organisation, active first, then in Vietnamese name order."""
    products = db.session.scalars(
        sa.select(Product).options(*card_options())
        .where(Product.organisation_id == organisation_id)).all()
    return sorted(products, key=lambda p: (not p.active, sort_key(p.name)))


def organisation_needs(organisation_id: int) -> list[SourcingNeed]:
    """All sourcing needs of an organisation with their categories, newest first."""
    return list(db.session.scalars(
        sa.select(SourcingNeed).options(selectinload(SourcingNeed.categories))
        .where(SourcingNeed.organisation_id == organisation_id)
        .order_by(SourcingNeed.created_at.desc(), SourcingNeed.id.desc())))


def organisation_certifications(organisation_id: int,
                                product_id: int | None = None) -> list[tuple[Certification, bool]]:
    """The organisation's certifications, each with whether ``product_id`` claims it.

    One statement (an outer join on the link table), kind then number order.
    """
    pc = product_certifications
    claimed = sa.and_(pc.c.certification_id == Certification.id,
                      pc.c.product_id == (product_id if product_id is not None else -1))
    rows = db.session.execute(
        sa.select(Certification, pc.c.product_id.is_not(None))
        .outerjoin(pc, claimed)
        .where(Certification.organisation_id == organisation_id)
        .order_by(Certification.kind, Certification.number, Certification.id)).all()
    return [(cert, bool(flag)) for cert, flag in rows]


# --- products --------------------------------------------------------------------------

@dataclass
class ProductFields:
    """What a producer says about a product. Money in whole đồng per ``unit``; quantities
    in ``unit``; ``certification_ids`` name the organisation's own Certification rows."""

    name: str
    unit: str
    description: str | None = None
    ocop_category_id: int | None = None
    hs_category_id: int | None = None
    price_min_vnd: int | None = None
    price_max_vnd: int | None = None
    min_order_qty: int | None = None
    monthly_capacity: int | None = None
    ocop_stars: int | None = None
    active: bool = True
    certification_ids: Sequence[int] = field(default_factory=list)


def _check_product_categories(fields: ProductFields) -> None:
    if fields.ocop_category_id is None and fields.hs_category_id is None:
        raise CatalogueError("no_category")
    ids = [i for i in (fields.ocop_category_id, fields.hs_category_id) if i is not None]
    found = {c.id: c for c in db.session.scalars(sa.select(Category).where(Category.id.in_(ids)))}
    ocop = found.get(fields.ocop_category_id) if fields.ocop_category_id is not None else None
    hs = found.get(fields.hs_category_id) if fields.hs_category_id is not None else None
    if fields.ocop_category_id is not None and (ocop is None or ocop.set_number is None):
        raise CatalogueError("category")  # a product belongs to one of the 26 product sets
    if fields.hs_category_id is not None and (hs is None or hs.scheme != HS):
        raise CatalogueError("category")


def _apply_product(product: Product, fields: ProductFields) -> Product:
    name = normalise(fields.name)
    if not name:
        raise CatalogueError("name")
    if (fields.price_min_vnd is not None and fields.price_max_vnd is not None
            and fields.price_max_vnd < fields.price_min_vnd):
        raise CatalogueError("price_order")
    _check_product_categories(fields)
    wanted = set(fields.certification_ids)
    certifications = list(db.session.scalars(sa.select(Certification).where(
        Certification.id.in_(wanted),
        Certification.organisation_id == product.organisation_id))) if wanted else []
    if len(certifications) != len(wanted):
        raise CatalogueError("certification")
    description = (fields.description or "").strip()
    # No autoflush half-way: a row with the new minimum price and the old maximum could
    # break the price CHECK before the maximum is set.
    with db.session.no_autoflush:
        product.name = name
        product.description = description or None
        product.ocop_category_id = fields.ocop_category_id
        product.hs_category_id = fields.hs_category_id
        product.unit = normalise(fields.unit)
        product.price_min_vnd = fields.price_min_vnd
        product.price_max_vnd = fields.price_max_vnd
        product.min_order_qty = fields.min_order_qty
        product.monthly_capacity = fields.monthly_capacity
        product.ocop_stars = fields.ocop_stars
        product.active = fields.active
        product.certifications = certifications
        db.session.add(product)
    db.session.flush()
    return product


def create_product(organisation: Organisation, fields: ProductFields) -> Product:
    """Add a product to a producer (or producer-and-distributor) organisation.

    Raises:
        CatalogueError: ``not_producer``, ``name``, ``no_category``, ``category``,
            ``price_order`` or ``certification`` (see the class).
        sqlalchemy.exc.IntegrityError: a value the schema refuses (negative price, …).
    """
    if not organisation.is_producer:
        raise CatalogueError("not_producer")
    return _apply_product(Product(organisation_id=organisation.id), fields)


def update_product(product: Product, fields: ProductFields) -> Product:
    """Replace a product's details (images are separate). Raises as :func:`create_product`
    except ``not_producer``."""
    return _apply_product(product, fields)


# --- product images --------------------------------------------------------------------

def _lock_product(product_id: int) -> None:
    # Serialises image changes of one product on PostgreSQL (SQLite's BEGIN IMMEDIATE
    # already serialises every writing request), so positions are read after the last
    # writer committed. The UNIQUE (product_id, position) constraint is the backstop.
    db.session.execute(
        sa.select(Product.id).where(Product.id == product_id).with_for_update())


def _positions(product_id: int) -> set[int]:
    return set(db.session.scalars(
        sa.select(ProductImage.position).where(ProductImage.product_id == product_id)))


def add_images(product: Product, images: Sequence[ProcessedImage]) -> list[ProductImage]:
    """Store checked images (see :mod:`matchmaker.catalogue.images`) in the first free
    positions of ``product`` (0 is the cover), at most
    :data:`~matchmaker.catalogue.models.MAX_PRODUCT_IMAGES` in all; all or nothing.

    Files are written under ``products/<product id>/`` in the upload folder before the rows
    are flushed, and removed again if the rows cannot be saved.

    Raises:
        ImageError: ``too_many`` when they do not all fit, ``conflict`` when a concurrent
            upload took a position first (nothing is kept; trying again works).
    """
    _lock_product(product.id)
    free = [p for p in range(MAX_PRODUCT_IMAGES) if p not in _positions(product.id)]
    if len(images) > len(free):
        raise ImageError("too_many")
    written: list[str] = []
    rows: list[ProductImage] = []
    folder = f"products/{product.id}"
    try:
        with db.session.begin_nested():
            for image, position in zip(images, free, strict=False):
                full = save_bytes(image.full, image.kind, folder)
                written.append(full.path)
                thumb = save_bytes(image.thumb, image.kind, folder)
                written.append(thumb.path)
                row = ProductImage(product_id=product.id, position=position, path=full.path,
                                   thumb_path=thumb.path, content_type=CONTENT_TYPES[image.kind],
                                   width=image.width, height=image.height)
                db.session.add(row)
                rows.append(row)
    except IntegrityError:
        for path in written:
            delete_upload(path)
        raise ImageError("conflict") from None
    except BaseException:
        for path in written:
            delete_upload(path)
        raise
    db.session.expire(product, ["images"])
    return rows


def _locked_image(product: Product, image_id: int) -> ProductImage:
    _lock_product(product.id)
    image = db.session.scalar(
        sa.select(ProductImage)
        .where(ProductImage.id == image_id, ProductImage.product_id == product.id)
        .execution_options(populate_existing=True))
    if image is None:
        raise LookupError(f"product {product.id} has no image {image_id}")
    return image


def delete_image(product: Product, image_id: int) -> list[str]:
    """Remove one of ``product``'s images and close the gap (later images move up one place).

    Returns the stored paths of its files: delete them (with
    :func:`matchmaker.uploads.delete_upload`) after the transaction commits, so that a
    rollback never leaves a row pointing at a missing file.

    Raises:
        LookupError: the product has no such image (e.g. a concurrent request deleted it).
    """
    image = _locked_image(product, image_id)
    paths = [image.path, image.thumb_path]
    position = image.position
    db.session.delete(image)
    db.session.flush()
    later = db.session.scalars(
        sa.select(ProductImage)
        .where(ProductImage.product_id == product.id, ProductImage.position > position)
        .order_by(ProductImage.position)
        .execution_options(populate_existing=True)).all()
    for row in later:
        # One at a time, lowest first, so no two rows ever share a position.
        row.position -= 1
        db.session.flush()
    db.session.expire(product, ["images"])
    return paths


def set_cover(product: Product, image_id: int) -> ProductImage:
    """Make one of ``product``'s images the cover (position 0); the images before it move
    down one place. Returns the image row, which keeps its id.

    Positions are unique and limited to 0-4, so there is no spare position to park a row in:
    the image is taken out, the others shift, and it is put back at 0 under the same id.

    Raises:
        LookupError: the product has no such image.
    """
    image = _locked_image(product, image_id)
    if image.position == 0:
        return image
    keep = {column: getattr(image, column) for column in (
        "id", "product_id", "path", "thumb_path", "content_type", "width", "height",
        "created_at")}
    position = image.position
    db.session.delete(image)
    db.session.flush()
    before = db.session.scalars(
        sa.select(ProductImage)
        .where(ProductImage.product_id == product.id, ProductImage.position < position)
        .order_by(ProductImage.position.desc())
        .execution_options(populate_existing=True)).all()
    for row in before:
        row.position += 1  # highest first: its new place is always free
        db.session.flush()
    cover = ProductImage(position=0, **keep)
    db.session.add(cover)
    db.session.flush()
    db.session.expire(product, ["images"])
    return cover


# --- sourcing needs ---------------------------------------------------------------------

@dataclass
class NeedFields:
    """What a distributor wants to buy. ``monthly_volume`` in ``unit``; ``target_price_vnd``
    whole đồng per unit; ``required_kinds`` are :class:`CertificationKind` values;
    ``province_codes`` current province codes; ``active_until`` a Vietnamese calendar date
    (inclusive)."""

    title: str
    category_ids: Sequence[int]
    description: str | None = None
    monthly_volume: int | None = None
    unit: str | None = None
    target_price_vnd: int | None = None
    required_kinds: Sequence[str] = field(default_factory=list)
    min_ocop_stars: int | None = None
    province_codes: Sequence[int] = field(default_factory=list)
    active_until: date | None = None
    active: bool = True


def _apply_need(need: SourcingNeed, fields: NeedFields) -> SourcingNeed:
    title = normalise(fields.title)
    if not title:
        raise CatalogueError("name")
    category_ids = list(dict.fromkeys(fields.category_ids))
    if not category_ids:
        raise CatalogueError("no_category")
    categories = list(db.session.scalars(
        sa.select(Category).where(Category.id.in_(category_ids))))
    if len(categories) != len(category_ids):
        raise CatalogueError("category")
    kinds = list(dict.fromkeys(fields.required_kinds))
    if any(kind not in CertificationKind._value2member_map_ for kind in kinds):
        raise CatalogueError("kind")
    provinces = list(dict.fromkeys(fields.province_codes))
    if not all(is_province(code) for code in provinces):
        raise CatalogueError("province")
    description = (fields.description or "").strip()
    order = {cid: i for i, cid in enumerate(category_ids)}
    with db.session.no_autoflush:
        need.title = title
        need.description = description or None
        need.monthly_volume = fields.monthly_volume
        need.unit = normalise(fields.unit) or None
        need.target_price_vnd = fields.target_price_vnd
        need.min_ocop_stars = fields.min_ocop_stars
        need.active_until = fields.active_until
        need.active = fields.active
        need.categories = sorted(categories, key=lambda c: order[c.id])
        # Replace child rows by value: kept ones stay, so no DELETE + INSERT of one key.
        current_kinds = {row.kind: row for row in need.required_certifications}
        need.required_certifications = [
            current_kinds.get(kind) or NeedCertification(kind=kind) for kind in kinds]
        current_provinces = {row.province_code: row for row in need.delivery_provinces}
        need.delivery_provinces = [
            current_provinces.get(code) or NeedProvince(province_code=code)
            for code in provinces]
        db.session.add(need)
    db.session.flush()
    return need


def create_need(organisation: Organisation, fields: NeedFields,
                today: date | None = None) -> SourcingNeed:
    """Publish a sourcing need for a distributor (or producer-and-distributor).

    ``active_until`` must not be before ``today`` (default: today in Vietnam).

    Raises:
        CatalogueError: ``not_distributor``, ``name``, ``no_category``, ``category``,
            ``kind``, ``province`` or ``past_date``.
    """
    if not organisation.is_distributor:
        raise CatalogueError("not_distributor")
    if fields.active_until is not None and fields.active_until < (today or local_today()):
        raise CatalogueError("past_date")
    return _apply_need(SourcingNeed(organisation_id=organisation.id), fields)


def update_need(need: SourcingNeed, fields: NeedFields,
                today: date | None = None) -> SourcingNeed:
    """Change a sourcing need. A changed ``active_until`` must not be in the past; an
    unchanged past one may stay (the need simply stays closed). Raises as
    :func:`create_need` except ``not_distributor``."""
    changed = fields.active_until != need.active_until
    if (changed and fields.active_until is not None
            and fields.active_until < (today or local_today())):
        raise CatalogueError("past_date")
    return _apply_need(need, fields)


def delete_need(need: SourcingNeed) -> None:
    """Delete a sourcing need with its categories, certification kinds and provinces."""
    db.session.delete(need)
    db.session.flush()
