"""Sourcing-need views: what distributors want to buy.

Who may do what (rules in :mod:`matchmaker.catalogue.services`):

* ``GET /needs/<id>``: any logged-in user while the need is open; a closed one (inactive, or
  its open-until day passed in Vietnam) only its organisation's members and staff (others
  get 404). Anonymous visitors are sent to log in.
* ``/needs/``: members (a producer-only organisation gets an explanation); staff get 403.
* ``/needs/new``: members of distributor or producer-and-distributor organisations.
* edit and delete: the distributor's members and staff.
"""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from matchmaker.catalogue import bp, services
from matchmaker.catalogue import categories as cat
from matchmaker.catalogue.forms import CERTIFICATION_KIND_LABELS, CHOOSE_FROM_LIST, NeedForm
from matchmaker.catalogue.models import SourcingNeed
from matchmaker.extensions import db
from matchmaker.organisations.divisions import provinces
from matchmaker.organisations.models import Organisation
from matchmaker.permissions import Role, can_edit, can_view, is_staff, role_required

SERVICE_MESSAGES = {
    "name": ("title", _l("Enter a title, e.g. Nước mắm for 20 supermarkets.")),
    "no_category": ("ocop_categories",
                    _l("Choose at least one OCOP category or give an HS code.")),
    "past_date": ("active_until", _l("This date has passed. Choose today or a later day.")),
}


def _locale() -> str:
    return str(get_locale())


def _province_names(codes) -> list[str]:
    # In the divisions list's order: Vietnamese alphabetical by proper name.
    wanted = set(codes)
    return [name for code, name in provinces() if code in wanted]


def _load_need(need_id: int, *options) -> SourcingNeed | None:
    return db.session.execute(
        sa.select(SourcingNeed).options(*options).where(SourcingNeed.id == need_id)
    ).unique().scalar_one_or_none()


def _need_for_edit(need_id: int, *options) -> SourcingNeed:
    need = _load_need(need_id, *options)
    if need is None:
        abort(404)
    if not can_edit(current_user, need):
        abort(403)
    return need


def _need_form(need: SourcingNeed | None, fill: bool) -> NeedForm:
    tree, chosen = cat.ocop_tree_and_need_categories(need.id if need is not None else None)
    return NeedForm.build(cat.ocop_tree_choices(tree, _locale()), provinces(),
                          services.local_today(), need=need, chosen=chosen, fill=fill)


def _service_error(form: NeedForm, error: services.CatalogueError) -> None:
    db.session.rollback()
    field, message = SERVICE_MESSAGES.get(error.code, ("title", CHOOSE_FROM_LIST))
    getattr(form, field).errors.append(str(message))


def _render_form(need: SourcingNeed | None, form: NeedForm):
    return render_template("catalogue/need_form.html", need=need, form=form)


@bp.get("/needs/")
@role_required(Role.MEMBER)
def my_needs():
    """The member's organisation's sourcing needs, open and closed."""
    organisation = current_user.organisation
    return render_template(
        "catalogue/need_list.html", organisation=organisation,
        needs=services.organisation_needs(organisation.id), today=services.local_today(),
        is_open=services.need_is_open, category_label=cat.category_label, locale=_locale())


@bp.route("/needs/new", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def new_need():
    """Publish a sourcing need (members of distributor organisations)."""
    organisation = current_user.organisation
    if not organisation.is_distributor:
        abort(403)
    form = _need_form(None, fill=False)
    if form.validate_on_submit():
        try:
            need = services.create_need(organisation, form.fields_for_service())
        except services.CatalogueError as error:
            _service_error(form, error)
        else:
            db.session.commit()
            flash(_("Sourcing need published."), "success")
            return redirect(url_for(".need", need_id=need.id))
    return _render_form(None, form)


@bp.get("/needs/<int:need_id>")
@login_required
def need(need_id: int):
    """One sourcing need with its categories (as breadcrumbs), volume, price and terms."""
    need = _load_need(
        need_id,
        joinedload(SourcingNeed.organisation).lazyload(Organisation.delivery_provinces),
        joinedload(SourcingNeed.required_certifications),
        joinedload(SourcingNeed.delivery_provinces))
    if need is None or not can_view(current_user, need):
        abort(404)
    return render_template(
        "catalogue/need_detail.html", need=need, trails=cat.need_trails(need.id),
        is_open=services.need_is_open(need), editable=can_edit(current_user, need),
        kind_labels=CERTIFICATION_KIND_LABELS, delivery_names=_province_names(
            p.province_code for p in need.delivery_provinces),
        category_label=cat.category_label, locale=_locale())


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit_need(need_id: int):
    """Change a sourcing need."""
    need = _need_for_edit(
        need_id, joinedload(SourcingNeed.required_certifications),
        joinedload(SourcingNeed.delivery_provinces))
    form = _need_form(need, fill=request.method == "GET")
    if form.validate_on_submit():
        try:
            services.update_need(need, form.fields_for_service())
        except services.CatalogueError as error:
            _service_error(form, error)
        else:
            db.session.commit()
            flash(_("Sourcing need saved."), "success")
            return redirect(url_for(".need", need_id=need_id))
    return _render_form(need, form)


@bp.post("/needs/<int:need_id>/delete")
@login_required
def delete_need(need_id: int):
    """Delete a sourcing need; members go back to their list, staff to the home page."""
    need = _need_for_edit(need_id)
    services.delete_need(need)
    db.session.commit()
    flash(_("Sourcing need deleted."), "success")
    if is_staff(current_user):
        return redirect(url_for("core.home"))
    return redirect(url_for(".my_needs"))
