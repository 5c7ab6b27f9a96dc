"""Import runs, their per-row report, and uncertain organisation matches awaiting review."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.db import TimestampMixin
from matchmaker.extensions import db


class ProducerImport(TimestampMixin, db.Model):
    """One import of a producers file (CLI or upload). ``file_sha256`` identifies the content."""

    __tablename__ = "producer_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    file_sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    imported_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    rows_total: Mapped[int] = mapped_column(sa.Integer, default=0)
    rows_imported: Mapped[int] = mapped_column(sa.Integer, default=0)
    rows_merged: Mapped[int] = mapped_column(sa.Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(sa.Integer, default=0)

    rows: Mapped[list["ImportRow"]] = relationship(
        cascade="all, delete-orphan", order_by="ImportRow.row_number"
    )


class ImportRow(db.Model):
    """What happened to one row: ``imported`` (new), ``merged`` (into existing records),
    ``unchanged`` (already there), or ``skipped`` with a ``reason`` code and its detail."""

    __tablename__ = "import_rows"
    __table_args__ = (
        sa.CheckConstraint(
            "outcome IN ('imported', 'merged', 'unchanged', 'skipped')", name="outcome_valid"
        ),
        sa.UniqueConstraint("import_id", "row_number", name="uq_import_rows_row"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        sa.ForeignKey("producer_imports.id", ondelete="CASCADE")
    )
    row_number: Mapped[int] = mapped_column(sa.Integer)  # 2 = the first row under the header
    outcome: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str | None] = mapped_column(sa.String(40))
    detail: Mapped[str | None] = mapped_column(sa.String(500))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL")
    )
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="SET NULL")
    )


class MatchReview(TimestampMixin, db.Model):
    """Two organisations an import found alike but not certainly the same.

    ``status``: ``pending`` until an organiser decides ``merged`` (``organisation`` folded into
    ``candidate``) or ``kept_apart``. ``similarity`` is 0-1.
    """

    __tablename__ = "organisation_match_reviews"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'merged', 'kept_apart')", name="status_valid"),
        sa.CheckConstraint("organisation_id <> candidate_id", name="two_organisations"),
        sa.UniqueConstraint("organisation_id", "candidate_id", name="uq_match_reviews_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("producer_imports.id", ondelete="SET NULL")
    )
    similarity: Mapped[float] = mapped_column(sa.Float)
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
