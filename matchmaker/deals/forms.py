"""Forms for MOUs and supply contracts (Flask-WTF; CSRF included), and the messages of the
deal rules.

Money is typed as people write it (``1.500.000.000`` or ``1500000000``, see
:func:`matchmaker.money.parse_vnd`); volumes are decimals written the reader's way
(``2.000`` or ``2,5`` in Vietnamese, ``2,000`` or ``2.5`` in English; at most three decimals);
dates come from ``<input type="date">`` (``2026-12-31``) or are typed ``31/12/2026``.

Parties are not WTForms-validated: which party fields apply depends on where the MOU comes
from (a meeting, a participant, or typed names), so the routes resolve them
(:mod:`matchmaker.deals.routes_mous`) and put any mistake on the field. Every edit form
carries the ``version`` it was loaded at; the services refuse a save made on an older one.
"""

import re
from decimal import Decimal

from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from matchmaker.catalogue import categories as cat
from matchmaker.catalogue.forms import (
    CHOOSE_FROM_LIST,
    UNIT_LABELS,
    UNITS,
    MultiCheckbox,
    Select,
    hs_categories_of,
)
from matchmaker.deals.labels import REASON_LABELS
from matchmaker.deals.models import VOLUME, CloseReason, MouKind
from matchmaker.events.forms_events import OptionalDateField
from matchmaker.money import InvalidAmount, parse_vnd
from matchmaker.organisations.models import Side
from matchmaker.text import normalise
from matchmaker.uploads import DOCUMENT_KINDS, UploadError, read_checked

#: Largest signed document accepted (the whole request is capped at 10 MB).
DOCUMENT_MAX_BYTES = 8 * 1024 * 1024
MAX_VOLUME = Decimal(10) ** (VOLUME.precision - VOLUME.scale)  # NUMERIC(16, 3)
NOTES_MAX = 5000

AMOUNT_MESSAGES = {
    "format": _l("Enter a whole number of đồng, e.g. 1.500.000.000 (no decimals)."),
    "negative": _l("An amount cannot be negative."),
    "too_large": _l("This amount is too large."),
}
VOLUME_MESSAGE = _l("Enter a quantity greater than 0, e.g. 2.000 or 2,5 (at most three "
                    "decimals).")
VOLUME_MESSAGE_EN = _l("Enter a quantity greater than 0, e.g. 2,000 or 2.5 (at most three "
                       "decimals).")
DOCUMENT_MESSAGES = {
    "empty": _l("The file is empty. Choose the file again."),
    "too_large": _l("The document is too large: at most 8 MB."),
    "wrong_type": _l("The document must be a PDF, JPEG or PNG file."),
}
STALE_MESSAGE = _l("Someone changed this record since you opened it. Nothing of yours was "
                   "saved: the current version is shown below, your changes are still in the "
                   "form. Check them and save again.")

# DealError codes (see matchmaker.deals.services.DealError) -> (form field, message).
# ``None`` as the field: shown above the form.
DEAL_ERRORS = {
    "same_party": (None, _l("The two parties must be different organisations.")),
    "not_producer": (None, _l("The producer must be an organisation that produces.")),
    "not_distributor": (None, _l("The distributor must be an organisation that buys.")),
    "product_not_producers": ("products", _l("Choose products of the producer only.")),
    "unknown_product": ("products", CHOOSE_FROM_LIST),
    "unknown_category": ("ocop_categories", CHOOSE_FROM_LIST),
    "meeting_not_held": (None, _l("An MOU can be recorded only from a meeting that was "
                                  "held.")),
    "meeting_parties": (None, _l("These are not the organisations of the meeting.")),
    "valid_before_signed": ("valid_until", _l("Valid until cannot be before the signing "
                                              "date.")),
    "delivery_order": ("delivery_to", _l("Delivery cannot end before it starts.")),
    "negative_value": ("value", _l("An amount cannot be negative.")),
    "bad_volume": ("volume", _l("The volume must be greater than 0.")),
    "transition": (None, _l("This status change is not possible from the current status.")),
    "reason_required": ("reason", _l("Give the reason.")),
    "reason_text_required": ("reason_text", _l("Describe the reason.")),
    "mou_cancelled": (None, _l("The MOU is cancelled: record a contract without it.")),
    "agency_mou": (None, _l("An MOU between agencies takes no supply contract.")),
    "converted_by_contract": (None, _l("An MOU becomes “contract signed” when a supply "
                                       "contract is recorded; cancel the contracts to reopen "
                                       "it.")),
    "unknown_event": ("event_id", CHOOSE_FROM_LIST),
}


