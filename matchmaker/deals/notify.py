"""Notifications about MOUs and supply contracts, and their texts.

Kinds (``params``: ``mou_id`` or ``contract_id``, ``counterpart`` — the name of the *other*
organisation as the reader sees it —, ``number`` (a contract's number) and ``note``: a
reason, in the reader's language when it is a close reason from the list):

* ``mou.recorded``, ``mou.negotiating``, ``mou.revived`` (a lapsed MOU is back in
  negotiation), ``mou.lapsed``, ``mou.cancelled``: the counterpart recorded the MOU or
  changed its status;
* ``contract.recorded``, ``contract.delivering``, ``contract.completed``,
  ``contract.terminated``, ``contract.cancelled``: the same for a supply contract;
* each with ``_by_organiser`` appended when the organisers acted (both parties are told).

Only the other party's members are told when a member acts: the people who acted know.
Agency MOUs (between departments) have no member organisations and notify nobody.
:data:`DEAL_MESSAGES` has the shape of :data:`matchmaker.notifications.messages.MESSAGES`
(``kind -> (template, template with the note)``).
"""

from collections import defaultdict

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db

DEAL_MESSAGES = {
    "mou.recorded": (
        _l("%(counterpart)s recorded an MOU with your organisation."), None),
    "mou.recorded_by_organiser": (
        _l("The organisers recorded an MOU between your organisation and %(counterpart)s."),
        None),
    "mou.negotiating": (
        _l("%(counterpart)s marked your MOU as under negotiation."),
        _l("%(counterpart)s marked your MOU as under negotiation: %(note)s")),
    "mou.negotiating_by_organiser": (
        _l("The organisers marked your MOU with %(counterpart)s as under negotiation."),
        _l("The organisers marked your MOU with %(counterpart)s as under negotiation: "
           "%(note)s")),
    "mou.revived": (
        _l("%(counterpart)s revived your lapsed MOU: talks resumed."),
        _l("%(counterpart)s revived your lapsed MOU: %(note)s")),
    "mou.revived_by_organiser": (
        _l("The organisers revived your lapsed MOU with %(counterpart)s."),
        _l("The organisers revived your lapsed MOU with %(counterpart)s: %(note)s")),
    "mou.lapsed": (
        _l("%(counterpart)s marked your MOU as lapsed."),
        _l("%(counterpart)s marked your MOU as lapsed: %(note)s")),
    "mou.lapsed_by_organiser": (
        _l("The organisers marked your MOU with %(counterpart)s as lapsed."),
        _l("The organisers marked your MOU with %(counterpart)s as lapsed: %(note)s")),
    "mou.cancelled": (
        _l("%(counterpart)s cancelled your MOU."),
        _l("%(counterpart)s cancelled your MOU: %(note)s")),
    "mou.cancelled_by_organiser": (
        _l("The organisers cancelled your MOU with %(counterpart)s."),
        _l("The organisers cancelled your MOU with %(counterpart)s: %(note)s")),
    "contract.recorded": (
        _l("%(counterpart)s recorded supply contract %(number)s with your organisation."),
        None),
    "contract.recorded_by_organiser": (
        _l("The organisers recorded supply contract %(number)s between your organisation "
           "and %(counterpart)s."), None),
    "contract.delivering": (
        _l("%(counterpart)s marked supply contract %(number)s as delivering."), None),
    "contract.delivering_by_organiser": (
        _l("The organisers marked supply contract %(number)s with %(counterpart)s as "
           "delivering."), None),
    "contract.completed": (
        _l("%(counterpart)s marked supply contract %(number)s as completed."), None),
    "contract.completed_by_organiser": (
        _l("The organisers marked supply contract %(number)s with %(counterpart)s as "
           "completed."), None),
    "contract.terminated": (
        _l("%(counterpart)s terminated supply contract %(number)s."),
        _l("%(counterpart)s terminated supply contract %(number)s: %(note)s")),
    "contract.terminated_by_organiser": (
        _l("The organisers terminated supply contract %(number)s with %(counterpart)s."),
        _l("The organisers terminated supply contract %(number)s with %(counterpart)s: "
           "%(note)s")),
    "contract.cancelled": (
        _l("%(counterpart)s cancelled supply contract %(number)s."),
        _l("%(counterpart)s cancelled supply contract %(number)s: %(note)s")),
    "contract.cancelled_by_organiser": (
        _l("The organisers cancelled supply contract %(number)s with %(counterpart)s."),
        _l("The organisers cancelled supply contract %(number)s with %(counterpart)s: "
           "%(note)s")),
}


def _members_by_organisation(organisation_ids) -> dict[int, list[tuple[int, str]]]:
    from matchmaker.auth.models import User

    rows = db.session.execute(
        sa.select(User.organisation_id, User.id, User.locale)
        .where(User.organisation_id.in_(list(organisation_ids)), User.active.is_(True))
        .order_by(User.id))
    members: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for organisation_id, user_id, locale in rows:
        members[organisation_id].append((user_id, locale))
    return members


def _tell(deal, kind: str, params: dict, link: str, actor_organisation_id: int | None,
          note=None) -> int:
    """Notify the members of the deal's parties other than ``actor_organisation_id``
    (both when it is None, with ``kind + "_by_organiser"``). ``note`` is a string, or a
    callable rendering it in the locale in force (each reader gets it in their language).
    Two statements at most (members, then the notifications)."""
    from matchmaker.notifications.services import notify

    if deal.producer_id is None or deal.distributor_id is None:
        return 0  # an agency MOU: no member organisations
    names = {deal.producer_id: deal.distributor.name, deal.distributor_id: deal.producer.name}
    readers = [o for o in (deal.producer_id, deal.distributor_id) if o != actor_organisation_id]
    if not readers:
        return 0
    if actor_organisation_id is None:
        kind = f"{kind}_by_organiser"
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    added = 0
    for organisation_id, members in _members_by_organisation(readers).items():
        by_locale: dict[str, list[int]] = defaultdict(list)
        for user_id, locale in members:
            by_locale[locale or default].append(user_id)
        for locale, user_ids in by_locale.items():
            text = note
            if callable(note):
                with force_locale(locale):
                    text = note()
            added += notify(user_ids, kind, {**params, "counterpart": names[organisation_id],
                                             "note": text or ""}, link)
    return added


def mou_changed(mou, action: str, actor_organisation_id: int | None, note=None) -> int:
    """Tell the MOU's other party (both, when ``actor_organisation_id`` is None: the
    organisers acted) that it was ``action``: ``recorded``, ``negotiating``, ``revived``,
    ``lapsed`` or ``cancelled``. ``note``: text or a callable giving it in the reader's
    language (a close reason). Needs ``mou.producer`` / ``mou.distributor`` loaded.
    Returns the number of notifications added."""
    return _tell(mou, f"mou.{action}", {"mou_id": mou.id}, f"/mous/{mou.id}",
                 actor_organisation_id, note)


def contract_changed(contract, action: str, actor_organisation_id: int | None,
                     note: str | None = None) -> int:
    """As :func:`mou_changed` for a supply contract: ``recorded``, ``delivering``,
    ``completed``, ``terminated`` or ``cancelled``."""
    return _tell(contract, f"contract.{action}",
                 {"contract_id": contract.id, "number": contract.contract_number},
                 f"/contracts/{contract.id}", actor_organisation_id, note)
