"""Organisation profile and certification forms, and the display names of their choices.

Every message is translatable (lazy gettext). Uploads are checked by content here, so a bad
file is reported next to its field and nothing is saved; the checked bytes are kept on the
form (``logo_upload``, ``document_upload``) for the service to store.
"""

from urllib.parse import urlsplit, urlunsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from matchmaker.organisations import addresses, divisions
from matchmaker.organisations.identifiers import (
    InvalidPhone,
    InvalidTaxCode,
    format_phone,
    format_tax_code,
    normalise_phone,
    normalise_tax_code,
)
from matchmaker.organisations.models import BuyerType, CertificationKind, LegalForm, Side
from matchmaker.organisations.services import (
    DOCUMENT_MAX_BYTES,
    LOGO_MAX_BYTES,
    LOGO_MAX_PIXELS,
    prepare_logo,
)
from matchmaker.text import normalise, strip_invisible
from matchmaker.uploads import DOCUMENT_KINDS, IMAGE_KINDS, UploadError, read_checked

SIDE_LABELS = {
    Side.PRODUCER: _l("Producer"),
    Side.DISTRIBUTOR: _l("Distributor"),
    Side.BOTH: _l("Producer and distributor"),
}
LEGAL_FORM_LABELS = {
    LegalForm.JOINT_STOCK: _l("Joint-stock company (JSC)"),
    LegalForm.LIMITED: _l("Limited liability company (LLC)"),
    LegalForm.PARTNERSHIP: _l("Partnership"),
    LegalForm.PRIVATE: _l("Private enterprise"),
    LegalForm.COOPERATIVE: _l("Cooperative"),
    LegalForm.COOPERATIVE_GROUP: _l("Cooperative group"),
    LegalForm.HOUSEHOLD: _l("Household business"),
    LegalForm.STATE: _l("State enterprise or public unit"),
    LegalForm.OTHER: _l("Other"),
}
BUYER_TYPE_LABELS = {
    BuyerType.SUPERMARKET: _l("Supermarket chain"),
    BuyerType.WHOLESALER: _l("Wholesaler"),
    BuyerType.EXPORTER: _l("Exporter"),
    BuyerType.RETAILER: _l("Retail shop"),
    BuyerType.ECOMMERCE: _l("E-commerce"),
    BuyerType.HORECA: _l("Hotel or restaurant"),
    BuyerType.CANTEEN: _l("Canteen"),
}
CERTIFICATION_KIND_LABELS = {
    CertificationKind.OCOP_3: _l("OCOP 3 stars"),
    CertificationKind.OCOP_4: _l("OCOP 4 stars"),
    CertificationKind.OCOP_5: _l("OCOP 5 stars"),
    CertificationKind.VIETGAP: "VietGAP",
    CertificationKind.GLOBALGAP: "GlobalG.A.P.",
    CertificationKind.HACCP: "HACCP",
    CertificationKind.ISO22000: "ISO 22000",
    CertificationKind.ORGANIC: _l("Organic"),
    CertificationKind.FOOD_SAFETY: _l("Food safety certificate"),
}

TAX_CODE_MESSAGES = {
    "format": _l("A tax code has only digits, e.g. 0101234567 or 0101234567-001."),
    "length": _l("A tax code has 10 digits, or 13 for a branch (0101234567-001)."),
    "checksum": _l("This tax code is not valid: its last digit does not match. "
                   "Check it for a typo."),
    "component": _l("This tax code is not valid. Check it for a typo."),
    "personal_id": _l("This 12-digit number is not a personal ID number. Check it for a typo."),
    "personal_id_not_allowed": _l("A 12-digit personal ID number is accepted only for a "
                                  "household business. Enter the 10-digit tax code, or "
                                  "choose the legal form “Household business”."),
}
PHONE_MESSAGES = {
    "format": _l("Enter a phone number, e.g. 0912 345 678 or 0238 3844 555."),
    "invalid": _l("This phone number does not exist. Check the number of digits, "
                  "e.g. 0912 345 678 or 0238 3844 555."),
}