def deal_error_message(code: str) -> str:
    """The reader's-language message of a ``DealError`` code."""
    return str(DEAL_ERRORS.get(code, (None, CHOOSE_FROM_LIST))[1])


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _one_line(value):
    return normalise(value) if isinstance(value, str) else value


def _optional_int(value) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def plain_vnd(amount: int | None) -> str:
    """An amount as the form shows it back, grouped the way the parser accepts:
    ``1.500.000``."""
    return "" if amount is None else f"{amount:,}".replace(",", ".")


def plain_volume(volume: Decimal | None, locale: str | None = None) -> str:
    """A volume as the form shows it back in ``locale`` (``2.000,5`` in Vietnamese)."""
    if volume is None:
        return ""
    return format_decimal(volume, locale=locale or str(get_locale()))


def parse_volume(text: str | None, locale: str) -> Decimal | None:
    """A quantity typed in ``locale`` (``vi``: ``2.000``, ``2,5``; ``en``: ``2,000``,
    ``2.5``) as a ``Decimal`` with at most 3 decimals; ``None`` for empty text.

    Raises:
        ValueError: not a number of the locale, not above 0, more than 3 decimals, or
            ``>= 10^13``.
    """
    text = re.sub(r"\s+", "", text or "")
    if not text:
        return None
    if len(text) > 40:
        raise ValueError("too long")
    if text.isascii() and text.isdigit():
        value = Decimal(text)
    else:
        try:
            value = parse_decimal(text, locale=locale, strict=True)
        except NumberFormatError:
            raise ValueError("format") from None
    if not value.is_finite() or value <= 0 or value >= MAX_VOLUME:
        raise ValueError("range")
    if value != value.quantize(Decimal("0.001")):
        raise ValueError("decimals")
    return value.quantize(Decimal("0.001"))


