"""Forms of the meeting-request pages, and the messages for refused changes."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from matchmaker.meetings.models import MeetingStatus
from matchmaker.meetings.requests import CAP_MAX, MESSAGE_MAX, REASON_MAX
from matchmaker.text import strip_invisible

M = MeetingStatus
STATUS_LABELS = {
    M.REQUESTED: _l("Requested"),
    M.ACCEPTED: _l("Accepted"),
    M.DECLINED: _l("Declined"),
    M.SCHEDULED: _l("Scheduled"),
    M.HELD: _l("Held"),
    M.NO_SHOW: _l("No-show"),
    M.CANCELLED: _l("Cancelled"),
}
# Bootstrap badge classes of each status.
STATUS_BADGES = {
    M.REQUESTED: "text-bg-warning",
    M.ACCEPTED: "text-bg-success",
    M.DECLINED: "text-bg-danger",
    M.SCHEDULED: "text-bg-primary",
    M.HELD: "text-bg-dark",
    M.NO_SHOW: "text-bg-secondary",
    M.CANCELLED: "text-bg-secondary",
}

# MeetingError codes (see matchmaker.meetings.requests) as a participant reads them.
# ``cap_other`` takes %(name)s, the organisation whose cap is reached.
ERROR_MESSAGES = {
    "no_event": _l("This event does not exist."),
    "closed": _l("Meeting requests for this event are closed: they are taken until the event "
                 "starts."),
    "event_over": _l("The event is over or was cancelled, so its meetings can no longer "
                     "change."),
    "not_registered": _l("Your organisation needs an approved registration at this event to "
                         "take part in meetings."),
    "counterpart": _l("This organisation is not an approved participant of this event."),
    "same_side": _l("Meetings are between a producer and a distributor: this organisation is "
                    "on your side."),
    "already": _l("You already have an open meeting or request with this organisation at "
                  "this event."),
    "cap_self": _l("Your organisation has reached the most meetings allowed per participant "
                   "at this event. Cancel or decline one first."),
    "cap_other": _l("%(name)s has reached the most meetings allowed per participant at this "
                    "event."),
    "message": _l("Keep the message to %(max)d characters or fewer.", max=MESSAGE_MAX),
    "transition": _l("This meeting cannot be changed from its current status."),
    "not_party": _l("Only the organisation that was asked can accept or decline this "
                    "request."),
    "cap": _l("Enter a number from 1 to %(max)d, or leave it empty for no limit.",
              max=CAP_MAX),
}


def error_message(code: str, name: str | None = None) -> str:
    """The participant's message for a :class:`MeetingError` code."""
    text = ERROR_MESSAGES.get(code, ERROR_MESSAGES["transition"])
    return str(text) % {"name": name or ""} if code == "cap_other" else str(text)


def _multi_line(value: str | None) -> str | None:
    return strip_invisible(value).strip() if value is not None else None


class RequestForm(FlaskForm):
    """Ask for a meeting: an optional short message the other organisation reads."""

    message = TextAreaField(
        _l("Message (optional)"), filters=[_multi_line],
        description=_l("What you would like to talk about, in a few words (at most %(max)d "
                       "characters).", max=MESSAGE_MAX),
        validators=[Optional(), Length(max=MESSAGE_MAX, message=ERROR_MESSAGES["message"])])


class DeclineForm(FlaskForm):
    """Decline a request, with an optional reason the requester sees."""

    reason = TextAreaField(
        _l("Reason (optional)"), filters=[_multi_line],
        validators=[Optional(), Length(max=REASON_MAX, message=_l(
            "Keep the reason to %(max)d characters or fewer.", max=REASON_MAX))])


class CancelForm(DeclineForm):
    """Cancel a meeting, with an optional reason the other party sees."""


class CsrfForm(FlaskForm):
    """A form with only its CSRF token (the availability ticks are read from the request)."""


class CapForm(FlaskForm):
    """The organiser's cap of meetings per participant (empty: no cap)."""

    meeting_cap = IntegerField(
        _l("Most meetings per participant"),
        description=_l("Counts requested, accepted and scheduled meetings. Leave empty for "
                       "no limit."),
        validators=[Optional(), NumberRange(min=1, max=CAP_MAX, message=ERROR_MESSAGES["cap"])])
