"""Forms and labels of the organiser tools (registration list, check-in, badges, export)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from matchmaker.events.models import RegistrationStatus
from matchmaker.text import strip_invisible

S = RegistrationStatus

# RegistrationError codes (see matchmaker.events.registration) as the organiser reads them.
ERROR_MESSAGES = {
    "transition": _l("This registration cannot be changed from its current status."),
    "full": _l("No place is free on this side. Raise the capacity or reject another "
               "registration first."),
    "event_over": _l("The event has finished or was cancelled, so its registrations can no "
                     "longer change."),
    "reason": _l("Give a reason for the rejection. The organisation will see it."),
    "no_event": _l("This event does not exist."),
    "checked_in": _l("This organisation is checked in. Undo the check-in first."),
}
CHECK_IN_REFUSED = _l("Only an approved registration can be checked in. This one is: "
                      "%(status)s.")

REASON_MAX = 1000


def error_message(code: str) -> str:
    """The organiser's message for a :class:`RegistrationError` code (a generic one for
    codes these pages do not expect)."""
    return str(ERROR_MESSAGES.get(code, ERROR_MESSAGES["transition"]))


def _multi_line(value: str | None) -> str | None:
    return strip_invisible(value).strip() if value is not None else None


class RejectForm(FlaskForm):
    """Reject one registration: the reason is required (the organisation is told it)."""

    reason = TextAreaField(
        _l("Reason for rejection"), filters=[_multi_line],
        validators=[DataRequired(_l("Give a reason for the rejection. The organisation will "
                                    "see it.")),
                    Length(max=REASON_MAX)])
