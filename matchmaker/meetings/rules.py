"""Who may see and change a meeting (registered with :mod:`matchmaker.permissions`; admins
may always).

* View: members of either party's organisation, and staff.
* Edit (cancel; accepting and declining are further limited to the party that was asked,
  see :func:`matchmaker.meetings.requests.may_answer`): the same people.

The rules read both registrations' ``organisation_id``: load the meeting with
:func:`matchmaker.meetings.requests.load_meeting` so this costs no extra statement.
"""

from matchmaker.meetings.models import Meeting
from matchmaker.permissions import edit_rule, is_staff, same_organisation, view_rule


def is_party(user, meeting: Meeting) -> bool:
    """True when ``user`` is a member of one of the meeting's two organisations."""
    return (same_organisation(user, meeting.producer_registration.organisation_id)
            or same_organisation(user, meeting.distributor_registration.organisation_id))


@view_rule(Meeting)
def can_view_meeting(user, meeting: Meeting) -> bool:
    """The two parties' members, and staff."""
    return is_staff(user) or is_party(user, meeting)


@edit_rule(Meeting)
def can_edit_meeting(user, meeting: Meeting) -> bool:
    """The two parties' members, and staff."""
    return is_staff(user) or is_party(user, meeting)
