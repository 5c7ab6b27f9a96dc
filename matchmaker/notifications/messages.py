"""The text of each kind of notification, rendered in the reader's language.

A :class:`~matchmaker.notifications.models.Notification` stores ``kind`` and ``params``,
never text: :func:`render` turns them into a sentence in the locale in force (the page's
language, or the recipient's inside :func:`flask_babel.force_locale` for emails).

Kinds and their ``params`` (all optional at display time; rows written by older code may
lack some):

* ``registration.<status>`` for each :class:`~matchmaker.events.models.RegistrationStatus`:
  ``event_id``, ``event_title``, ``registration_id``, ``from_status`` (the previous status,
  ``None`` for a new registration), ``note`` (the reason of a rejection or cancellation).
* ``event.cancelled``: ``event_id``, ``event_title``, ``note`` (the organiser's reason).

An unknown kind renders a generic sentence rather than failing: a page must never break
because a notification was written by newer code.
"""

from collections import defaultdict
from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# kind -> (template, template with the note). Templates take %(event)s and %(note)s.
MESSAGES = {
    "registration.pending": (
        _l("Your registration for “%(event)s” was received and awaits the organiser's "
           "approval."),
        None),
    "registration.approved": (
        _l("Your registration for “%(event)s” was approved."), None),
    "registration.rejected": (
        _l("Your registration for “%(event)s” was rejected."),
        _l("Your registration for “%(event)s” was rejected: %(note)s")),
    "registration.waitlisted": (
        _l("The places for “%(event)s” are taken: you are on the waitlist and will move up "
           "when a place frees."),
        None),
    "registration.cancelled": (
        _l("Your registration for “%(event)s” was cancelled."),
        _l("Your registration for “%(event)s” was cancelled: %(note)s")),
    "registration.checked_in": (
        _l("Your organisation was checked in at “%(event)s”."), None),
    "event.cancelled": (
        _l("The event “%(event)s” was cancelled."),
        _l("The event “%(event)s” was cancelled: %(note)s")),
}

# Same status reached from a particular earlier one: (kind, from_status) -> template.
FROM_MESSAGES = {
    ("registration.approved", "waitlisted"): _l(
        "You have a place at “%(event)s” (moved up from the waitlist)."),
    ("registration.pending", "waitlisted"): _l(
        "A place freed up at “%(event)s”: your registration moved up from the waitlist and "
        "awaits the organiser's approval."),
    ("registration.approved", "checked_in"): _l(
        "The check-in of your organisation at “%(event)s” was undone."),
}

GENERIC = _l("You have a new notification.")


def _event_name(params: Mapping) -> str:
    title = params.get("event_title")
    if title:
        return str(title)
    event_id = params.get("event_id")
    return _("event no. %(id)s", id=event_id) if event_id is not None else _("an event")


# Meetings register their texts here (matchmaker.meetings.notify imports nothing from this
# module at import time, so there is no cycle).
from matchmaker.deals.notify import DEAL_MESSAGES  # noqa: E402
from matchmaker.deals.remind import REMINDER_MESSAGES  # noqa: E402
from matchmaker.meetings.notify import MEETING_MESSAGES  # noqa: E402

MESSAGES.update(MEETING_MESSAGES)
MESSAGES.update(DEAL_MESSAGES)
MESSAGES.update(REMINDER_MESSAGES)


def render_text(kind: str, params: Mapping | None) -> str:
    """The sentence for ``kind`` with ``params`` in the current locale (a plain ``str``)."""
    # Schedule texts (counts, times in Vietnam time) are rendered by their own module,
    # imported here because meetings build on notifications.
    from matchmaker.meetings import schedule_notify

    params = params or {}
    text = schedule_notify.render(kind, params)
    if text is not None:
        return text
    templates = MESSAGES.get(kind)
    if templates is None:
        return str(GENERIC)
    note = str(params.get("note") or "").strip()
    template = FROM_MESSAGES.get((kind, params.get("from_status")))
    if template is None:
        plain, with_note = templates
        template = with_note if note and with_note is not None else plain
    # Other features' texts use their own %(name)s parameters; a missing one reads as "".
    values = defaultdict(str, {k: "" if v is None else str(v) for k, v in params.items()})
    values.update(event=_event_name(params), note=note)
    return str(template) % values


def render(notification) -> str:
    """The text of a :class:`~matchmaker.notifications.models.Notification`, in the
    current locale."""
    return render_text(notification.kind, notification.params)
