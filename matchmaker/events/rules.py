"""Who may see and change events and registrations (registered with
:mod:`matchmaker.permissions`; admins may always).

* Event: once published (``published_at`` set, whatever its status since, a cancellation
  included) everyone may view it, anonymous visitors too; a draft only staff. Only staff edit
  events and change their status.
* Registration: members of the registered organisation and staff view it and edit it
  (delegates, products or needs, cancelling). Approving, rejecting and check-in are staff
  tools guarded by their routes.
"""

from matchmaker.events.models import Event, Registration
from matchmaker.permissions import edit_rule, is_staff, same_organisation, view_rule


@view_rule(Event)
def can_view_event(user, event: Event) -> bool:
    """Published (once) events: everyone. Drafts: staff only."""
    return event.is_public or is_staff(user)


@edit_rule(Event)
def can_edit_event(user, event: Event) -> bool:
    """Staff (organisers and admins)."""
    return is_staff(user)


@view_rule(Registration)
def can_view_registration(user, registration: Registration) -> bool:
    """Members of the registered organisation, and staff."""
    return is_staff(user) or same_organisation(user, registration.organisation_id)


@edit_rule(Registration)
def can_edit_registration(user, registration: Registration) -> bool:
    """Members of the registered organisation (delegates, offer, cancel), and staff."""
    return is_staff(user) or same_organisation(user, registration.organisation_id)
