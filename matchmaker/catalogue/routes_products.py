"""Product views: the public product page, its images, and create/edit for producers.

Who may do what (rules in :mod:`matchmaker.catalogue.services`):

* ``GET /products/<id>`` and its images: everyone for an active product; an inactive one only
  for the producer's members and staff (others get 404, as if it did not exist).
* ``/products/mine``: members (a distributor-only organisation gets an explanation); staff
  have no organisation and get 403.
* ``/products/new``: members of producer or producer-and-distributor organisations.
* edit, images, cover, delete image: the producer's members and staff.
"""

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import RequestEntityTooLarge

from matchmaker.catalogue import bp, services
from matchmaker.catalogue import categories as cat
from matchmaker.catalogue.forms import (
    CERTIFICATION_KIND_LABELS,
    CHOOSE_FROM_LIST,
    ImageUploadForm,
    ProductForm,
    image_error_message,
    unit_label,
)
from matchmaker.catalogue.images import MAX_IMAGE_BYTES, ImageError, read_image
from matchmaker.catalogue.models import MAX_PRODUCT_IMAGES, Product, ProductImage
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation
from matchmaker.permissions import Role, can_edit, can_view, is_staff, role_required
from matchmaker.setup import ERROR_TEXTS
from matchmaker.uploads import delete_upload, send_upload

IMAGE_VARIANTS = ("thumb", "full")
# Forms catch these first; a service refusal after a valid form means a tampered request
# or a concurrent change, so the message goes on the field concerned.
SERVICE_MESSAGES = {
    "name": ("name", _l("Enter the product's name.")),
    "no_category": ("ocop_set",
                    _l("Give at least one category: an OCOP product set or an HS code.")),
    "category": ("ocop_set", CHOOSE_FROM_LIST),
    "price_order": ("price_max", _l("The highest price cannot be below the lowest price.")),
    "certification": ("certifications", CHOOSE_FROM_LIST),
}


def _locale() -> str:
    return str(get_locale())


@bp.app_template_filter("unit_label")
def _unit_label_filter(unit: str | None) -> str:
    """``{{ product.unit|unit_label }}``: the unit in the user's language."""
    return unit_label(unit)


@bp.app_template_filter("quantity")
def _quantity_filter(number: int | None) -> str:
    """``{{ 2000|quantity }}`` -> "2.000" (vi), "2,000" (en); "" for None."""
    if number is None:
        return ""
    return format_decimal(number, locale=_locale())


def producer_url(organisation_id: int) -> str | None:
    """Link to the producer's public profile, once the organisations blueprint serves one."""
    if "organisations.profile" not in current_app.view_functions:
        return None
    return url_for("organisations.profile", org_id=organisation_id)


def _load_product(product_id: int, *options) -> Product | None:
    return db.session.execute(
        sa.select(Product).options(*options).where(Product.id == product_id)
    ).unique().scalar_one_or_none()


def _product_for_edit(product_id: int, *options) -> Product:
    product = _load_product(product_id, *options)
    if product is None:
        abort(404)
    if not can_edit(current_user, product):
        abort(403)
    return product


def _product_form(organisation_id: int, product: Product | None, fill: bool) -> ProductForm:
    groups = cat.ocop_set_groups(cat.ocop_tree(), _locale())
    certifications = services.organisation_certifications(
        organisation_id, product.id if product is not None else None)
    return ProductForm.for_organisation(groups, certifications, product=product, fill=fill)


def _service_error(form: ProductForm, error: services.CatalogueError) -> None:
    db.session.rollback()
    field, message = SERVICE_MESSAGES.get(error.code, ("name", CHOOSE_FROM_LIST))
    getattr(form, field).errors.append(str(message))


def _render_form(product: Product | None, form: ProductForm,
                 upload: ImageUploadForm | None = None, status: int = 200):
    return render_template(
        "catalogue/product_form.html", product=product, form=form,
        upload=upload or ImageUploadForm(formdata=None), max_images=MAX_PRODUCT_IMAGES,
        max_image_bytes=MAX_IMAGE_BYTES), status


# --- public ----------------------------------------------------------------------------

@bp.get("/products/<int:product_id>")
def product(product_id: int):
    """The public product page. Inactive products: producer's members and staff only."""
    product = _load_product(
        product_id,
        joinedload(Product.organisation).lazyload(Organisation.delivery_provinces),
        joinedload(Product.ocop_category), joinedload(Product.hs_category),
        joinedload(Product.images), joinedload(Product.certifications))
    if product is None or not can_view(current_user, product):
        abort(404)
    return render_template(
        "catalogue/product_detail.html", product=product,
        trails=cat.breadcrumbs(product.categories), producer_url=producer_url(
            product.organisation_id), editable=can_edit(current_user, product),
        kind_labels=CERTIFICATION_KIND_LABELS, category_label=cat.category_label,
        locale=_locale(), meeting_targets=_meeting_targets(product))


