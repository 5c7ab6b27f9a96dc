"""Forms for registering an organisation for an event, changing and cancelling it.

Five delegate rows are always shown (no JavaScript needed): the first is required, the
others are used when a name is typed. Phones are checked and normalised to E.164 with
:func:`matchmaker.organisations.identifiers.normalise_phone`. Products and sourcing needs
are offered as checkboxes whose choices the route fills in; whether the ticked ids really are
the organisation's is decided by :mod:`matchmaker.events.registration` (the one authority),
so the fields do not refuse unknown ids themselves.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from matchmaker.catalogue.forms import MultiCheckbox
from matchmaker.events.forms_events import SubForm
from matchmaker.events.models import MAX_DELEGATES, RegistrationSide
from matchmaker.events.registration import Delegate
from matchmaker.organisations.forms import check_phone
from matchmaker.organisations.identifiers import format_phone
from matchmaker.text import normalise

SIDE_LABELS = {
    RegistrationSide.PRODUCER: _l("Producer (I bring products)"),
    RegistrationSide.DISTRIBUTOR: _l("Distributor (I look for products to buy)"),
}
TOO_MANY_DELEGATES = _l("At most %(max)d delegates can be named.", max=MAX_DELEGATES)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class DelegateForm(SubForm):
    """One delegate row. A row without a name is ignored unless it is the first, or has a
    job title or phone (then the name is asked for)."""

    # Normalised before the length check: NFC can lengthen text, and the database counts
    # the stored (normalised) characters.
    full_name = StringField(_l("Full name"), filters=[normalise], validators=[Length(max=120)])
    job_title = StringField(_l("Job title"), filters=[normalise], validators=[Length(max=120)])
    phone = StringField(_l("Phone"), filters=[_strip], validators=[Optional()],
                        description=_l("e.g. 0912 345 678 or 0238 3844 555"))

    @property
    def is_blank(self) -> bool:
        return not (self.full_name.data or self.job_title.data or self.phone.data)

    def validate_phone(self, field) -> None:
        check_phone(field)


class RegistrationOfferForm(FlaskForm):
    """Delegates and what the organisation brings (products or sourcing needs).

    Build with :meth:`build`; read the result with :meth:`delegates_for_service`,
    :attr:`product_ids` and :attr:`need_ids`.
    """

    # Five rows always shown; one more than the limit is read so that a sixth name is
    # refused rather than silently dropped.
    delegates = FieldList(FormField(DelegateForm), min_entries=MAX_DELEGATES,
                          max_entries=MAX_DELEGATES + 1)
    products = MultiCheckbox(_l("Products you bring"), coerce=int, validate_choice=False,
                             description=_l("Buyers see these products when they look for "
                                            "suppliers at this event."))
    needs = MultiCheckbox(_l("Sourcing needs you bring"), coerce=int, validate_choice=False,
                          description=_l("Producers see what you want to buy."))

    @classmethod
    def build(cls, products=(), needs=(), delegates=None, chosen_products=(),
              chosen_needs=(),
              **kwargs) -> "RegistrationOfferForm":
        """The form with its choices: ``products`` as ``(id, name)`` pairs, ``needs`` as
        ``(id, title)`` pairs. On a GET, ``delegates`` (:class:`RegistrationDelegate` rows)
        and ``chosen_products`` / ``chosen_needs`` (ticked ids) fill the fields; a POST reads the
        request instead."""
        if delegates is not None:
            kwargs["data"] = {
                "delegates": [
                    {"full_name": d.full_name, "job_title": d.job_title or "",
                     "phone": format_phone(d.phone)}
                    for d in delegates],
                "products": list(chosen_products),
                "needs": list(chosen_needs),
            }
        form = cls(**kwargs)
        form.products.choices = [SelectChoice(str(pid), name) for pid, name in products]
        form.needs.choices = [SelectChoice(str(nid), title) for nid, title in needs]
        return form

    def validate_delegates(self, field) -> None:
        rows = [entry.form for entry in field.entries]
        named = 0
        for position, row in enumerate(rows):
            if row.full_name.data:
                named += 1
            elif position == 0:
                row.full_name.errors.append(_l("Enter the name of at least one delegate."))
            elif not row.is_blank:
                row.full_name.errors.append(_l("Enter this delegate's name, or clear the row."))
        if named > MAX_DELEGATES:
            raise ValidationError(TOO_MANY_DELEGATES)
        if any(row.full_name.errors for row in rows):
            raise ValidationError(_l("Check the delegates below."))

    def delegates_for_service(self) -> list[Delegate]:
        """The named delegates, in row order (phones already in E.164)."""
        return [Delegate(full_name=row.full_name.data, job_title=row.job_title.data or None,
                         phone=row.phone.data or None)
                for row in (entry.form for entry in self.delegates.entries)
                if row.full_name.data]

    @property
    def product_ids(self) -> list[int]:
        return list(self.products.data or [])

    @property
    def need_ids(self) -> list[int]:
        return list(self.needs.data or [])


class RegisterForm(RegistrationOfferForm):
    """Registration: the offer plus the side (chosen only by a "both" organisation)."""

    side = RadioField(_l("Register as"), choices=[
        SelectChoice(side.value, label) for side, label in SIDE_LABELS.items()],
        validate_choice=False)

    #: True for a producer-and-distributor organisation, which must choose.
    must_choose_side: bool = False

    def validate_side(self, field) -> None:
        if not field.data and self.must_choose_side:
            raise ValidationError(_l("Choose whether you come as a producer or as a "
                                     "distributor."))

    def chosen_side(self, fixed: str | None) -> str | None:
        """The side to register on: what was posted (the service checks the organisation
        may take it), else ``fixed`` (the only side of a one-sided organisation)."""
        return self.side.data or fixed


class CancelForm(FlaskForm):
    """Cancelling a registration: an optional reason and a confirmation."""

    reason = TextAreaField(_l("Reason (optional)"), filters=[_strip],
                           validators=[Length(max=2000)], render_kw={"rows": 2},
                           description=_l("Organisers see it. For example: our delegate "
                                          "is ill."))
    confirm = BooleanField(_l("Yes, cancel our registration"))

    def validate_confirm(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Tick the box to confirm that you want to cancel."))
