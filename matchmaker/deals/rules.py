"""Who may see and change an MOU or a supply contract (registered with
:mod:`matchmaker.permissions`; admins may always).

* Business MOUs and contracts: members of either party (producer, distributor) and staff
  (the organisers; events have no per-event organiser list, so every organiser is one of
  "the event's organisers"). Nobody else — a member of a third organisation gets 404 from
  the pages, so that the deal's existence does not leak.
* Agency (department-to-department) MOUs: staff only.

Viewing and editing are the same people: either party or an organiser may record and update.
"""

from matchmaker.deals.models import Mou, MouKind, SupplyContract
from matchmaker.permissions import edit_rule, is_staff, same_organisation, view_rule


def is_party(user, deal: Mou | SupplyContract) -> bool:
    """True when ``user`` is a member of the deal's producer or distributor organisation."""
    if isinstance(deal, Mou) and deal.kind != MouKind.BUSINESS:
        return False
    return (same_organisation(user, deal.producer_id)
            or same_organisation(user, deal.distributor_id))


@view_rule(Mou)
@edit_rule(Mou)
def can_see_mou(user, mou: Mou) -> bool:
    """Both parties' members and staff; agency MOUs staff only."""
    return is_staff(user) or is_party(user, mou)


@view_rule(SupplyContract)
@edit_rule(SupplyContract)
def can_see_contract(user, contract: SupplyContract) -> bool:
    """Both parties' members and staff."""
    return is_staff(user) or is_party(user, contract)