class DayField(OptionalDateField):
    """A calendar day: ``<input type="date">`` sends ``2026-12-31``; typed ``31/12/2026``
    is understood too. Empty is None; years outside 2000–2099 are refused."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%d", "%d/%m/%Y"])
        super().__init__(*args, **kwargs)


class VndField(StringField):
    """An amount in đồng as typed; ``amount`` holds whole đồng (None when empty) once
    validated."""

    amount: int | None = None

    def pre_validate(self, form) -> None:
        try:
            self.amount = parse_vnd(self.data or "")
        except InvalidAmount as error:
            self.amount = None
            raise ValidationError(AMOUNT_MESSAGES[error.code]) from None


class VolumeField(StringField):
    """A quantity in the chosen unit; ``number`` holds the ``Decimal`` once validated."""

    number: Decimal | None = None

    def pre_validate(self, form) -> None:
        locale = str(get_locale())
        try:
            self.number = parse_volume(self.data, locale)
        except ValueError:
            self.number = None
            raise ValidationError(VOLUME_MESSAGE_EN if locale == "en" else VOLUME_MESSAGE) \
                from None


class VersionField(HiddenField):
    """The record's ``version`` when the form was loaded; 0 when missing or garbled (no
    record has version 0, so such a save is refused as stale rather than let through)."""

    def process_formdata(self, valuelist) -> None:
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0


def unit_choices(current: str | None = None) -> list[SelectChoice]:
    """The units of the catalogue, plus ``current`` when it is not one of them (an
    imported unit stays on edit)."""
    choices = [SelectChoice("", "—")] + [SelectChoice(u, str(UNIT_LABELS[u])) for u in UNITS]
    if current and current not in UNITS:
        choices.append(SelectChoice(current, current))
    return choices


class _DealFields(FlaskForm):
    """What MOUs and contracts share: parties typed by name, volume, products, notes and
    the signed document. Choices are set by :meth:`setup`."""

    version = VersionField()
    # Staff: both parties by name (``*_id`` is set once a name was resolved, or picked
    # among several matches).
    producer_name = StringField(_l("Producer"), filters=[_one_line],
                                validators=[Length(max=255)])
    producer_id = HiddenField()
    distributor_name = StringField(_l("Distributor"), filters=[_one_line],
                                   validators=[Length(max=255)])
    distributor_id = HiddenField()
    # Members: their organisation is one party; which one, when it is both.
    my_side = RadioField(_l("Your organisation is the"), choices=[
        SelectChoice(Side.PRODUCER.value, _l("Producer (seller)")),
        SelectChoice(Side.DISTRIBUTOR.value, _l("Distributor (buyer)"))],
        validate_choice=False)
    other_name = StringField(_l("The other organisation"), filters=[_one_line],
                             validators=[Length(max=255)],
                             description=_l("Type its name (accents do not matter), e.g. "
                                            "Sieu thi Vinh."))
    other_id = HiddenField()
    event_id = Select(_l("Event"), coerce=_optional_int,
                      description=_l("Optional: the business-matching event it came from."))
    products = MultiCheckbox(_l("Products"), coerce=int)
    volume = VolumeField(_l("Volume"), filters=[_strip])
    unit = Select(_l("Unit"), default="")
    notes = TextAreaField(_l("Notes"), filters=[_strip], validators=[Length(max=NOTES_MAX)],
                          render_kw={"rows": 3})
    document = FileField(_l("Signed document"),
                         description=_l("PDF, JPEG or PNG, at most 8 MB."))

    document_upload: tuple[bytes, str] | None = None

    def setup(self, event_choices, products, current_unit: str | None = None) -> None:
        """Fill the choices: ``event_choices`` ``[(id, label)]`` (empty: no event field),
        ``products`` the producer's products (may be empty when the producer is not known
        yet)."""
        self.event_id.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(str(i), label) for i, label in event_choices]
        self.products.choices = [SelectChoice(str(p.id), p.name) for p in products]
        self.unit.choices = unit_choices(current_unit)

    def validate_unit(self, field) -> None:
        if self.volume.data and self.volume.data.strip() and not field.data:
            raise ValidationError(_l("Choose the unit the volume is counted in."))

    def validate_document(self, field) -> None:
        self.document_upload = None
        if not field.data or not getattr(field.data, "filename", None):
            return
        try:
            self.document_upload = read_checked(field.data, DOCUMENT_KINDS, DOCUMENT_MAX_BYTES)
        except UploadError as error:
            raise ValidationError(DOCUMENT_MESSAGES.get(error.code,
                                                        DOCUMENT_MESSAGES["wrong_type"])) \
                from None


class MouForm(_DealFields):
    """An MOU: parties (see the module docstring), signed date, what it covers, value,
    volume, validity, reference, notes and the signed document."""

    kind = RadioField(_l("Kind of MOU"), default=MouKind.BUSINESS.value, choices=[
        SelectChoice(MouKind.BUSINESS.value, _l("Between a producer and a distributor")),
        SelectChoice(MouKind.AGENCY.value, _l("Between agencies (department to "
                                              "department)"))],
        validate_choice=False)
    agency_a = StringField(_l("First agency"), filters=[_one_line],
                           validators=[Length(max=255)])
    agency_b = StringField(_l("Second agency"), filters=[_one_line],
                           validators=[Length(max=255)])
    signed_on = DayField(_l("Signed on"),
                         validators=[DataRequired(_l("Enter the date it was signed."))])
    valid_until = DayField(_l("Valid until"))
    reference = StringField(_l("Reference number"), filters=[_one_line],
                            validators=[Length(max=80)],
                            description=_l("As written on the MOU, e.g. 12/2025/BBGN."))
    ocop_categories = MultiCheckbox(_l("OCOP categories"), coerce=int)
    hs_codes = StringField(_l("HS codes"), filters=[_strip], description=_l(
        "Optional. 2, 4 or 6 digits each, separated by commas or spaces, e.g. 0901, 0902."))
    estimated_value = VndField(_l("Estimated value (đồng)"), filters=[_strip],
                               description=_l("For example 1.500.000.000"))

    hs_categories: list = []

    def setup_categories(self, ocop_choices) -> None:
        """``ocop_choices`` from :func:`matchmaker.catalogue.categories.ocop_tree_choices`."""
        self.ocop_categories.choices = [
            SelectChoice(str(cid), label, render_kw={"data-depth": depth})
            for cid, label, depth in ocop_choices]

    def validate_valid_until(self, field) -> None:
        if field.data and self.signed_on.data and field.data < self.signed_on.data:
            raise ValidationError(DEAL_ERRORS["valid_before_signed"][1])

    def validate_hs_codes(self, field) -> None:
        self.hs_categories = []  # stays empty when the codes are refused
        self.hs_categories = hs_categories_of(field)

    def category_ids(self) -> list[int]:
        """The chosen OCOP categories and typed HS codes, as category ids."""
        return [*(self.ocop_categories.data or []), *(c.id for c in self.hs_categories)]

    def fields(self) -> dict:
        """The validated details, as keyword arguments of the MOU services (no parties)."""
        return {
            "signed_on": self.signed_on.data,
            "valid_until": self.valid_until.data,
            "reference": self.reference.data or None,
            "estimated_value_vnd": self.estimated_value.amount,
            "volume": self.volume.number,
            "unit": (self.unit.data or None) if self.volume.number is not None else None,
            "notes": self.notes.data or None,
        }

    def fill(self, mou) -> None:
        """Put ``mou``'s saved values in the fields (a GET of the edit page)."""
        self.version.data = mou.version
        self.signed_on.data = mou.signed_on
        self.valid_until.data = mou.valid_until
        self.reference.data = mou.reference or ""
        self.estimated_value.data = plain_vnd(mou.estimated_value_vnd)
        self.volume.data = plain_volume(mou.volume)
        self.unit.data = mou.unit or ""
        self.notes.data = mou.notes or ""
        self.event_id.data = mou.event_id
        self.agency_a.data = mou.agency_a or ""
        self.agency_b.data = mou.agency_b or ""
        self.products.data = [p.id for p in mou.products]
        self.ocop_categories.data = [c.id for c in mou.categories if c.scheme == cat.OCOP]
        self.hs_codes.data = ", ".join(c.code for c in mou.categories if c.scheme == cat.HS)


