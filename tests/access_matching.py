"""Access-matrix rows for the matching pages, and builders other matching tests use.

World: organisation A (producer) has a fish-sauce product, B (distributor) a "Gia vị" need;
both are approved at ``match_event``. At ``solo_event`` only A takes part, so B's member is
"a member of another organisation" there. ``org_c`` is a third organisation (a distributor)
for pairs that do not involve B.

The page URLs warm the matching caches before the request (the catalogue index and the
event's index are built once per process and catalogue version, then reused by every page;
see :mod:`matchmaker.matching.loader`), so the page budgets measure a page as it runs once
the platform is up, not the one-off build after a catalogue change.
"""

import sqlalchemy as sa

from matchmaker.db import write_transaction
from matchmaker.events import registration as registration_rules
from matchmaker.events.models import Registration, RegistrationSide
from matchmaker.extensions import db
from matchmaker.matching import loader
from matchmaker.organisations.models import Side
from tests import factories
from tests.access import LOGIN_REDIRECT, Case, staff_only
from tests.access_events import make_event
from tests.access_needs import make_need
from tests.access_products import make_product
from tests.access_registrations import register_org

P, D = RegistrationSide.PRODUCER, RegistrationSide.DISTRIBUTOR


def approve(registration_id: int) -> None:
    """Approve a registration through the rules and commit."""
    db.session.rollback()
    with write_transaction():
        registration_rules.approve(db.session.get(Registration, registration_id), None)
        db.session.commit()


def take_part(event, organisation, side, **offer) -> int:
    """Register ``organisation`` at ``event`` on ``side`` and approve it; the id."""
    registration_id = register_org(event, organisation, side=side, **offer)
    approve(registration_id)
    return registration_id


def warm(event_id: int | None = None) -> None:
    """Build the cached catalogue (and the event's index) now, outside any request."""
    db.session.rollback()
    cat = loader.catalogue()
    if event_id is not None:
        loader.event_index(cat, loader.event_participants(event_id))
    db.session.rollback()  # no read snapshot may stay open (SQLite)


def setup(world: dict) -> None:
    org_a, org_b = world["org_a"], world["org_b"]
    org_a_id, org_b_id = (sa.inspect(o).identity[0] for o in (org_a, org_b))
    db.session.rollback()
    product = make_product(org_a, "Nước mắm Cửa Lò CL28", ocop_stars=4)
    need = make_need(org_b, "Gia vị cho chuỗi siêu thị", ocop=("I.4",), hs=(),
                     provinces=(40,), min_ocop_stars=3)
    org_c = factories.make_organisation("Siêu thị Bến Thủy", Side.DISTRIBUTOR)
    event = make_event("Hội nghị kết nối giao thương Cửa Lò")
    solo = make_event("Hội chợ OCOP Quỳnh Lưu")
    product_id, need_id = sa.inspect(product).identity[0], sa.inspect(need).identity[0]
    world["match_event_id"] = sa.inspect(event).identity[0]
    world["solo_event_id"] = sa.inspect(solo).identity[0]
    world["match_reg_a"] = take_part(event, org_a, P, product_ids=[product_id])
    world["match_reg_b"] = take_part(event, org_b, D, need_ids=[need_id])
    take_part(solo, org_a, P, product_ids=[product_id])
    world["org_c_id"] = sa.inspect(org_c).identity[0]
    world["org_a_id"], world["org_b_id"] = org_a_id, org_b_id


def _suggestions_url(world: dict) -> str:
    warm()
    return "/suggestions/"


def _event_url(key: str, suffix: str):
    def url(world: dict) -> str:
        warm(world[key])
        return f"/events/{world[key]}/{suffix}"
    return url


def _pair(producer: str, distributor: str, **extra):
    return lambda w: {"producer_id": w[producer], "distributor_id": w[distributor], **extra}


MEMBERS = {"anon": LOGIN_REDIRECT, "member_a": 200, "member_b": 200, "organiser": 403,
           "admin": 403}
PARTICIPANTS = {"anon": LOGIN_REDIRECT, "member_a": 200, "member_b": 200, "organiser": 302,
                "admin": 302}
# B takes no part in solo_event: 403, as a page that says why (not registered) and links to
# the registration form (tests/test_matching_pages.py checks the page).
ONLY_A = {"anon": LOGIN_REDIRECT, "member_a": 200, "member_b": 403, "organiser": 302,
          "admin": 302}
# A pair of A and C: A's member decides for A; B's member is in neither organisation.
A_DECIDES = {"anon": LOGIN_REDIRECT, "member_a": 302, "member_b": 403, "organiser": 403,
             "admin": 403}
EVENT_RULE = "/events/<int:event_id>/"

CASES = [
    Case("GET", "/suggestions/", _suggestions_url, MEMBERS),
    Case("GET", EVENT_RULE + "suggestions", _event_url("match_event_id", "suggestions"),
         PARTICIPANTS),
    Case("GET", EVENT_RULE + "suggestions", _event_url("solo_event_id", "suggestions"), ONLY_A),
    Case("GET", EVENT_RULE + "pairs", _event_url("match_event_id", "pairs"), staff_only()),
    Case("POST", "/suggestions/not-interested", "/suggestions/not-interested", A_DECIDES,
         data=_pair("org_a_id", "org_c_id")),
    Case("POST", "/suggestions/undo-not-interested", "/suggestions/undo-not-interested",
         A_DECIDES, data=_pair("org_a_id", "org_c_id")),
    Case("POST", EVENT_RULE + "pairs/exclude", lambda w: f"/events/{w['match_event_id']}"
         "/pairs/exclude", staff_only(302), data=_pair("org_a_id", "org_b_id",
                                                       reason="competitor")),
    Case("POST", EVENT_RULE + "pairs/unexclude", lambda w: f"/events/{w['match_event_id']}"
         "/pairs/unexclude", staff_only(302), data=_pair("org_a_id", "org_b_id")),
    Case("POST", EVENT_RULE + "pairs/pin", lambda w: f"/events/{w['match_event_id']}"
         "/pairs/pin", staff_only(302), data=_pair("org_a_id", "org_b_id")),
    Case("POST", EVENT_RULE + "pairs/unpin", lambda w: f"/events/{w['match_event_id']}"
         "/pairs/unpin", staff_only(302), data=_pair("org_a_id", "org_b_id")),
]
