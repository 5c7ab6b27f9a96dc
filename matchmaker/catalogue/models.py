"""Category, Product, ProductImage, SourcingNeed and their link tables."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from matchmaker.db import TimestampMixin, enum_check
from matchmaker.extensions import db
from matchmaker.organisations.models import (
    Certification,
    CertificationKind,
    Organisation,
)
from matchmaker.text import fold_to, normalise

MAX_PRODUCT_IMAGES = 5


class Category(db.Model):
    """A node of a category tree; one tree per ``scheme``.

    Schemes:
        ``ocop``: the OCOP product classification of Decision 148/QĐ-TTg (2023): 6 major
            groups (code ``I``…``VI``) → groups (``I.1``) → subgroups (``I.1.a``). The 26
            product sets are the subgroups, or the group where it has none (``I.6``, cà phê,
            ca cao); they carry ``set_number``. Paths look like ``ocop/I/I.1/I.1.a``.
        ``hs``: Harmonized System 2022: 21 sections (``XVI``) → 97 chapters (``09``) →
            headings (``0901``) → subheadings (``090121``). Paths look like
            ``hs/II/09/0901/090121``; codes keep their leading zeros.

    ``path`` is materialised: ancestor-or-self of X is every category whose path is a
    prefix of X's path at a ``/`` boundary (see :meth:`subtree_filter`).
    """

    __tablename__ = "categories"
    __table_args__ = (
        sa.CheckConstraint("scheme IN ('ocop', 'hs')", name="scheme_valid"),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="level_valid"),
        sa.CheckConstraint("name_vi IS NOT NULL OR name_en IS NOT NULL", name="has_a_name"),
        sa.UniqueConstraint("scheme", "code", name="uq_categories_scheme_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(sa.String(8))
    code: Mapped[str] = mapped_column(sa.String(16))
    path: Mapped[str] = mapped_column(sa.String(64), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    # HS headings and subheadings have no Vietnamese title in our sources: name_vi is NULL.
    name_vi: Mapped[str | None] = mapped_column(sa.String(500))
    name_en: Mapped[str | None] = mapped_column(sa.String(500))
    name_key: Mapped[str] = mapped_column(sa.String(1000))  # fold(name_vi + name_en), set by loader
    sort_order: Mapped[int] = mapped_column(sa.Integer, default=0)
    # The OCOP product-set number (1-26) of Decision 148; only on the 26 product sets.
    set_number: Mapped[int | None] = mapped_column(sa.SmallInteger, unique=True)

    parent: Mapped["Category | None"] = relationship(remote_side=[id])

    def name(self, locale: str = "vi") -> str:
        """The name in ``locale``, falling back to the other language where one is missing."""
        first, second = (self.name_en, self.name_vi) if locale == "en" else (
            self.name_vi, self.name_en)
        return first or second or ""

    @staticmethod
    def subtree_filter(path_column, path: str):
        """SQL condition: ``path_column`` is ``path`` or one of its descendants.

        A range on the path string (``/`` + 1 is ``0``), so an index on the column serves it
        on both SQLite and PostgreSQL, unlike ``LIKE``.
        """
        return sa.or_(path_column == path,
                      sa.and_(path_column >= path + "/", path_column < path + "0"))

    def __repr__(self) -> str:
        return f"<Category {self.path}>"


product_certifications = sa.Table(
    "product_certifications",
    db.metadata,
    sa.Column("product_id", sa.ForeignKey("products.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("certification_id", sa.ForeignKey("certifications.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)


class Product(TimestampMixin, db.Model):
    """A product a producer offers.

    Money is whole đồng (VND) per ``unit``; quantities (``min_order_qty``,
    ``monthly_capacity``) are counted in ``unit`` (kg, lít, hộp, chiếc, …).
    ``search_key`` is the folded text the full-text index covers (name, description,
    producer, category names).
    """

    __tablename__ = "products"
    __table_args__ = (
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
        sa.CheckConstraint("price_min_vnd IS NULL OR price_min_vnd >= 0", name="price_min_ok"),
        sa.CheckConstraint(
            "price_max_vnd IS NULL OR (price_max_vnd >= 0 AND "
            "(price_min_vnd IS NULL OR price_max_vnd >= price_min_vnd))",
            name="price_max_ok",
        ),
        sa.CheckConstraint("min_order_qty IS NULL OR min_order_qty > 0", name="min_order_ok"),
        sa.CheckConstraint("monthly_capacity IS NULL OR monthly_capacity > 0",
                           name="capacity_ok"),
        sa.CheckConstraint("ocop_stars IS NULL OR ocop_stars BETWEEN 3 AND 5",
                           name="ocop_stars_valid"),
        sa.Index("ix_products_org_name_key", "organisation_id", "name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(255))
    name_key: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    ocop_category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    hs_category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    unit: Mapped[str] = mapped_column(sa.String(20))
    price_min_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    price_max_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    min_order_qty: Mapped[int | None] = mapped_column(sa.Integer)
    monthly_capacity: Mapped[int | None] = mapped_column(sa.Integer)
    ocop_stars: Mapped[int | None] = mapped_column(sa.SmallInteger, index=True)
    ocop_year: Mapped[int | None] = mapped_column(sa.SmallInteger)
    ocop_decision: Mapped[str | None] = mapped_column(sa.String(80))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    search_key: Mapped[str] = mapped_column(sa.Text, default="")
    # Vietnamese alphabetical order as bytes (search_index.name_sort_key), kept by its flush hook.
    name_sort_key: Mapped[bytes] = mapped_column(sa.LargeBinary, default=b"", index=True)

    organisation: Mapped[Organisation] = relationship()
    ocop_category: Mapped[Category | None] = relationship(foreign_keys=[ocop_category_id])
    hs_category: Mapped[Category | None] = relationship(foreign_keys=[hs_category_id])
    certifications: Mapped[list[Certification]] = relationship(
        secondary=product_certifications
    )
    images: Mapped[list["ProductImage"]] = relationship(
        cascade="all, delete-orphan", order_by="ProductImage.position", back_populates="product"
    )

    @validates("name")
    def _normalise_name(self, _key: str, value: str) -> str:
        value = normalise(value)
        self.name_key = fold_to(value, 255)
        return value

    @property
    def categories(self) -> list[Category]:
        return [c for c in (self.ocop_category, self.hs_category) if c is not None]

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.name!r}>"


class ProductImage(TimestampMixin, db.Model):
    """One of up to :data:`MAX_PRODUCT_IMAGES` images of a product, with its thumbnail.

    Files live under the instance upload folder with random names; ``position`` 0 is the
    cover image.
    """

    __tablename__ = "product_images"
    __table_args__ = (
        sa.CheckConstraint(f"position >= 0 AND position < {MAX_PRODUCT_IMAGES}",
                           name="position_valid"),
        sa.UniqueConstraint("product_id", "position", name="uq_product_images_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    path: Mapped[str] = mapped_column(sa.String(255))
    thumb_path: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(32))
    width: Mapped[int] = mapped_column(sa.Integer)
    height: Mapped[int] = mapped_column(sa.Integer)

    product: Mapped[Product] = relationship(back_populates="images")


sourcing_need_categories = sa.Table(
    "sourcing_need_categories",
    db.metadata,
    sa.Column("sourcing_need_id", sa.ForeignKey("sourcing_needs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("category_id", sa.ForeignKey("categories.id", ondelete="RESTRICT"),
              primary_key=True, index=True),
)


class SourcingNeed(TimestampMixin, db.Model):
    """What a distributor wants to buy.

    ``monthly_volume`` is counted in ``unit``; ``target_price_vnd`` is whole đồng per unit.
    Required certifications are kinds (:class:`CertificationKind`), delivery provinces are
    current province codes. A need stops being shown after ``active_until`` (a date).
    """

    __tablename__ = "sourcing_needs"
    __table_args__ = (
        sa.CheckConstraint("length(title) > 0", name="title_not_empty"),
        sa.CheckConstraint("monthly_volume IS NULL OR monthly_volume > 0", name="volume_ok"),
        sa.CheckConstraint("target_price_vnd IS NULL OR target_price_vnd >= 0",
                           name="target_price_ok"),
        sa.CheckConstraint("min_ocop_stars IS NULL OR min_ocop_stars BETWEEN 3 AND 5",
                           name="min_ocop_stars_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    monthly_volume: Mapped[int | None] = mapped_column(sa.Integer)
    unit: Mapped[str | None] = mapped_column(sa.String(20))
    target_price_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    min_ocop_stars: Mapped[int | None] = mapped_column(sa.SmallInteger)
    active_until: Mapped[date | None] = mapped_column(sa.Date)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())

    organisation: Mapped[Organisation] = relationship()
    categories: Mapped[list[Category]] = relationship(secondary=sourcing_need_categories)
    required_certifications: Mapped[list["NeedCertification"]] = relationship(
        cascade="all, delete-orphan"
    )
    delivery_provinces: Mapped[list["NeedProvince"]] = relationship(cascade="all, delete-orphan")

    @validates("title")
    def _normalise_title(self, _key: str, value: str) -> str:
        return normalise(value)


class NeedCertification(db.Model):
    """A certification kind a sourcing need requires."""

    __tablename__ = "sourcing_need_certifications"
    __table_args__ = (sa.CheckConstraint(enum_check("kind", CertificationKind), name="kind_valid"),)

    sourcing_need_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sourcing_needs.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)


class NeedProvince(db.Model):
    """A province a sourcing need wants delivery to (current province code)."""

    __tablename__ = "sourcing_need_provinces"

    sourcing_need_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sourcing_needs.id", ondelete="CASCADE"), primary_key=True
    )
    province_code: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
