"""Access-matrix rows for the MOU follow-up list, next steps and the import of past results:
staff only (members get 403 whatever the MOU, so nothing leaks about other MOUs).

World: ``fu_mou`` — an MOU signed 45 days ago between organisation A (producer) and a third
organisation ``fu_org_c`` (a distributor), so B's member is a third party. Next-step posts
each get a fresh MOU (a save moves the version on).
"""

from datetime import timedelta

import sqlalchemy as sa

from matchmaker.db import write_transaction
from matchmaker.deals.remind import vietnam_today
from matchmaker.deals.services import Parties, record_mou
from matchmaker.extensions import db
from matchmaker.organisations.models import Side
from tests import factories
from tests.access import Case, staff_only

FOLLOW_UP = "/mous/follow-up"
NEXT_STEP = "/mous/<int:mou_id>/next-step"


def ident(obj) -> int:
    """The primary key without reading an expired attribute (see tests/conftest.py)."""
    return sa.inspect(obj).identity[0]


def make_mou(producer, distributor, days_ago: int = 45, value: int | None = 900_000_000,
             **values) -> int:
    """Record a business MOU signed ``days_ago`` days ago (Vietnam calendar) and commit;
    returns its id."""
    db.session.rollback()  # a stale SQLite read snapshot may not write
    with write_transaction():
        mou = record_mou(signed_on=vietnam_today() - timedelta(days=days_ago),
                         by_user_id=None, estimated_value_vnd=value,
                         parties=Parties(ident(producer), ident(distributor)), **values)
        mou_id = mou.id
        db.session.commit()
    return mou_id


def setup(world: dict) -> None:
    world["fu_org_c"] = factories.make_organisation("Chuỗi cửa hàng Sen Vàng", Side.DISTRIBUTOR)
    world["fu_mou"] = make_mou(world["org_a"], world["fu_org_c"])


def _fresh_next_step(world: dict) -> str:
    return f"/mous/{make_mou(world['org_a'], world['fu_org_c'])}/next-step"


NEXT_STEP_DATA = {"version": "1", "next_step": "Gọi lại bên mua về giá mẫu",
                  "next_step_on": "2030-01-15", "save": "1"}
MISSING = {"anon": 302, "member_a": 403, "member_b": 403, "organiser": 404, "admin": 404}

CASES = [
    Case("GET", FOLLOW_UP, FOLLOW_UP, staff_only()),
    Case("GET", FOLLOW_UP, lambda w: f"{FOLLOW_UP}?age=0&event=none", staff_only()),
    Case("POST", NEXT_STEP, _fresh_next_step, staff_only(302), data=NEXT_STEP_DATA),
    # A bad date: the form comes back with the error, nothing saved.
    Case("POST", NEXT_STEP, _fresh_next_step, staff_only(200),
         data={**NEXT_STEP_DATA, "next_step_on": "31/02/2030"}),
    # Another organiser saved first (version 1 is gone): 409 with the form kept.
    Case("POST", NEXT_STEP, lambda w: f"/mous/{w['fu_mou']}/next-step", staff_only(409),
         data={**NEXT_STEP_DATA, "version": "99"}),
    Case("POST", NEXT_STEP, "/mous/2147483647/next-step", MISSING, data=NEXT_STEP_DATA),
    Case("GET", "/mous/import", "/mous/import", staff_only()),
    # No file chosen: the form comes back with the error.
    Case("POST", "/mous/import", "/mous/import", staff_only(200), data={}),
    Case("GET", "/mous/import/template.xlsx", "/mous/import/template.xlsx", staff_only()),
]
