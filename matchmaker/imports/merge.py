"""Deciding a possible duplicate: merge the two organisations, or keep them apart.

:func:`merge_review` folds the review's ``organisation`` (the one the import created) into
its ``candidate``: products move across (two products of the same folded name become one,
keeping the newer OCOP evaluation and filling empty fields), and so does everything else that
points at the duplicate (members, certifications, delivery provinces, sourcing needs, import
report rows, and the tables later features add), found through the foreign keys in the
metadata. Empty profile fields of the kept organisation are filled from the duplicate, which
is then deleted. The review stays, marked ``merged``, with the duplicate's name and key: later
imports of that name land on the kept organisation.

Everything happens in the caller's transaction (flush, never commit). The review row is
locked first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` for POST
requests serialises writers), so two organisers deciding at once cannot both act. When the
two organisations hold records that cannot be combined (say, both registered for one event),
the database refuses and the caller rolls everything back.
"""

import sqlalchemy as sa

from matchmaker.catalogue.models import MAX_PRODUCT_IMAGES, Product
from matchmaker.extensions import db
from matchmaker.imports.models import KEPT_APART, MERGED, PENDING, MatchReview
from matchmaker.organisations.identity import identity_key
from matchmaker.organisations.models import Organisation, Side
from matchmaker.permissions import edit_rule, is_staff, view_rule
from matchmaker.timeutil import utcnow

__all__ = ["ReviewDecided", "keep_apart", "lock_review", "merge_review"]

# Profile fields copied from the duplicate when the kept organisation has none.
_PROFILE_FIELDS = ("short_name", "legal_form", "address_line", "address_as_written", "phone",
                   "website", "description", "buyer_type")
# Product fields filled from the duplicate product when empty.
_PRODUCT_FIELDS = ("description", "ocop_category_id", "hs_category_id", "min_order_qty",
                   "monthly_capacity")