def _meeting_targets(product: Product) -> list[tuple[int, str, int]]:
    """Events where the viewer (a distributor's member) may ask this producer for a
    meeting: one statement, only for members of another organisation."""
    # Imported here: the meetings package imports the catalogue's models (start-up order).
    from matchmaker.meetings.requests import request_targets

    if not current_user.is_authenticated or is_staff(current_user) or not product.active:
        return []
    return request_targets(current_user.organisation_id, product.organisation_id)


@bp.get("/products/<int:product_id>/images/<int:image_id>/<variant>")
def product_image(product_id: int, image_id: int, variant: str):
    """An image file (``thumb`` or ``full``), visible to whoever may see the product."""
    if variant not in IMAGE_VARIANTS:
        abort(404)
    image = db.session.scalar(
        sa.select(ProductImage).options(joinedload(ProductImage.product))
        .where(ProductImage.id == image_id, ProductImage.product_id == product_id))
    if image is None or not can_view(current_user, image):
        abort(404)
    return send_upload(image.thumb_path if variant == "thumb" else image.path)


# --- the producer's own ----------------------------------------------------------------

@bp.get("/products/mine")
@role_required(Role.MEMBER)
def my_products():
    """The member's organisation's products, active and not, with edit links."""
    organisation = current_user.organisation
    products = (services.organisation_products(organisation.id)
                if organisation.is_producer else [])
    return render_template("catalogue/product_list.html", organisation=organisation,
                           products=products)


@bp.route("/products/new", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def new_product():
    """Add a product (members of producer organisations); images come next, on its edit
    page."""
    organisation = current_user.organisation
    if not organisation.is_producer:
        abort(403)
    form = _product_form(organisation.id, None, fill=False)
    if form.validate_on_submit():
        try:
            created = services.create_product(organisation, form.fields_for_service())
        except services.CatalogueError as error:
            _service_error(form, error)
        else:
            db.session.commit()
            flash(_("Product saved. You can add up to %(max)d images now.",
                    max=MAX_PRODUCT_IMAGES), "success")
            return redirect(url_for(".edit_product", product_id=created.id, _anchor="images"))
    return _render_form(None, form)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@login_required
def edit_product(product_id: int):
    """Change a product's details; its images are managed on the same page."""
    product = _product_for_edit(
        product_id, joinedload(Product.hs_category), joinedload(Product.images))
    form = _product_form(product.organisation_id, product, fill=request.method == "GET")
    if form.validate_on_submit():
        try:
            services.update_product(product, form.fields_for_service())
        except services.CatalogueError as error:
            _service_error(form, error)
        else:
            db.session.commit()
            flash(_("Product saved."), "success")
            return redirect(url_for(".product", product_id=product_id))
    return _render_form(product, form)


@bp.post("/products/<int:product_id>/images")
@login_required
def add_images(product_id: int):
    """Upload one or more JPEG/PNG images (at most 5 per product, 5 MB each); all or
    nothing."""
    product = _product_for_edit(product_id, joinedload(Product.hs_category),
                                joinedload(Product.images))
    upload = ImageUploadForm()
    if upload.validate_on_submit():
        files = upload.files()
        try:
            if len(files) > MAX_PRODUCT_IMAGES - len(product.images):
                raise ImageError("too_many")  # before decoding anything
            services.add_images(product, [read_image(f) for f in files])
        except ImageError as error:
            db.session.rollback()
            upload.images.errors.append(image_error_message(error))
        else:
            db.session.commit()
            flash(ngettext("%(num)d image added.", "%(num)d images added.", len(files)),
                  "success")
            return redirect(url_for(".edit_product", product_id=product_id, _anchor="images"))
    form = _product_form(product.organisation_id, product, fill=True)
    return _render_form(product, form, upload)


@bp.post("/products/<int:product_id>/images/<int:image_id>/delete")
@login_required
def delete_image(product_id: int, image_id: int):
    """Delete an image; the files go once the deletion is committed."""
    product = _product_for_edit(product_id)
    try:
        paths = services.delete_image(product, image_id)
    except LookupError:
        abort(404)
    db.session.commit()
    for path in paths:
        delete_upload(path)
    flash(_("Image deleted."), "success")
    return redirect(url_for(".edit_product", product_id=product_id, _anchor="images"))


@bp.post("/products/<int:product_id>/images/<int:image_id>/cover")
@login_required
def cover_image(product_id: int, image_id: int):
    """Make an image the cover (first) image."""
    product = _product_for_edit(product_id)
    try:
        services.set_cover(product, image_id)
    except LookupError:
        abort(404)
    db.session.commit()
    flash(_("Cover image changed."), "success")
    return redirect(url_for(".edit_product", product_id=product_id, _anchor="images"))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """413 with a message that says what the limits are, and a way back to the product."""
    limit_mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
    if request.endpoint == "catalogue.add_images":
        product_id = (request.view_args or {}).get("product_id")
        return render_template(
            "catalogue/product_too_large.html", product_id=product_id, limit_mb=limit_mb,
            image_mb=MAX_IMAGE_BYTES // (1024 * 1024)), 413
    title, message = ERROR_TEXTS[413]
    return render_template("errors/error.html", code=413, title=title, message=message), 413