def _upload_message(error: UploadError, wrong_type):
    if error.code == "too_large":
        return _l("The file is too large: at most %(size)d MB.",
                  size=(error.limit or 0) // (1024 * 1024))
    if error.code == "empty":
        return _l("The file is empty. Choose the file again.")
    if error.code == "too_many_pixels":
        return _l("The image has too many pixels (over %(mp)d million). Make it smaller and "
                  "upload it again.", mp=LOGO_MAX_PIXELS // 1_000_000)
    if error.code == "unreadable":
        return _l("This image could not be read. Save it again as JPEG or PNG and upload it.")
    return wrong_type


def check_phone(field) -> None:
    """Validate a phone field and store it as E.164 (``+84…``), or ``None`` when empty.

    Raises :class:`wtforms.ValidationError` with a translated message (see
    :func:`matchmaker.organisations.identifiers.normalise_phone` for the rules).
    """
    if not field.data:
        field.data = None
        return
    try:
        field.data = normalise_phone(field.data)
    except InvalidPhone as exc:
        raise ValidationError(PHONE_MESSAGES.get(exc.code, PHONE_MESSAGES["format"])) from None


def _strip(value):
    return strip_invisible(value).strip() if isinstance(value, str) else value


def _one_line(value):
    return normalise(value) if isinstance(value, str) else value


def _multi_line(value):
    # Keeps line breaks (browsers send CRLF), drops control and format characters.
    if not isinstance(value, str):
        return value
    return strip_invisible(value.replace("\r\n", "\n")).strip()


def optional_str(value) -> str | None:
    """Coerce a submitted select value: ``""``/None -> None, else the text."""
    return None if value is None or value == "" else str(value)


def optional_int(value) -> int | None:
    """Coerce a submitted select value: ``""``/None -> None, digits -> int; else ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isascii() or not text.isdecimal() or len(text) > 9:
        raise ValueError(f"not a code: {value!r}")
    return int(text)


def normalise_website(text: str) -> str:
    """``"htxdienchau.vn"`` -> ``"https://htxdienchau.vn"``; http(s) URLs kept.

    Raises ValueError for anything that is not an http(s) address with a dotted host name
    (so ``javascript:`` and ``data:`` links can never reach a page).
    """
    text = text.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = parts.hostname or ""
    if (parts.scheme.lower() not in ("http", "https") or "." not in host or " " in text
            or parts.username or parts.password or len(text) > 255):
        raise ValueError(text)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "",
                       parts.query, parts.fragment))


def _choice_list(labels: dict, blank) -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [SelectChoice(str(k), v) for k, v in labels.items()]


def _province_choices(blank=None) -> list[SelectChoice]:
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(str(code), name) for code, name in divisions.provinces()]


class ProfileForm(FlaskForm):
    """The editable profile of an organisation.

    After ``validate_on_submit()`` succeeds, :meth:`profile_fields` gives the keyword
    arguments of :func:`matchmaker.organisations.services.update_profile`. A province is
    found in one of three ways: chosen in the list; chosen among ``address_candidate`` after
    an ambiguous old address; or resolved from ``address_as_written`` by
    :func:`matchmaker.organisations.addresses.resolve_address` when no province is chosen.
    ``resolution`` holds that result (or None).
    """

    name = StringField(
        _l("Legal name"),
        description=_l("As on the business registration, e.g. Công ty CP Thực phẩm Nghệ An."),
        filters=[_one_line],
        validators=[DataRequired(_l("Enter the organisation's legal name.")), Length(max=255)],
    )
    short_name = StringField(_l("Short name"), filters=[_one_line],
                             validators=[Optional(), Length(max=80)])
    side = RadioField(
        _l("The organisation is a"),
        choices=[SelectChoice(str(k), v) for k, v in SIDE_LABELS.items()],
        validators=[DataRequired(_l("Choose producer, distributor or both."))],
    )
    legal_form = SelectField(_l("Legal form"), coerce=optional_str,
                             choices=_choice_list(LEGAL_FORM_LABELS, _l("(not given)")),
                             invalid_choice_message=_l("Choose a legal form from the list."))
    tax_code = StringField(
        _l("Tax code (MST)"),
        description=_l("10 digits, or 13 for a branch (0101234567-001). A household business "
                       "may give the owner's 12-digit personal ID number."),
        filters=[_strip],
        validators=[Length(max=40)],
    )
    province_code = SelectField(
        _l("Province or city"), coerce=optional_int,
        invalid_value_message=_l("Choose a province from the list."),
        invalid_choice_message=_l("Choose a province from the list."),
    )
    ward_code = SelectField(
        _l("Ward or commune"), coerce=optional_int, validate_choice=False,
        invalid_value_message=_l("Choose a ward or commune from the list."),
    )
    address_line = StringField(
        _l("Street address"),
        description=_l("House number and street, or hamlet and village."),
        filters=[_one_line], validators=[Optional(), Length(max=255)],
    )
    address_as_written = StringField(
        _l("Address as written before July 2025"),
        description=_l("Only if you know the old address (with a district or an old province), "
                       "e.g. “Xóm 5, xã Diễn Kỷ, huyện Diễn Châu, Nghệ An”: leave the province "
                       "empty and we find the current one."),
        filters=[_one_line], validators=[Optional(), Length(max=255)],
    )
    address_candidate = RadioField(
        _l("Which province is this address in now?"), coerce=optional_int,
        validate_choice=False, choices=[],
        invalid_value_message=_l("Choose a province from the list."),
    )
    phone = StringField(_l("Phone"), description=_l("e.g. 0912 345 678 or 0238 3844 555"),
                        filters=[_strip], validators=[Length(max=40)])
    website = StringField(_l("Website"), description=_l("e.g. https://www.example.vn"),
                          filters=[_strip], validators=[Length(max=255)])
    description = TextAreaField(
        _l("About the organisation"),
        description=_l("What you make or buy, since when, for whom. At most 5,000 characters."),
        filters=[_multi_line], validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 6},
    )
    logo = FileField(
        _l("Logo"),
        description=_l("JPEG or PNG, at most 2 MB. It is shrunk to at most 400 × 400 pixels."),
    )
    remove_logo = BooleanField(_l("Remove the current logo"))
    buyer_type = SelectField(_l("Buyer type"), coerce=optional_str,
                             choices=_choice_list(BUYER_TYPE_LABELS, _l("(not given)")),
                             invalid_choice_message=_l("Choose a buyer type from the list."))
    delivery_province_codes = SelectMultipleField(
        _l("Provinces you deliver to or buy for"), coerce=int,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        invalid_value_message=_l("Choose provinces from the list."),
        invalid_choice_message=_l("Choose provinces from the list."),
    )

    def __init__(self, *args, **kwargs) -> None:
        obj = kwargs.get("obj")
        super().__init__(*args, **kwargs)
        self.province_code.choices = _province_choices(_l("(choose)"))
        self.delivery_province_codes.choices = _province_choices()
        self.resolution: addresses.AddressResolution | None = None
        self.logo_upload: tuple[bytes, str] | None = None
        if obj is not None and not self.is_submitted():
            # Show stored values the way people write them.
            self.tax_code.data = format_tax_code(obj.tax_code)
            self.phone.data = format_phone(obj.phone)
        self._update_ward_choices()

    # --- which province and ward ------------------------------------------------------

    @property
    def chosen_province(self) -> int | None:
        """The province picked in the list or among the candidates (not yet resolved)."""
        return self.province_code.data or self.address_candidate.data

    def _update_ward_choices(self) -> None:
        province = self.chosen_province
        if self.resolution is not None and self.resolution.province_code:
            province = self.resolution.province_code
        self.ward_code.choices = [SelectChoice("", _l("(choose)"))] + [
            SelectChoice(str(code), name) for code, name in divisions.wards(province or 0)
        ]

    def _show_candidates(self, candidates) -> None:
        self.address_candidate.choices = [SelectChoice(str(code), label)
                                          for code, label in candidates]

    # --- field checks -----------------------------------------------------------------

    def validate_tax_code(self, field) -> None:
        if not field.data:
            field.data = None
            return
        try:
            field.data = normalise_tax_code(
                field.data, allow_personal_id=self.legal_form.data == LegalForm.HOUSEHOLD)
        except InvalidTaxCode as exc:
            raise ValidationError(TAX_CODE_MESSAGES.get(exc.code, TAX_CODE_MESSAGES["format"])) \
                from None

    def validate_phone(self, field) -> None:
        check_phone(field)

    def validate_website(self, field) -> None:
        if not field.data:
            field.data = None
            return
        try:
            field.data = normalise_website(field.data)
        except ValueError:
            raise ValidationError(_l("Enter a web address, e.g. https://www.example.vn.")) \
                from None

    def validate_address_candidate(self, field) -> None:
        if field.data is not None and not divisions.is_province(field.data):
            raise ValidationError(_l("Choose a province from the list."))

    def validate_ward_code(self, field) -> None:
        if field.data is None:
            return
        province = self.chosen_province
        if province is None and not self.address_as_written.data:
            raise ValidationError(_l("Choose the province first, then the ward or commune."))
        if province is not None and not divisions.ward_in_province(field.data, province):
            raise ValidationError(_l("This ward or commune is not in the chosen province. "
                                     "Choose it again from the list."))

    def validate_logo(self, field) -> None:
        self.logo_upload = None
        if not field.data:
            return
        try:
            data, _kind = read_checked(field.data, IMAGE_KINDS, LOGO_MAX_BYTES)
            self.logo_upload = prepare_logo(data)
        except UploadError as exc:
            raise ValidationError(
                _upload_message(exc, _l("The logo must be a JPEG or PNG image."))) from None

    def validate_delivery_province_codes(self, field) -> None:
        if any(not divisions.is_province(code) for code in field.data or ()):
            raise ValidationError(_l("Choose provinces from the list."))

    # --- the whole form ----------------------------------------------------------------

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the old-address resolution when no province was chosen."""
        valid = super().validate(extra_validators)
        picked = self.address_candidate.data
        if picked is not None and not self.address_candidate.choices:
            # Keep showing the pick if another field sends the form back.
            self._show_candidates([(picked, divisions.province_name(picked))])
        if self.chosen_province is None and self.address_as_written.data \
                and not self.address_as_written.errors:
            valid = self._resolve_address() and valid
        self._update_ward_choices()
        return valid

    def _resolve_address(self) -> bool:
        self.resolution = addresses.resolve_address(self.address_as_written.data)
        found = self.resolution
        if found.province_code is not None:
            if self.ward_code.data is not None and not divisions.ward_in_province(
                    self.ward_code.data, found.province_code):
                self.ward_code.errors.append(
                    _l("This ward or commune is not in the province of the address. "
                       "Choose it again from the list."))
                return False
            return True
        if found.candidates:
            self._show_candidates(found.candidates)
            self.address_candidate.errors.append(
                _l("This address fits more than one province. Choose the right one."))
            return False
        self.address_as_written.errors.append(
            _l("We could not find the province in this address. Choose the province and "
               "ward from the lists."))
        return False

    def profile_fields(self) -> dict:
        """Keyword arguments for ``update_profile`` (call after a successful validation)."""
        province = self.chosen_province
        ward = self.ward_code.data
        if province is None and self.resolution is not None:
            province = self.resolution.province_code
            if ward is None and divisions.ward_in_province(self.resolution.ward_code,
                                                           province):
                ward = self.resolution.ward_code
        distributor = self.side.data in (Side.DISTRIBUTOR, Side.BOTH)
        return {
            "name": self.name.data,
            "short_name": self.short_name.data or None,
            "side": self.side.data,
            "legal_form": self.legal_form.data or None,
            "tax_code": self.tax_code.data or None,
            "province_code": province,
            "ward_code": ward,
            "address_line": self.address_line.data or None,
            "address_as_written": self.address_as_written.data or None,
            "phone": self.phone.data or None,
            "website": self.website.data or None,
            "description": self.description.data or None,
            "buyer_type": (self.buyer_type.data or None) if distributor else None,
            "delivery_provinces": (self.delivery_province_codes.data or []) if distributor
            else [],
            "logo": self.logo_upload,
            "remove_logo": bool(self.remove_logo.data),
        }


class LocalDateField(DateField):
    """A date typed as 2026-12-31 (what ``<input type=date>`` sends) or 31/12/2026."""

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        super().__init__(label, validators, format=["%Y-%m-%d", "%d/%m/%Y"],
                         invalid_value_message=_l("Enter a date, e.g. 31/12/2026."), **kwargs)


class CertificationForm(FlaskForm):
    """A certification: kind, number, issuer, dates and an optional document.

    After validation, ``document_upload`` is ``(bytes, kind)`` or None.
    """

    kind = SelectField(
        _l("Certification"), choices=_choice_list(CERTIFICATION_KIND_LABELS, _l("(choose)")),
        validators=[DataRequired(_l("Choose the kind of certification."))],
        invalid_choice_message=_l("Choose the kind of certification."),
    )
    number = StringField(_l("Number or decision"),
                         description=_l("e.g. 1234/QĐ-UBND or VietGAP-TT-19-05-40-0012"),
                         filters=[_one_line], validators=[Optional(), Length(max=80)])
    issuer = StringField(_l("Issued by"), filters=[_one_line],
                         validators=[Optional(), Length(max=255)])
    issued_on = LocalDateField(_l("Issued on"), validators=[Optional()])
    expires_on = LocalDateField(_l("Valid until"), validators=[Optional()])
    document = FileField(_l("Document"), description=_l("PDF, JPEG or PNG, at most 5 MB."))
    remove_document = BooleanField(_l("Remove the current document"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.document_upload: tuple[bytes, str] | None = None

    def validate_expires_on(self, field) -> None:
        if field.data and self.issued_on.data and field.data < self.issued_on.data:
            raise ValidationError(_l("The expiry date cannot be before the issue date."))

    def validate_document(self, field) -> None:
        self.document_upload = None
        if not field.data:
            return
        try:
            self.document_upload = read_checked(field.data, DOCUMENT_KINDS, DOCUMENT_MAX_BYTES)
        except UploadError as exc:
            raise ValidationError(_upload_message(
                exc, _l("The document must be a PDF, JPEG or PNG file."))) from None

    def certification_fields(self) -> dict:
        """Keyword arguments for ``add_certification`` / ``update_certification``."""
        return {
            "kind": self.kind.data,
            "number": self.number.data or None,
            "issuer": self.issuer.data or None,
            "issued_on": self.issued_on.data,
            "expires_on": self.expires_on.data,
            "document": self.document_upload,
        }
