"""Import runs, their per-row report, and uncertain organisation matches awaiting review."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.db import TimestampMixin, UTCDateTime
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation

#: Row outcomes, in the order reports show them.
OUTCOMES = ("imported", "merged", "unchanged", "skipped")
#: Review statuses.
PENDING, MERGED, KEPT_APART = "pending", "merged", "kept_apart"


class ProducerImport(TimestampMixin, db.Model):
    """One import of a producers file (CLI or upload). ``file_sha256`` identifies the content.

    Recorded only when the import changed something; ``rows_total`` counts the data rows
    (blank rows excluded), the other counters split them by outcome (unchanged = the rest).
    """

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
    imported_by: Mapped["User | None"] = relationship(  # noqa: F821 (matchmaker.auth.models)
        lazy="joined", innerjoin=False)

    @property
    def rows_unchanged(self) -> int:
        return self.rows_total - self.rows_imported - self.rows_merged - self.rows_skipped


class ImportRow(db.Model):
    """What happened to one row: ``imported`` (new), ``merged`` (into existing records),
    ``unchanged`` (already there), or ``skipped`` with a ``reason`` code and its detail.

    ``reason`` is a code of :data:`matchmaker.imports.reasons.REASONS` (translated when
    shown); on rows that were not skipped it is a notice (e.g. a possible duplicate) or None.
    ``detail`` holds the data behind it (the value as written, the other organisation).
    ``product_name`` and ``producer_name`` are the row's text, kept for the report.
    """

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
    product_name: Mapped[str | None] = mapped_column(sa.String(255))
    producer_name: Mapped[str | None] = mapped_column(sa.String(255))


class MatchReview(TimestampMixin, db.Model):
    """Two organisations an import found alike but not certainly the same.

    ``status``: ``pending`` until an organiser decides ``merged`` (``organisation`` folded into
    ``candidate``) or ``kept_apart``. ``similarity`` is 0-1
    (:func:`matchmaker.organisations.identity.match_score`).

    ``organisation_name`` / ``organisation_key`` keep the flagged organisation's name and
    identity key: after a merge that organisation is deleted (``organisation_id`` becomes
    NULL) and the review stays as the record that this name now means ``candidate``, so a
    later import of the same name lands on the merged organisation.
    """

    __tablename__ = "organisation_match_reviews"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'merged', 'kept_apart')", name="status_valid"),
        sa.CheckConstraint("organisation_id <> candidate_id", name="two_organisations"),
        sa.UniqueConstraint("organisation_id", "candidate_id", name="uq_match_reviews_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True
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
    organisation_name: Mapped[str | None] = mapped_column(sa.String(255))
    organisation_key: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])
    candidate: Mapped[Organisation] = relationship(foreign_keys=[candidate_id])
