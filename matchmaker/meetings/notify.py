"""Notifications about meeting requests, and their texts.

Kinds (``params``: ``event_id``, ``event_title``, ``meeting_id``, ``counterpart`` — the
name of the *other* organisation as the reader sees it — and ``note``, the message of a
request or the reason of a decline or cancellation; link ``/meetings/``):

* ``meeting.requested``: the counterpart asks the reader's organisation for a meeting;
* ``meeting.accepted`` / ``meeting.declined``: the counterpart answered the reader's request;
* ``meeting.cancelled``: the counterpart cancelled;
* ``meeting.cancelled_by_organiser``: the organisers cancelled (both parties are told).

:data:`MEETING_MESSAGES` has the same shape as
:data:`matchmaker.notifications.messages.MESSAGES` (``kind -> (template, template with the
note)``); the templates also take ``%(counterpart)s``. Only the other party's members are
told: the people who acted know.
"""

from flask_babel import lazy_gettext as _l

LINK = "/meetings/"

MEETING_MESSAGES = {
    "meeting.requested": (
        _l("%(counterpart)s asks your organisation for a meeting at “%(event)s”."),
        _l("%(counterpart)s asks your organisation for a meeting at “%(event)s”: "
           "%(note)s")),
    "meeting.accepted": (
        _l("%(counterpart)s accepted your meeting request at “%(event)s”."), None),
    "meeting.declined": (
        _l("%(counterpart)s declined your meeting request at “%(event)s”."),
        _l("%(counterpart)s declined your meeting request at “%(event)s”: %(note)s")),
    "meeting.cancelled": (
        _l("%(counterpart)s cancelled the meeting with your organisation at “%(event)s”."),
        _l("%(counterpart)s cancelled the meeting with your organisation at “%(event)s”: "
           "%(note)s")),
    "meeting.cancelled_by_organiser": (
        _l("The organisers cancelled your meeting with %(counterpart)s at “%(event)s”."),
        _l("The organisers cancelled your meeting with %(counterpart)s at “%(event)s”: "
           "%(note)s")),
}


def meeting_changed(meeting, event, action: str, actor_organisation_id: int | None,
                    note: str | None = None) -> int:
    """Tell the members of the party that did not act that ``meeting`` was ``action``
    (``requested``, ``accepted``, ``declined``, ``cancelled``). With no
    ``actor_organisation_id`` (the organisers acted) both parties are told, as
    ``meeting.cancelled_by_organiser`` for a cancellation. Returns the number of
    notifications added."""
    # Imported here so that notifications.messages may import MEETING_MESSAGES from this
    # module without an import cycle (services -> mail -> messages).
    from matchmaker.notifications.services import member_ids, notify

    producer = meeting.producer_registration
    distributor = meeting.distributor_registration
    parties = ((producer.organisation_id, distributor.organisation.name),
               (distributor.organisation_id, producer.organisation.name))
    kind = f"meeting.{action}"
    if actor_organisation_id is None and action == "cancelled":
        kind = "meeting.cancelled_by_organiser"
    added = 0
    for organisation_id, counterpart in parties:
        if organisation_id == actor_organisation_id:
            continue
        added += notify(member_ids(organisation_id), kind,
                        {"event_id": event.id, "event_title": event.title,
                         "meeting_id": meeting.id, "counterpart": counterpart,
                         "note": note or ""}, LINK)
    return added