class ContractForm(_DealFields):
    """A supply contract: number, signed date, value, volume, delivery period, products,
    notes and document (parties as for MOUs when it has no MOU)."""

    contract_number = StringField(
        _l("Contract number"), filters=[_one_line],
        validators=[DataRequired(_l("Enter the contract number.")), Length(max=80)],
        description=_l("As written on the contract, e.g. 25/2025/HĐMB."))
    signed_on = DayField(_l("Signed on"),
                         validators=[DataRequired(_l("Enter the date it was signed."))])
    value = VndField(_l("Contract value (đồng)"), filters=[_strip],
                     validators=[DataRequired(_l("Enter the contract value in đồng."))],
                     description=_l("For example 600.000.000"))
    delivery_from = DayField(_l("Delivery from"))
    delivery_to = DayField(_l("Delivery until"))

    def validate_delivery_to(self, field) -> None:
        if field.data and self.delivery_from.data and field.data < self.delivery_from.data:
            raise ValidationError(DEAL_ERRORS["delivery_order"][1])

    def fields(self) -> dict:
        """The validated details, as keyword arguments of the contract services."""
        return {
            "contract_number": self.contract_number.data,
            "signed_on": self.signed_on.data,
            "value_vnd": self.value.amount,
            "volume": self.volume.number,
            "unit": (self.unit.data or None) if self.volume.number is not None else None,
            "delivery_from": self.delivery_from.data,
            "delivery_to": self.delivery_to.data,
            "notes": self.notes.data or None,
        }

    def fill(self, contract) -> None:
        """Put ``contract``'s saved values in the fields."""
        self.version.data = contract.version
        self.contract_number.data = contract.contract_number
        self.signed_on.data = contract.signed_on
        self.value.data = plain_vnd(contract.value_vnd)
        self.volume.data = plain_volume(contract.volume)
        self.unit.data = contract.unit or ""
        self.delivery_from.data = contract.delivery_from
        self.delivery_to.data = contract.delivery_to
        self.notes.data = contract.notes or ""
        self.event_id.data = contract.event_id
        self.products.data = [p.id for p in contract.products]


class MouStatusForm(FlaskForm):
    """A status change of an MOU: to ``negotiating`` (also reviving a lapsed one), or to
    ``lapsed`` / ``cancelled`` with a reason from the list (and text for "other")."""

    version = VersionField()
    status = HiddenField()
    reason = Select(_l("Reason"), default="", choices=[SelectChoice("", _l("Choose…"))] + [
        SelectChoice(r.value, label) for r, label in REASON_LABELS.items()])
    reason_text = TextAreaField(_l("Details"), filters=[_strip],
                                validators=[Length(max=1000)], render_kw={"rows": 2},
                                description=_l("Required for “Other”."))
    note = TextAreaField(_l("Note (optional)"), filters=[_strip],
                         validators=[Length(max=1000)], render_kw={"rows": 2})

    def validate_reason(self, field) -> None:
        if field.data and field.data not in set(CloseReason):
            raise ValidationError(CHOOSE_FROM_LIST)


class ContractStatusForm(FlaskForm):
    """A status change of a contract; ``reason`` is required to terminate or cancel."""

    version = VersionField()
    status = HiddenField()
    reason = TextAreaField(_l("Reason"), filters=[_strip], validators=[Length(max=1000)],
                           render_kw={"rows": 2})
    note = TextAreaField(_l("Note (optional)"), filters=[_strip],
                         validators=[Length(max=1000)], render_kw={"rows": 2})
