"""Organisation model (``organisations`` table)."""

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from matchmaker.db import TimestampMixin, enum_check
from matchmaker.extensions import db
from matchmaker.organisations.identity import identity_key
from matchmaker.text import fold_to, normalise


class Side(StrEnum):
    """Which side of the market an organisation is on."""

    PRODUCER = "producer"
    DISTRIBUTOR = "distributor"
    BOTH = "both"


class LegalForm(StrEnum):
    """Vietnamese legal forms of business (Law on Enterprises 2020, Law on Cooperatives 2023)."""

    JOINT_STOCK = "joint_stock"  # công ty cổ phần (CP)
    LIMITED = "limited"  # công ty TNHH (một / hai thành viên trở lên)
    PARTNERSHIP = "partnership"  # công ty hợp danh
    PRIVATE = "private"  # doanh nghiệp tư nhân (DNTN)
    COOPERATIVE = "cooperative"  # hợp tác xã (HTX), liên hiệp HTX
    COOPERATIVE_GROUP = "cooperative_group"  # tổ hợp tác
    HOUSEHOLD = "household"  # hộ kinh doanh
    STATE = "state"  # doanh nghiệp nhà nước, đơn vị sự nghiệp
    OTHER = "other"


class BuyerType(StrEnum):
    """Kinds of distributor (DESIGN §2)."""

    SUPERMARKET = "supermarket"  # chuỗi siêu thị
    WHOLESALER = "wholesaler"  # nhà bán buôn
    EXPORTER = "exporter"  # doanh nghiệp xuất khẩu
    RETAILER = "retailer"  # cửa hàng bán lẻ
    ECOMMERCE = "ecommerce"  # thương mại điện tử
    HORECA = "horeca"  # khách sạn, nhà hàng
    CANTEEN = "canteen"  # bếp ăn tập thể


class CertificationKind(StrEnum):
    """Certifications a producer can hold (DESIGN §2)."""

    OCOP_3 = "ocop_3"
    OCOP_4 = "ocop_4"
    OCOP_5 = "ocop_5"
    VIETGAP = "vietgap"
    GLOBALGAP = "globalgap"
    HACCP = "haccp"
    ISO22000 = "iso22000"
    ORGANIC = "organic"
    FOOD_SAFETY = "food_safety"  # giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm


class Organisation(TimestampMixin, db.Model):
    """A business or cooperative: producer (nhà sản xuất), distributor (nhà phân phối) or both.

    ``name`` is stored NFC with collapsed spaces; ``name_key`` is its search key
    (:func:`matchmaker.text.fold`), kept in step by the ``name`` validator. ``identity_key``
    is the key that decides "same organisation" on import (legal-form words canonicalised,
    see :mod:`matchmaker.imports`); several organisations may share it only until an
    organiser resolves the duplicate. Addresses use the current (2025) division codes of the
    ``vietnam-provinces`` package: ``province_code`` (1-96) and ``ward_code``.
    """

    __tablename__ = "organisations"
    __table_args__ = (
        sa.CheckConstraint("side IN ('producer', 'distributor', 'both')", name="side_valid"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
        sa.CheckConstraint(enum_check("legal_form", LegalForm), name="legal_form_valid"),
        sa.CheckConstraint(enum_check("buyer_type", BuyerType), name="buyer_type_valid"),
        sa.CheckConstraint("source IN ('registered', 'imported', 'demo')", name="source_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    name_key: Mapped[str] = mapped_column(sa.String(255), index=True)
    side: Mapped[str] = mapped_column(sa.String(16))
    short_name: Mapped[str | None] = mapped_column(sa.String(80))
    legal_form: Mapped[str | None] = mapped_column(sa.String(24))
    identity_key: Mapped[str] = mapped_column(sa.String(255), index=True, default="",
                                              server_default="")
    # 10 or 13 digits (MST, "0101234567-001" stored without the dash) or a 12-digit personal ID.
    tax_code: Mapped[str | None] = mapped_column(sa.String(13), unique=True)
    province_code: Mapped[int | None] = mapped_column(sa.SmallInteger, index=True)
    ward_code: Mapped[int | None] = mapped_column(sa.Integer)
    address_line: Mapped[str | None] = mapped_column(sa.String(255))
    # The address as written before it was resolved (e.g. a pre-2025 district), kept for review.
    address_as_written: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(20))  # E.164, "+84…"
    website: Mapped[str | None] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    logo_path: Mapped[str | None] = mapped_column(sa.String(255))
    buyer_type: Mapped[str | None] = mapped_column(sa.String(16))
    source: Mapped[str] = mapped_column(sa.String(16), default="registered",
                                        server_default="registered")

    # Loaded on use only: the current user's organisation is joined on every request, and
    # most pages never need its delivery provinces.
    delivery_provinces: Mapped[list["DeliveryProvince"]] = relationship(
        cascade="all, delete-orphan", order_by="DeliveryProvince.province_code"
    )

    @validates("name")
    def _normalise_name(self, _key: str, value: str) -> str:
        value = normalise(value)
        self.name_key = fold_to(value, 255)
        self.identity_key = identity_key(value)[:255]
        return value

    @property
    def delivery_province_codes(self) -> list[int]:
        return [d.province_code for d in self.delivery_provinces]

    @property
    def is_producer(self) -> bool:
        return self.side in (Side.PRODUCER, Side.BOTH)

    @property
    def is_distributor(self) -> bool:
        return self.side in (Side.DISTRIBUTOR, Side.BOTH)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class DeliveryProvince(db.Model):
    """A province a distributor delivers to or buys for (current province code)."""

    __tablename__ = "organisation_delivery_provinces"

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    province_code: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)


class Certification(TimestampMixin, db.Model):
    """A certificate an organisation holds: OCOP stars, VietGAP, HACCP, ….

    ``document_path`` names an uploaded PDF/JPEG/PNG under the instance upload folder (random
    name), served only to those allowed. Dates are calendar dates (no time zone).
    """

    __tablename__ = "certifications"
    __table_args__ = (
        sa.CheckConstraint(enum_check("kind", CertificationKind), name="kind_valid"),
        sa.CheckConstraint(
            "expires_on IS NULL OR issued_on IS NULL OR expires_on >= issued_on",
            name="expires_after_issue",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16))
    number: Mapped[str | None] = mapped_column(sa.String(80))  # number or decision reference
    issuer: Mapped[str | None] = mapped_column(sa.String(255))
    issued_on: Mapped[date | None] = mapped_column(sa.Date)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    document_path: Mapped[str | None] = mapped_column(sa.String(255))

    organisation: Mapped[Organisation] = relationship()
