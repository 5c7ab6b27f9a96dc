"""Forms for products, product images and sourcing needs (Flask-WTF; CSRF included).

Every message is a translatable English string; Vietnamese is the default language. Money is
typed as the user writes it ("1.500.000", "1500000 đ") and parsed with
:func:`matchmaker.money.parse_vnd`; its error codes are turned into messages here. Choices
that come from the database (OCOP sets, certifications, provinces) are set by the route, so a
form never queries more than it must; the HS-code fields look their codes up (one query).
"""

import re
from datetime import date

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from matchmaker.catalogue import categories as cat
from matchmaker.catalogue.images import ImageError
from matchmaker.catalogue.models import MAX_PRODUCT_IMAGES, Category, Product, SourcingNeed
from matchmaker.catalogue.services import NeedFields, ProductFields
from matchmaker.money import InvalidAmount, parse_vnd
from matchmaker.organisations.forms import CERTIFICATION_KIND_LABELS  # noqa: F401  (re-exported)
from matchmaker.organisations.models import Certification
from matchmaker.text import normalise
from matchmaker.timeutil import format_local_date

#: Units offered for products and needs: the Vietnamese word is what is stored.
UNITS = ("kg", "g", "tấn", "lít", "ml", "chai", "hộp", "gói", "túi", "chiếc", "bộ", "cái",
         "thùng", "hũ")
UNIT_LABELS = {
    "kg": _l("kg"),
    "g": _l("g"),
    "tấn": _l("tonne"),
    "lít": _l("litre"),
    "ml": _l("ml"),
    "chai": _l("bottle"),
    "hộp": _l("box"),
    "gói": _l("packet"),
    "túi": _l("bag"),
    "chiếc": _l("piece"),
    "bộ": _l("set"),
    "cái": _l("item"),
    "thùng": _l("carton"),
    "hũ": _l("jar"),
}
# Units that are stored but not offered in the forms: the producer import's default
# (matchmaker.imports.services.DEFAULT_UNIT, "so many products").
STORED_UNIT_LABELS = {"sản phẩm": _l("product")}


AMOUNT_MESSAGES = {
    "format": _l("Enter a whole number of đồng, e.g. 1.500.000 (no decimals)."),
    "negative": _l("A price cannot be negative."),
    "too_large": _l("This amount is too large."),
}
IMAGE_MESSAGES = {
    "empty": _l("%(name)s is empty."),
    "too_large": _l("%(name)s is larger than 5 MB. Choose a smaller photo."),
    "wrong_type": _l("%(name)s is not a JPEG or PNG image."),
    "unreadable": _l("%(name)s could not be read as an image. It may be damaged."),
    "too_many_pixels": _l("%(name)s has too many pixels (at most 40 megapixels)."),
    "too_many": _l("A product can have at most %(max)d images. Delete one first, or upload "
                   "fewer."),
    "conflict": _l("Another upload for this product was being saved at the same moment. "
                   "Nothing was saved: send the images again."),
}
CHOOSE_FROM_LIST = _l("Choose from the list.")
STAR_CHOICES = [SelectChoice("", _l("None")), SelectChoice("3", _l("3 stars")),
                SelectChoice("4", _l("4 stars")), SelectChoice("5", _l("5 stars"))]
_QUANTITY_RE = re.compile(r"[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:,[0-9]{3})+"
                          r"|[0-9]{1,3}(?: [0-9]{3})+")
MAX_QUANTITY = 2**31 - 1  # INTEGER columns


def hs_categories_of(field) -> list:
    """The HS categories a field of typed codes names ("0901, 2103"), in the order typed;
    normalises the field's text. HS 2022 codes of 2, 4 or 6 digits.

    Raises:
        ValidationError: a code that is not 2, 4 or 6 digits, or not in HS 2022.
    """
    try:
        codes = cat.split_hs_codes(field.data)
    except cat.HSCodeError as error:
        raise ValidationError(_l(
            "“%(value)s” is not an HS code: use 2, 4 or 6 digits, e.g. 0901.",
            value=error.value)) from None
    found = cat.hs_categories(codes)
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationError(_l("These HS codes do not exist in HS 2022: %(codes)s.",
                                 codes=", ".join(unknown)))
    field.data = ", ".join(codes)
    return [found[code] for code in codes]


def unit_label(unit: str | None) -> str:
    """The unit in the user's language (``"chai"`` -> "bottle" in English); unknown units,
    e.g. from an import, are shown as stored."""
    if not unit:
        return ""
    return str(UNIT_LABELS.get(unit) or STORED_UNIT_LABELS.get(unit) or unit)


