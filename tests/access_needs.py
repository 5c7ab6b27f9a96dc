"""Access-matrix rows for sourcing needs, and a helper that makes needs.

World: organisation A has an open need, an inactive one and one whose open-until day has
passed. (A is a producer in the shared world; the rules follow membership, not the side, so
its needs serve to show what B's member may not do. Creating needs is refused to A's
member: B is the distributor.)
"""

from datetime import timedelta

import sqlalchemy as sa

from matchmaker.catalogue.models import Category, NeedProvince, SourcingNeed
from matchmaker.catalogue.services import local_today
from matchmaker.extensions import db
from tests.access import LOGIN_REDIRECT, Case, logged_in, owner_and_staff


def category(scheme: str, code: str) -> Category:
    """A reference category by scheme and code. (Not imported from access_products: the
    access modules are imported by tests.access while it loads, in any order.)"""
    return db.session.scalar(
        sa.select(Category).where(Category.scheme == scheme, Category.code == code))


def make_need(organisation, title="Nước mắm cho 20 siêu thị", ocop=("I.4.a",), hs=("2103",),
              provinces=(40,), **values) -> SourcingNeed:
    """A committed need of ``organisation`` (any side: this bypasses the service's check)."""
    need = SourcingNeed(organisation_id=organisation.id, title=title, **values)
    need.categories = [category("ocop", c) for c in ocop] + [category("hs", c) for c in hs]
    need.delivery_provinces = [NeedProvince(province_code=code) for code in provinces]
    db.session.add(need)
    db.session.commit()
    return need


def setup(world: dict) -> None:
    org = world["org_a"]
    world["need"] = make_need(org, monthly_volume=5_000, unit="chai", target_price_vnd=100_000)
    world["inactive_need"] = make_need(org, "Mật ong rừng", ocop=("I.2.b",), hs=(),
                                       active=False)
    world["expired_need"] = make_need(org, "Gạo tám thơm", ocop=("I.2.a",), hs=(),
                                      active_until=local_today() - timedelta(days=1))


CLOSED = {"anon": LOGIN_REDIRECT, "member_a": 200, "member_b": 404, "organiser": 200,
          "admin": 200}
DISTRIBUTOR_ONLY = {"anon": LOGIN_REDIRECT, "member_a": 403, "member_b": 200,
                    "organiser": 403, "admin": 403}


def _need_url(key, suffix=""):
    return lambda w: f"/needs/{w[key].id}{suffix}"


def _fresh_need_url(w):
    # Each visitor deletes a need of its own. End the test's read snapshot first: the
    # previous visitor's request wrote since, and SQLite will not let a stale snapshot write.
    db.session.rollback()
    return f"/needs/{make_need(w['org_a'], 'Chè xanh').id}/delete"


CASES = [
    Case("GET", "/needs/", "/needs/",
         {"anon": LOGIN_REDIRECT, "member_a": 200, "member_b": 200, "organiser": 403,
          "admin": 403}),
    Case("GET", "/needs/new", "/needs/new", DISTRIBUTOR_ONLY),
    Case("POST", "/needs/new", "/needs/new", DISTRIBUTOR_ONLY, data={"title": ""}),
    Case("GET", "/needs/<int:need_id>", _need_url("need"), logged_in(200)),
    Case("GET", "/needs/<int:need_id>", _need_url("inactive_need"), CLOSED),
    Case("GET", "/needs/<int:need_id>", _need_url("expired_need"), CLOSED),
    Case("GET", "/needs/<int:need_id>/edit", _need_url("need", "/edit"), owner_and_staff()),
    Case("POST", "/needs/<int:need_id>/edit", _need_url("need", "/edit"), owner_and_staff(),
         data={"title": ""}),
    Case("POST", "/needs/<int:need_id>/delete", _fresh_need_url, owner_and_staff(302)),
]
