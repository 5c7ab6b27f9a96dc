"""Organiser pages: upload a producers file, read its report, review uncertain matches.

Staff only (organisers and admins). Thin: parse, authorise, call a service, commit, render.
"""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from matchmaker.catalogue.models import Product
from matchmaker.extensions import db
from matchmaker.imports import bp
from matchmaker.imports.forms import UploadForm
from matchmaker.imports.merge import ReviewDecided, keep_apart, lock_review, merge_review
from matchmaker.imports.models import OUTCOMES, PENDING, ImportRow, MatchReview, ProducerImport
from matchmaker.imports.parsing import MAX_FILE_BYTES, FileError
from matchmaker.imports.reasons import OUTCOME_LABELS, REASONS, file_error_message
from matchmaker.imports.services import DEFAULT_UNIT, import_producers
from matchmaker.organisations.divisions import province_name, ward
from matchmaker.pagination import page_arg
from matchmaker.permissions import Role, get_for_view, role_required
from matchmaker.uploads import delete_upload

STAFF = (Role.ORGANISER, Role.ADMIN)
IMPORTS_SHOWN = 50
ROWS_PER_PAGE = 200


@bp.context_processor
def _helpers() -> dict:
    def profile_url(org_id: int | None) -> str | None:
        # The profile page belongs to the organisations feature; link only when it exists.
        if org_id is None:
            return None
        try:
            return url_for("organisations.profile", org_id=org_id)
        except BuildError:
            return None

    def place(province_code: int | None, ward_code: int | None) -> str:
        found = ward(ward_code)
        names = [found.name if found else "", province_name(province_code)]
        return ", ".join(n for n in names if n)

    return {"REASONS": REASONS, "OUTCOME_LABELS": OUTCOME_LABELS, "profile_url": profile_url,
            "place": place}


@bp.route("/", methods=["GET", "POST"])
@role_required(*STAFF)
def index():
    """Upload form and the latest imports. A file that changes nothing is reported here
    without being recorded; otherwise the browser goes to the new import's report."""
    form = UploadForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.stream.read(MAX_FILE_BYTES + 1)
        try:
            result = import_producers(data, upload.filename or "", imported_by_id=current_user.id,
                                      default_province=form.province.data)
        except FileError as exc:
            db.session.rollback()
            form.file.errors.append(
                _("%(message)s Nothing was imported.",
                  message=file_error_message(exc.code, exc.params)))
        else:
            if result.import_id is not None:
                db.session.commit()
                flash(_("Import saved: %(imported)d rows imported, %(merged)d merged, "
                        "%(unchanged)d unchanged, %(skipped)d skipped.",
                        imported=result.count("imported"), merged=result.count("merged"),
                        unchanged=result.count("unchanged"), skipped=result.count("skipped")),
                      "success")
                if result.reviews_created:
                    flash(ngettext("%(num)d possible duplicate waits for your review.",
                                   "%(num)d possible duplicates wait for your review.",
                                   result.reviews_created), "warning")
                return redirect(url_for("imports.report", import_id=result.import_id))
            db.session.rollback()
    imports = db.session.scalars(
        sa.select(ProducerImport).order_by(ProducerImport.id.desc()).limit(IMPORTS_SHOWN)).all()
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(MatchReview)
                                .where(MatchReview.status == PENDING))
    return render_template("imports/index.html", form=form, result=result, imports=imports,
                           pending=pending, default_unit=DEFAULT_UNIT)


@bp.route("/<int:import_id>")
@role_required(*STAFF)
def report(import_id: int):
    """One import's report, row by row; ``?outcome=skipped`` (etc.) filters it."""
    run = get_for_view(ProducerImport, import_id)
    outcome = request.args.get("outcome", "")
    if outcome and outcome not in OUTCOMES:
        abort(404)
    stmt = sa.select(ImportRow).where(ImportRow.import_id == run.id).order_by(
        ImportRow.row_number)
    if outcome:
        stmt = stmt.where(ImportRow.outcome == outcome)
    page = db.paginate(stmt, page=page_arg(), per_page=ROWS_PER_PAGE, error_out=False)
    return render_template("imports/report.html", run=run, page=page, outcome=outcome,
                           outcomes=OUTCOMES)


@bp.route("/reviews")
@role_required(*STAFF)
def reviews():
    """Pending possible duplicates, the two organisations side by side with their products."""
    pending = db.session.scalars(
        sa.select(MatchReview).where(MatchReview.status == PENDING)
        .options(joinedload(MatchReview.organisation), joinedload(MatchReview.candidate))
        .order_by(MatchReview.id)).all()
    org_ids = {r.organisation_id for r in pending} | {r.candidate_id for r in pending}
    products: dict[int, list[Product]] = {}
    if org_ids:
        for product in db.session.scalars(
                sa.select(Product).where(Product.organisation_id.in_(org_ids))
                .order_by(Product.organisation_id, Product.name_key, Product.id)):
            products.setdefault(product.organisation_id, []).append(product)
    return render_template("imports/reviews.html", reviews=pending, products=products)


@bp.route("/reviews/<int:review_id>/merge", methods=["POST"])
@role_required(*STAFF)
def merge(review_id: int):
    """Fold the flagged organisation into the candidate (one transaction)."""
    review = lock_review(review_id)
    if review is None:
        abort(404)
    duplicate_name = review.organisation.name if review.organisation else ""
    try:
        kept, orphaned = merge_review(review, current_user.id)
        kept_name = kept.name
        db.session.commit()
    except ReviewDecided:
        db.session.rollback()
        flash(_("Someone has already decided on this pair."), "info")
    except IntegrityError:
        db.session.rollback()
        flash(_("These two organisations hold records that cannot be combined automatically "
                "(for example, both registered for the same event). Nothing was changed."),
              "error")
    else:
        for path in orphaned:
            delete_upload(path)
        flash(_("%(duplicate)s was merged into %(kept)s.", duplicate=duplicate_name,
                kept=kept_name), "success")
    return redirect(url_for("imports.reviews"))


@bp.route("/reviews/<int:review_id>/keep-apart", methods=["POST"], endpoint="keep_apart")
@role_required(*STAFF)
def keep_apart_view(review_id: int):
    """Record that the two organisations are different."""
    review = lock_review(review_id)
    if review is None:
        abort(404)
    try:
        keep_apart(review, current_user.id)
        db.session.commit()
    except ReviewDecided:
        db.session.rollback()
        flash(_("Someone has already decided on this pair."), "info")
    else:
        flash(_("Kept apart: both organisations stay."), "success")
    return redirect(url_for("imports.reviews"))