def certification_label(certification: Certification) -> str:
    """``"VietGAP · số 123/VG · đến 31/12/2027"``-style label (kind, number, expiry)."""
    parts = [str(CERTIFICATION_KIND_LABELS.get(certification.kind, certification.kind))]
    if certification.number:
        parts.append(certification.number)
    if certification.expires_on:
        expires = format_local_date(certification.expires_on, str(get_locale()), "short")
        parts.append(str(_l("until %(date)s", date=expires)))
    return " · ".join(parts)


def image_error_message(error: ImageError) -> str:
    """The user's-language message for an :class:`~matchmaker.catalogue.images.ImageError`,
    naming the file when the browser gave its name."""
    name = f"“{error.filename}”" if error.filename else str(_l("The file"))
    return str(IMAGE_MESSAGES[error.code]) % {"name": name, "max": MAX_PRODUCT_IMAGES}


def _optional_int(value) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _one_line(value):
    # Normalised before the length check: NFC can lengthen text, and the column is the limit.
    return normalise(value) if isinstance(value, str) else value


def _unit_choices(current: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice(u, str(UNIT_LABELS[u])) for u in UNITS]
    if current and current not in UNITS:
        choices.append(SelectChoice(current, current))  # keep an imported unit on edit
    return choices


class Select(SelectField):
    """A select whose wrong choice says "Choose from the list." in the user's language."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_choice_message", CHOOSE_FROM_LIST)
        kwargs.setdefault("invalid_value_message", CHOOSE_FROM_LIST)
        super().__init__(*args, **kwargs)


class MultiCheckbox(SelectMultipleField):
    """Several choices, shown as checkboxes (see ``catalogue/product_macros.html``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_choice_message", CHOOSE_FROM_LIST)
        kwargs.setdefault("invalid_value_message", CHOOSE_FROM_LIST)
        super().__init__(*args, **kwargs)


class AmountField(StringField):
    """A VND amount as typed; ``amount`` holds whole đồng (or None when empty) once valid."""

    amount: int | None = None

    def pre_validate(self, form) -> None:
        try:
            self.amount = parse_vnd(self.data or "")
        except InvalidAmount as error:
            self.amount = None
            raise ValidationError(AMOUNT_MESSAGES[error.code]) from None


class QuantityField(StringField):
    """A whole number greater than zero, thousands grouping allowed ("2.000");
    ``number`` holds it (or None when empty) once valid."""

    number: int | None = None

    def pre_validate(self, form) -> None:
        text = " ".join((self.data or "").split())
        self.number = None
        if not text:
            return
        if not _QUANTITY_RE.fullmatch(text):
            raise ValidationError(_l("Enter a whole number greater than 0, e.g. 500."))
        value = int(re.sub(r"[^0-9]", "", text))
        if not 0 < value <= MAX_QUANTITY:
            raise ValidationError(_l("Enter a whole number greater than 0, e.g. 500."))
        self.number = value


class LocalDateField(DateField):
    """A calendar date from ``<input type="date">`` with our own message."""

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not "".join(valuelist).strip():
            self.data = None  # optional: an empty box is no date, not a wrong one
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a valid date, e.g. 31/12/2026.")) from None


# --- products --------------------------------------------------------------------------

class ProductForm(FlaskForm):
    """A product. Build it with :meth:`for_organisation` so the choices are filled in."""

    name = StringField(_l("Product name"), filters=[_one_line], validators=[
        DataRequired(_l("Enter the product's name.")), Length(max=255)])
    description = TextAreaField(
        _l("Description"), filters=[_strip], validators=[Length(max=5000)],
        render_kw={"rows": 5},
        description=_l("What it is, how it is made, packaging, shelf life."))
    ocop_set = Select(_l("OCOP product set"), coerce=_optional_int, description=_l(
        "One of the 26 product sets of Decision 148/QĐ-TTg."))
    hs_code = StringField(_l("HS code"), filters=[_strip], description=_l(
        "2, 4 or 6 digits, e.g. 0901 (coffee) or 090121. Give an OCOP set, an HS code or "
        "both."))
    unit = Select(_l("Unit"), validators=[DataRequired(_l("Choose a unit."))])
    price_min = AmountField(_l("Lowest price per unit (đồng)"), filters=[_strip],
                            description=_l("For example 120.000"))
    price_max = AmountField(_l("Highest price per unit (đồng)"), filters=[_strip])
    min_order = QuantityField(_l("Minimum order (in the unit)"), filters=[_strip])
    monthly_capacity = QuantityField(_l("Capacity per month (in the unit)"), filters=[_strip])
    certifications = MultiCheckbox(_l("Certifications that apply to this product"),
                                   coerce=int)
    ocop_stars = Select(_l("OCOP stars"), coerce=_optional_int, choices=STAR_CHOICES)
    active = BooleanField(_l("Show this product to buyers (active)"), default=True)

    hs_category: Category | None = None

    @classmethod
    def for_organisation(cls, ocop_groups, certifications: list[tuple[Certification, bool]],
                         product: Product | None = None, fill: bool = False,
                         **kwargs) -> "ProductForm":
        """The form with its choices: ``ocop_groups`` from
        :func:`~matchmaker.catalogue.categories.ocop_set_groups`, the organisation's
        ``certifications`` (with "claimed by this product" flags). ``product`` is the one
        being edited; with ``fill`` (a GET) its values fill the fields. Posted values always
        win over ``fill``, so pass it only when nothing was posted."""
        if product is not None and fill:
            kwargs["data"] = {
                "name": product.name,
                "description": product.description or "",
                "ocop_set": product.ocop_category_id,
                "hs_code": product.hs_category.code if product.hs_category else "",
                "unit": product.unit,
                "price_min": _plain(product.price_min_vnd),
                "price_max": _plain(product.price_max_vnd),
                "min_order": _plain(product.min_order_qty),
                "monthly_capacity": _plain(product.monthly_capacity),
                "certifications": [c.id for c, claimed in certifications if claimed],
                "ocop_stars": product.ocop_stars,
                "active": product.active,
            }
        form = cls(**kwargs)
        form.ocop_set.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(str(cid), label, optgroup=group)
            for group, options in ocop_groups for cid, label in options]
        form.unit.choices = [SelectChoice("", _l("Choose…"))] + _unit_choices(
            product.unit if product else None)
        form.certifications.choices = [
            SelectChoice(str(c.id), certification_label(c)) for c, _claimed in certifications]
        return form

    def validate_hs_code(self, field) -> None:
        self.hs_category = None
        try:
            code = cat.clean_hs_code(field.data)
        except cat.HSCodeError:
            raise ValidationError(
                _l("An HS code has 2, 4 or 6 digits, e.g. 09, 0901 or 090121.")) from None
        if not code:
            return
        field.data = code
        found = cat.hs_categories([code]).get(code)
        if found is None:
            raise ValidationError(_l("HS code %(code)s does not exist in HS 2022.", code=code))
        self.hs_category = found

    def validate_price_max(self, field) -> None:
        low, high = self.price_min.amount, field.amount
        if low is not None and high is not None and high < low:
            raise ValidationError(_l("The highest price cannot be below the lowest price."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Said together with any other mistake, unless a category field already has one.
        if (self.ocop_set.data is None and self.hs_category is None
                and not self.ocop_set.errors and not self.hs_code.errors):
            self.ocop_set.errors.append(
                _l("Give at least one category: an OCOP product set or an HS code."))
            return False
        return valid

    def fields_for_service(self) -> ProductFields:
        """The validated values, as :class:`~matchmaker.catalogue.services.ProductFields`."""
        return ProductFields(
            name=self.name.data,
            description=self.description.data,
            ocop_category_id=self.ocop_set.data,
            hs_category_id=self.hs_category.id if self.hs_category else None,
            unit=self.unit.data,
            price_min_vnd=self.price_min.amount,
            price_max_vnd=self.price_max.amount,
            min_order_qty=self.min_order.number,
            monthly_capacity=self.monthly_capacity.number,
            ocop_stars=self.ocop_stars.data,
            active=self.active.data,
            certification_ids=self.certifications.data or [],
        )


def _plain(number: int | None) -> str:
    # Shown back in the form in the Vietnamese grouping the parser accepts: 1.500.000.
    return "" if number is None else f"{number:,}".replace(",", ".")


class ImageUploadForm(FlaskForm):
    """One or more JPEG/PNG files for a product (checked later by content)."""

    images = MultipleFileField(_l("Add images (JPEG or PNG, at most 5 MB each)"))

    def validate_images(self, field) -> None:
        if not [f for f in field.data or [] if f and f.filename]:
            raise ValidationError(_l("Choose at least one image."))

    def files(self) -> list:
        """The uploaded files that were actually chosen (browsers send an empty part when
        none is)."""
        return [f for f in self.images.data or [] if f and f.filename]


# --- sourcing needs ---------------------------------------------------------------------

class NeedForm(FlaskForm):
    """A sourcing need. Build it with :meth:`build` so the choices are filled in."""

    title = StringField(_l("Title"), filters=[_one_line], validators=[
        DataRequired(_l("Enter a title, e.g. Nước mắm for 20 supermarkets.")),
        Length(max=255)])
    description = TextAreaField(_l("Description"), filters=[_strip],
                                validators=[Length(max=5000)], render_kw={"rows": 4},
                                description=_l(
                                    "Quality, packaging, delivery frequency, payment terms."))
    ocop_categories = MultiCheckbox(_l("OCOP categories"), coerce=int, description=_l(
        "Tick a whole group to accept every product set in it."))
    hs_codes = StringField(_l("HS codes"), filters=[_strip], description=_l(
        "Optional. 2, 4 or 6 digits each, separated by commas or spaces, e.g. 0901, 0902."))
    monthly_volume = QuantityField(_l("Volume per month"), filters=[_strip])
    unit = Select(_l("Unit"))
    target_price = AmountField(_l("Target price per unit (đồng)"), filters=[_strip])
    required_kinds = MultiCheckbox(_l("Required certifications"), choices=[
        SelectChoice(kind.value, label) for kind, label in CERTIFICATION_KIND_LABELS.items()])
    min_ocop_stars = Select(_l("Minimum OCOP stars"), coerce=_optional_int,
                            choices=STAR_CHOICES)
    provinces = MultiCheckbox(_l("Deliver to provinces"), coerce=int, description=_l(
        "Leave empty if the place of delivery does not matter."))
    active_until = LocalDateField(_l("Open until"), validators=[], description=_l(
        "Optional. After this day the need is no longer shown to producers."))
    active = BooleanField(_l("Show this need to producers (active)"), default=True)

    hs_categories: list[Category]
    today: date | None = None
    original_until: date | None = None

    @classmethod
    def build(cls, ocop_choices, provinces, today: date, need: SourcingNeed | None = None,
              chosen: list[Category] = (), fill: bool = False, **kwargs) -> "NeedForm":
        """The form with its choices: ``ocop_choices`` from
        :func:`~matchmaker.catalogue.categories.ocop_tree_choices`, ``provinces`` as
        ``((code, name), ...)``. ``today`` is Vietnam's date (the open-until check).
        ``need`` is the one being edited and ``chosen`` its categories; with ``fill`` (a
        GET) their values fill the fields."""
        if need is not None and fill:
            kwargs["data"] = {
                "title": need.title,
                "description": need.description or "",
                "ocop_categories": [c.id for c in chosen if c.scheme == cat.OCOP],
                "hs_codes": ", ".join(c.code for c in chosen if c.scheme == cat.HS),
                "monthly_volume": _plain(need.monthly_volume),
                "unit": need.unit or "",
                "target_price": _plain(need.target_price_vnd),
                "required_kinds": [r.kind for r in need.required_certifications],
                "min_ocop_stars": need.min_ocop_stars,
                "provinces": [p.province_code for p in need.delivery_provinces],
                "active_until": need.active_until,
                "active": need.active,
            }
        form = cls(**kwargs)
        form.today = today
        form.original_until = need.active_until if need is not None else None
        form.hs_categories = []
        form.ocop_categories.choices = [
            SelectChoice(str(cid), label, render_kw={"data-depth": depth})
            for cid, label, depth in ocop_choices]
        form.unit.choices = [SelectChoice("", "—")] + _unit_choices(
            need.unit if need else None)
        form.provinces.choices = [SelectChoice(str(code), name) for code, name in provinces]
        return form

    def validate_hs_codes(self, field) -> None:
        self.hs_categories = []  # stays empty when the codes are refused
        self.hs_categories = hs_categories_of(field)

    def validate_unit(self, field) -> None:
        if self.monthly_volume.data and not field.data:
            raise ValidationError(_l("Choose the unit the volume is counted in."))

    def validate_active_until(self, field) -> None:
        value = field.data
        if value is None or self.today is None or value == self.original_until:
            return
        if value < self.today:
            raise ValidationError(_l("This date has passed. Choose today or a later day."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if (not self.ocop_categories.data and not self.hs_categories
                and not self.ocop_categories.errors and not self.hs_codes.errors):
            self.ocop_categories.errors.append(
                _l("Choose at least one OCOP category or give an HS code."))
            return False
        return valid

    def fields_for_service(self) -> NeedFields:
        """The validated values, as :class:`~matchmaker.catalogue.services.NeedFields`."""
        return NeedFields(
            title=self.title.data,
            description=self.description.data,
            category_ids=[*(self.ocop_categories.data or []),
                          *(c.id for c in self.hs_categories)],
            monthly_volume=self.monthly_volume.number,
            unit=self.unit.data or None,
            target_price_vnd=self.target_price.amount,
            required_kinds=self.required_kinds.data or [],
            min_ocop_stars=self.min_ocop_stars.data,
            province_codes=self.provinces.data or [],
            active_until=self.active_until.data,
            active=self.active.data,
        )