class ReviewDecided(Exception):
    """The review was already decided (by someone else, or a moment ago), or one of its
    organisations no longer exists. ``status`` is the review's status now."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@view_rule(MatchReview)
def _can_view_review(user, _review: MatchReview) -> bool:
    return is_staff(user)


@edit_rule(MatchReview)
def _can_decide_review(user, _review: MatchReview) -> bool:
    return is_staff(user)


def lock_review(review_id: int) -> MatchReview | None:
    """Load a review for deciding, row-locked on PostgreSQL; None if there is no such review."""
    return db.session.scalar(
        sa.select(MatchReview).where(MatchReview.id == review_id).with_for_update())


def _check_pending(review: MatchReview) -> None:
    if review.status != PENDING or review.organisation_id is None:
        raise ReviewDecided(review.status)


def keep_apart(review: MatchReview, user_id: int | None) -> None:
    """Record that the two organisations are different. Raises :class:`ReviewDecided`."""
    _check_pending(review)
    review.status = KEPT_APART
    review.decided_by_id = user_id
    review.decided_at = utcnow()
    db.session.flush()


def merge_review(review: MatchReview, user_id: int | None) -> tuple[Organisation, list[str]]:
    """Fold ``review.organisation`` into ``review.candidate`` (see the module docstring).

    Returns ``(kept organisation, upload paths no longer referenced)``; delete those files
    after the commit (:func:`matchmaker.uploads.delete_upload`).

    Raises:
        ReviewDecided: the review is not pending any more.
        sqlalchemy.exc.IntegrityError: the two hold records that cannot be combined.
    """
    _check_pending(review)
    duplicate_id, kept_id = review.organisation_id, review.candidate_id
    # Lock both organisations, in id order so that two merges cannot deadlock.
    db.session.execute(sa.select(Organisation.id).where(
        Organisation.id.in_((duplicate_id, kept_id))).order_by(Organisation.id).with_for_update())
    duplicate = db.session.get(Organisation, duplicate_id)
    kept = db.session.get(Organisation, kept_id)
    orphaned = _merge_products(duplicate, kept)
    orphaned += _merge_profile(duplicate, kept)

    review.status = MERGED
    review.decided_by_id = user_id
    review.decided_at = utcnow()
    review.organisation_name = duplicate.name
    review.organisation_key = identity_key(duplicate.name)
    review.organisation = None
    _move_other_reviews(review, duplicate_id, kept)
    db.session.flush()

    _repoint("organisations", duplicate_id, kept_id,
             skip={"products", MatchReview.__tablename__})
    db.session.expire_all()
    db.session.execute(sa.delete(Organisation).where(Organisation.id == duplicate_id))
    if duplicate in db.session:
        db.session.expunge(duplicate)
    return db.session.get(Organisation, kept_id), orphaned


def _merge_products(duplicate: Organisation, kept: Organisation) -> list[str]:
    theirs = list(db.session.scalars(
        sa.select(Product).where(Product.organisation_id == duplicate.id).order_by(Product.id)))
    ours = {p.name_key: p for p in db.session.scalars(
        sa.select(Product).where(Product.organisation_id == kept.id).order_by(Product.id))}
    orphaned: list[str] = []
    for product in theirs:
        target = ours.get(product.name_key)
        if target is None:
            # Through the ORM, so that the search key (which holds the producer's name) follows.
            product.organisation = kept
            ours[product.name_key] = product
        else:
            orphaned += _merge_product(product, target)
    db.session.flush()
    return orphaned


def _merge_product(source: Product, target: Product) -> list[str]:
    if (source.ocop_year or 0, source.ocop_stars or 0) > (target.ocop_year or 0,
                                                          target.ocop_stars or 0):
        target.ocop_year, target.ocop_stars = source.ocop_year, source.ocop_stars
        target.ocop_decision = source.ocop_decision or target.ocop_decision
    for name in _PRODUCT_FIELDS:
        if getattr(target, name) is None and getattr(source, name) is not None:
            setattr(target, name, getattr(source, name))
    if target.price_min_vnd is None and target.price_max_vnd is None:
        target.price_min_vnd, target.price_max_vnd = source.price_min_vnd, source.price_max_vnd
    target.active = target.active or source.active
    for certification in source.certifications:
        if certification not in target.certifications:
            target.certifications.append(certification)
    orphaned: list[str] = []
    free = [p for p in range(MAX_PRODUCT_IMAGES) if p not in {i.position for i in target.images}]
    for image in list(source.images):
        if free:
            image.position = free.pop(0)
            image.product = target
        else:
            orphaned += [image.path, image.thumb_path]
    db.session.flush()
    _repoint("products", source.id, target.id,
             skip={"product_images", "product_certifications"})
    db.session.expire(source)
    db.session.delete(source)
    return orphaned


def _merge_profile(duplicate: Organisation, kept: Organisation) -> list[str]:
    for name in _PROFILE_FIELDS:
        if getattr(kept, name) is None and getattr(duplicate, name) is not None:
            setattr(kept, name, getattr(duplicate, name))
    if kept.province_code is None and duplicate.province_code is not None:
        kept.province_code, kept.ward_code = duplicate.province_code, duplicate.ward_code
    if kept.side != duplicate.side:
        kept.side = Side.BOTH
    orphaned: list[str] = []
    if kept.tax_code is None and duplicate.tax_code is not None:
        tax_code, duplicate.tax_code = duplicate.tax_code, None
        db.session.flush()  # the code is unique: free it before the kept one takes it
        kept.tax_code = tax_code
    if duplicate.logo_path:
        if kept.logo_path is None:
            kept.logo_path = duplicate.logo_path
        else:
            orphaned.append(duplicate.logo_path)
        duplicate.logo_path = None
    db.session.flush()
    return orphaned


def _move_other_reviews(decided: MatchReview, duplicate_id: int, kept: Organisation) -> None:
    """Reviews naming the duplicate now name the kept organisation; those that would pair it
    with itself, or repeat a pair, go (they are settled by this merge)."""
    others = list(db.session.scalars(sa.select(MatchReview).where(
        MatchReview.id != decided.id,
        sa.or_(MatchReview.organisation_id == duplicate_id,
               MatchReview.candidate_id == duplicate_id))))
    pairs = {frozenset((r.organisation_id, r.candidate_id)) for r in db.session.scalars(
        sa.select(MatchReview).where(sa.or_(MatchReview.organisation_id == kept.id,
                                            MatchReview.candidate_id == kept.id)))}
    for review in others:
        if review.organisation_id is None:
            review.candidate = kept  # an earlier merge into the duplicate: the name stays known
            continue
        flagged = kept.id if review.organisation_id == duplicate_id else review.organisation_id
        candidate = kept.id if review.candidate_id == duplicate_id else review.candidate_id
        pair = frozenset((flagged, candidate))
        if flagged == candidate or pair in pairs:
            db.session.delete(review)
            continue
        pairs.add(pair)
        if review.organisation_id == duplicate_id:
            review.organisation = kept
            if review.status == PENDING:
                review.organisation_name = kept.name
                review.organisation_key = identity_key(kept.name)
        else:
            review.candidate = kept


def _repoint(table_name: str, old_id: int, new_id: int, skip: set[str]) -> None:
    """Point every foreign key to ``table_name.id`` = ``old_id`` at ``new_id`` instead.

    In pure link tables (no ``id`` of their own, the key in the primary key) rows that would
    repeat one already pointing at ``new_id`` are dropped first. Elsewhere a clash raises
    IntegrityError: such records need a person to decide.
    """
    for table in db.metadata.sorted_tables:
        if table.name in skip or table.name == table_name:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name != table_name or fk.column.name != "id":
                continue
            column = fk.parent
            primary = list(table.primary_key.columns)
            if "id" not in table.c and column in primary and len(primary) > 1:
                others = [c for c in primary if c is not column]
                existing = sa.select(*others).where(column == new_id)
                db.session.execute(sa.delete(table).where(
                    column == old_id, sa.tuple_(*others).in_(existing)))
            db.session.execute(sa.update(table).where(column == old_id).values(
                {column.name: new_id}))
