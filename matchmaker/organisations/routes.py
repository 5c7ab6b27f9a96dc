"""Organisation pages: public profile and logo, profile and certification editing, the staff
list, and the ward list the province picker fetches. Thin: parse, authorise, call a service,
commit, render."""

from pathlib import PurePosixPath

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, lazyload

from matchmaker.extensions import db
from matchmaker.organisations import bp, divisions
from matchmaker.organisations.forms import (
    BUYER_TYPE_LABELS,
    CERTIFICATION_KIND_LABELS,
    LEGAL_FORM_LABELS,
    SIDE_LABELS,
    CertificationForm,
    ProfileForm,
    optional_int,
)
from matchmaker.organisations.identifiers import format_phone, format_tax_code
from matchmaker.organisations.models import Certification, Organisation, Side
from matchmaker.organisations.services import (
    TaxCodeTaken,
    add_certification,
    delete_certification,
    may_see_documents,
    update_certification,
    update_profile,
)
from matchmaker.pagination import page_arg
from matchmaker.permissions import Role, can_edit, get_for_edit, get_or_404, role_required
from matchmaker.text import fold
from matchmaker.timeutil import to_local, utcnow
from matchmaker.uploads import delete_upload, send_upload

ORGANISATIONS_PER_PAGE = 50
PROFILE_PRODUCTS = 60  # a profile lists at most this many products; the catalogue has the rest
WARDS_MAX_AGE = 24 * 3600  # seconds: the division lists change once in years


@bp.context_processor
def _display_helpers() -> dict:
    return {
        "side_labels": SIDE_LABELS,
        "legal_form_labels": LEGAL_FORM_LABELS,
        "buyer_type_labels": BUYER_TYPE_LABELS,
        "certification_labels": CERTIFICATION_KIND_LABELS,
        "province_name": divisions.province_name,
        "ward_name": _ward_name,
        "format_phone": format_phone,
        "format_tax_code": format_tax_code,
    }


def _ward_name(code: int | None) -> str:
    ward = divisions.ward(code)
    return ward.name if ward is not None else ""


def _today():
    return to_local(utcnow()).date()


def _certifications(org_id: int) -> list[Certification]:
    return list(db.session.scalars(
        sa.select(Certification)
        .where(Certification.organisation_id == org_id)
        .order_by(Certification.kind, Certification.issued_on.desc(), Certification.id)
    ))


def _delete_files(paths: list[str]) -> None:
    # Only after the commit: a rolled-back change must still find its files.
    for path in paths:
        delete_upload(path)


def _send_stored(path: str | None, stem: str):
    # Served under a name of ours (``logo-12.png``), never the uploader's.
    return send_upload(path, download_name=f"{stem}{PurePosixPath(path or '').suffix}")


# --- Public ---------------------------------------------------------------------------------


@bp.route("/<int:org_id>")
def profile(org_id: int):
    """Public profile: identity, address, contacts, certifications (documents only for the
    organisation's members and staff) and products."""
    org = db.session.get(Organisation, org_id,
                         options=[joinedload(Organisation.delivery_provinces)])
    if org is None:
        abort(404)
    certifications = _certifications(org.id)
    # ---- Products of the organisation (built by the catalogue feature) ----
    # Imported here, not at the top: the catalogue's models import ours, and a top-level
    # import would tie the start-up order of the two packages together.
    from matchmaker.catalogue.models import Product

    # One query; the list is rendered by catalogue/_organisation_products.html when that
    # template exists, else by organisations/_products.html.
    products = list(db.session.scalars(
        sa.select(Product)
        .where(Product.organisation_id == org.id, Product.active.is_(True))
        .order_by(Product.name_key, Product.id)
        .limit(PROFILE_PRODUCTS)
    ))
    return render_template(
        "organisations/profile.html", org=org, certifications=certifications,
        products=products, product_page="catalogue.product" in current_app.view_functions,
        can_edit=can_edit(current_user, org),
        show_documents=may_see_documents(current_user, org.id), today=_today(),
    )


@bp.route("/<int:org_id>/logo")
def logo(org_id: int):
    """The organisation's logo (public; 404 without one)."""
    org = get_or_404(Organisation, org_id)
    return _send_stored(org.logo_path, f"logo-{org.id}")


@bp.route("/divisions/<int:province_code>/wards.json")
def wards_json(province_code: int):
    """``[{"code": int, "name": str}, ...]``: the current wards of a province, in Vietnamese
    order (public; 404 for an unknown province)."""
    if not divisions.is_province(province_code):
        abort(404)
    response = jsonify([{"code": code, "name": name}
                        for code, name in divisions.wards(province_code)])
    response.cache_control.public = True
    response.cache_control.max_age = WARDS_MAX_AGE
    return response


