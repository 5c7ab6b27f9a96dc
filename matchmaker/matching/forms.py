"""Forms of the matching pages: a pair (for "not interested", pin, unpin, lift exclusion)
and the organisers' exclusion with its reason."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from matchmaker.matching.models import ExclusionReason
from matchmaker.matching.services import NOTE_MAX
from matchmaker.pagination import MAX_ID
from matchmaker.text import strip_invisible

EXCLUSION_REASON_LABELS = {
    ExclusionReason.COMPETITOR.value: _l("Competitors"),
    ExclusionReason.EXISTING_PARTNER.value: _l("Already partners"),
    ExclusionReason.OTHER.value: _l("Other reason"),
}
BAD_PAIR = _l("This suggestion is no longer available. Reload the page.")


def _multi_line(value: str | None) -> str | None:
    return strip_invisible(value).strip() if value is not None else None


def _id_field() -> IntegerField:
    return IntegerField(validators=[DataRequired(BAD_PAIR), NumberRange(1, MAX_ID, BAD_PAIR)])


class PairForm(FlaskForm):
    """A producer × distributor pair (organisation ids); ``event_id`` empty means
    platform-wide; ``next`` is where to go back to (checked by the route)."""

    producer_id = _id_field()
    distributor_id = _id_field()
    event_id = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID, BAD_PAIR)])
    next = HiddenField()


class ExcludeForm(PairForm):
    """The organisers' exclusion: a reason, and a note required for "other"."""

    reason = SelectField(_l("Why exclude this pair?"),
                         choices=[SelectChoice(value, label)
                                  for value, label in EXCLUSION_REASON_LABELS.items()],
                         validators=[DataRequired(_l("Choose a reason."))])
    note = TextAreaField(_l("Note (seen by organisers only)"), filters=[_multi_line],
                         validators=[Length(max=NOTE_MAX)])

    def validate_note(self, field) -> None:
        if self.reason.data == ExclusionReason.OTHER and not field.data:
            raise ValidationError(_l("Say why in a few words."))