# --- Members of the organisation and staff ------------------------------------------------


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int):
    """Edit the profile (members of the organisation, organisers, admins)."""
    org = get_for_edit(Organisation, org_id)
    form = ProfileForm(obj=org)
    if form.validate_on_submit():
        try:
            obsolete = update_profile(org, **form.profile_fields())
        except TaxCodeTaken:
            db.session.rollback()
            form.tax_code.errors.append(_(
                "Another organisation is already registered with this tax code. If it is "
                "yours, contact the organisers to merge the two."))
        else:
            db.session.commit()
            _delete_files(obsolete)
            if form.resolution is not None and org.province_code is not None:
                flash(_("The address was placed in %(province)s.",
                        province=divisions.province_name(org.province_code)), "info")
            flash(_("The profile has been saved."), "success")
            return redirect(url_for(".profile", org_id=org.id))
    certifications = _certifications(org.id)
    return render_template("organisations/edit.html", form=form, org=org,
                           certifications=certifications, today=_today())


def _certification_for_edit(org_id: int, cert_id: int) -> tuple[Organisation, Certification]:
    org = get_for_edit(Organisation, org_id)
    cert = db.session.get(Certification, cert_id)
    # A certificate reached through another organisation's URL does not exist there.
    if cert is None or cert.organisation_id != org.id:
        abort(404)
    return org, cert


@bp.route("/<int:org_id>/certifications/new", methods=["GET", "POST"])
@login_required
def new_certification(org_id: int):
    """Add a certification with an optional document."""
    org = get_for_edit(Organisation, org_id)
    form = CertificationForm()
    if form.validate_on_submit():
        add_certification(org, **form.certification_fields())
        db.session.commit()
        flash(_("The certification has been added."), "success")
        return redirect(url_for(".edit", org_id=org.id, _anchor="certifications"))
    return render_template("organisations/certification_form.html", form=form, org=org,
                           cert=None)


@bp.route("/<int:org_id>/certifications/<int:cert_id>/edit", methods=["GET", "POST"])
@login_required
def edit_certification(org_id: int, cert_id: int):
    """Change a certification, replace or remove its document."""
    org, cert = _certification_for_edit(org_id, cert_id)
    form = CertificationForm(obj=cert)
    if form.validate_on_submit():
        obsolete = update_certification(cert, **form.certification_fields(),
                                        remove_document=bool(form.remove_document.data))
        db.session.commit()
        _delete_files(obsolete)
        flash(_("The certification has been saved."), "success")
        return redirect(url_for(".edit", org_id=org.id, _anchor="certifications"))
    return render_template("organisations/certification_form.html", form=form, org=org,
                           cert=cert)


@bp.route("/<int:org_id>/certifications/<int:cert_id>/delete", methods=["POST"],
          endpoint="delete_certification")
@login_required
def delete_certification_view(org_id: int, cert_id: int):
    """Delete a certification and its document."""
    org, cert = _certification_for_edit(org_id, cert_id)
    obsolete = delete_certification(cert)
    db.session.commit()
    _delete_files(obsolete)
    flash(_("The certification has been deleted."), "success")
    return redirect(url_for(".edit", org_id=org.id, _anchor="certifications"))


@bp.route("/<int:org_id>/certifications/<int:cert_id>/document")
@login_required
def certification_document(org_id: int, cert_id: int):
    """The certificate's document (members of the organisation and staff only)."""
    if not may_see_documents(current_user, org_id):
        abort(403)
    cert = db.session.get(Certification, cert_id)
    if cert is None or cert.organisation_id != org_id or not cert.document_path:
        abort(404)
    return _send_stored(cert.document_path, f"certification-{cert.id}")


# --- Staff ------------------------------------------------------------------------------


def _side_filter(side: str):
    # "Producers" includes organisations that are both, and so does "distributors".
    if side == Side.BOTH:
        return Organisation.side == Side.BOTH
    return Organisation.side.in_([side, Side.BOTH])


@bp.route("/")
@role_required(Role.ORGANISER, Role.ADMIN)
def index():
    """Every organisation, searchable by name (accents optional) or tax code, filtered by
    side and province, 50 a page."""
    query = request.args.get("q", "").strip()[:100]
    side = request.args.get("side", "")
    side = side if side in set(Side) else ""
    try:
        province = optional_int(request.args.get("province"))
    except ValueError:
        province = None
    if not divisions.is_province(province):
        province = None

    stmt = sa.select(Organisation).options(lazyload(Organisation.delivery_provinces))
    if query:
        condition = Organisation.name_key.contains(fold(query), autoescape=True)
        digits = "".join(ch for ch in query if ch.isdigit())
        if digits and len(digits) >= 3 and not any(ch.isalpha() for ch in query):
            condition = sa.or_(condition, Organisation.tax_code.startswith(digits))
        stmt = stmt.where(condition)
    if side:
        stmt = stmt.where(_side_filter(side))
    if province is not None:
        stmt = stmt.where(Organisation.province_code == province)
    # Vietnamese alphabetical order needs text.sort_key, which SQL cannot run. The folded
    # name_key gives the same order except among letters that fold alike (a/ă/â, d/đ, o/ô/ơ,
    # tones), and it is indexed: good enough for a staff list that is paged and searched.
    stmt = stmt.order_by(Organisation.name_key, Organisation.id)
    page = db.paginate(stmt, page=page_arg(), per_page=ORGANISATIONS_PER_PAGE,
                       error_out=False)
    return render_template("organisations/index.html", page=page, query=query, side=side,
                           province=province, provinces=divisions.provinces())
