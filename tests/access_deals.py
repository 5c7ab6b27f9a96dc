"""Access-matrix rows for the MOU and supply-contract pages, and the builders the deal tests
import.

World: organisation A (producer, ``member_a``) signed ``deal_mou`` with a third
organisation C (a distributor, ``deal_org_c``, no member in the matrix), with a signed
document and a supply contract ``deal_contract`` (also with a document). So ``member_b``
(organisation B) is "a member of a third organisation": **404** on every MOU and contract
URL. ``deal_agency_mou`` is between two agencies: staff only. ``deal_event`` has A
(producer) and C (distributor) approved, a held meeting ``deal_held_meeting`` A–C and an
accepted (not held) one, ``deal_accepted_meeting``, A–B.
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from matchmaker.db import write_transaction
from matchmaker.deals import services
from matchmaker.extensions import db
from matchmaker.meetings.models import Meeting, MeetingStatus
from matchmaker.organisations.models import Side
from matchmaker.uploads import save_bytes
from tests import factories
from tests.access import LOGIN_REDIRECT, Case, logged_in
from tests.access_events import make_event
from tests.access_meeting_schedule import (
    add_meetings,
    approved_registration,
    place,
    slot_ids,
)
from tests.access_products import make_product

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def ident(obj) -> int:
    """The primary key without reading an expired attribute (see tests/conftest.py)."""
    return sa.inspect(obj).identity[0]


def record_mou(producer_id: int, distributor_id: int, by_user_id: int | None = None,
               document: bytes | None = None, **values) -> int:
    """An MOU recorded through the service (committed); its id."""
    db.session.rollback()  # a stale SQLite read snapshot may not write
    fields = dict(signed_on=date(2025, 6, 12), estimated_value_vnd=1_500_000_000,
                  volume=Decimal("2000"), unit="chai")
    fields.update(values)
    if document is not None:
        fields["document_path"] = save_bytes(document, "pdf", "deals").path
    with write_transaction():
        mou = services.record_mou(by_user_id=by_user_id,
                                  parties=services.Parties(producer_id, distributor_id),
                                  **fields)
        mou_id = mou.id
        db.session.commit()
    return mou_id


def record_contract(mou_id: int | None, number: str = "HĐ-01/2025", value: int = 600_000_000,
                    document: bytes | None = None, parties=None, **values) -> int:
    """A supply contract recorded through the service (committed), under ``mou_id`` or
    between ``parties`` (a :class:`~matchmaker.deals.services.Parties`); its id."""
    db.session.rollback()
    if document is not None:
        values["document_path"] = save_bytes(document, "pdf", "deals").path
    with write_transaction():
        mou = services.lock_mou(mou_id) if mou_id is not None else None
        contract = services.record_contract(
            contract_number=number, signed_on=date(2025, 8, 1), value_vnd=value,
            by_user_id=None, mou=mou, parties=parties, **values)
        contract_id = contract.id
        db.session.commit()
    return contract_id


def setup(world: dict) -> None:
    org_a = world["org_a"]
    org_c = world["deal_org_c"] = factories.make_organisation(
        "Công ty TNHH Thương mại Hoàng Mai", Side.DISTRIBUTOR)
    a_id, c_id = ident(org_a), ident(org_c)
    world["deal_org_c_id"] = c_id
    world["deal_product_id"] = ident(make_product(org_a, "Nước mắm Vạn Phần"))
    world["deal_mou"] = record_mou(a_id, c_id, product_ids=[world["deal_product_id"]],
                                   document=PDF, reference="12/2025/BBGN")
    world["deal_contract"] = record_contract(world["deal_mou"], document=PDF)
    db.session.rollback()
    with write_transaction():
        agency = services.record_mou(signed_on=date(2025, 3, 1), by_user_id=None,
                                     agencies=("Sở Công Thương Nghệ An",
                                               "Sở Công Thương Hà Tĩnh"))
        world["deal_agency_mou"] = agency.id
        db.session.commit()
    event_id = ident(make_event("Hội nghị kết nối cung cầu Nghệ An 2025"))
    world["deal_event"] = event_id
    reg_a = approved_registration(event_id, org_a, "producer")
    reg_b = approved_registration(event_id, world["org_b"], "distributor")
    reg_c = approved_registration(event_id, org_c, "distributor")
    world["deal_reg_a"], world["deal_reg_c"] = reg_a, reg_c
    world["deal_held_meeting"] = held_meeting(event_id, reg_a, reg_c)
    (world["deal_accepted_meeting"],) = add_meetings(event_id, [(reg_a, reg_b)])


def held_meeting(event_id: int, producer_registration: int, distributor_registration: int,
                 slot: int = 0) -> int:
    """A meeting placed at the event's ``slot``-th time slot, table 1, and held; its id."""
    (meeting_id,) = add_meetings(event_id, [(producer_registration, distributor_registration)])
    place(meeting_id, slot_ids(event_id)[slot], 1)
    db.session.rollback()
    with write_transaction():
        db.session.get(Meeting, meeting_id).status = MeetingStatus.HELD.value
        db.session.commit()
    return meeting_id


def fresh_mou(w) -> int:
    """A new A–C MOU (each visitor acts on its own)."""
    return record_mou(ident(w["org_a"]), w["deal_org_c_id"])


def fresh_contract(w) -> int:
    return record_contract(fresh_mou(w))


def expect(anon=LOGIN_REDIRECT, a=200, b=404, organiser=200, admin=None) -> dict[str, int]:
    """Defaults: A's member and staff may, B's member (a third organisation) gets 404."""
    return {"anon": anon, "member_a": a, "member_b": b, "organiser": organiser,
            "admin": organiser if admin is None else admin}


def _url(key: str, suffix: str = "", prefix: str = "/mous/"):
    return lambda w: f"{prefix}{w[key]}{suffix}"


def _fresh_mou_url(suffix: str):
    return lambda w: f"/mous/{fresh_mou(w)}{suffix}"


def _fresh_contract_url(suffix: str):
    return lambda w: f"/contracts/{fresh_contract(w)}{suffix}"


MOU_FORM = {"signed_on": "12/06/2025", "valid_until": "2026-06-12",
            "estimated_value": "1.500.000.000", "volume": "2.000", "unit": "chai",
            "hs_codes": "2103", "version": "1"}
CONTRACT_FORM = {"contract_number": "HĐ-09/2025", "signed_on": "2025-09-01",
                 "value": "600000000", "version": "1"}

NEW = "/mous/new"
MOU = "/mous/<int:mou_id>"
CONTRACT = "/contracts/<int:contract_id>"

CASES = [
    Case("GET", "/mous/", "/mous/", logged_in(200)),
    Case("GET", "/mous/", "/mous/?tab=contracts&status=signed", logged_in(200)),
    Case("GET", NEW, NEW, logged_in(200)),
    # Nothing filled in: the form comes back with its errors, nothing is saved.
    Case("POST", NEW, NEW, logged_in(200), data={"signed_on": ""}),
    Case("GET", NEW, lambda w: f"{NEW}?meeting={w['deal_held_meeting']}", expect()),
    Case("POST", NEW, lambda w: f"{NEW}?meeting={w['deal_held_meeting']}",
         expect(a=302, organiser=302), data=MOU_FORM),
    # A meeting that was not held: no MOU from it (B is a party of this one).
    Case("GET", NEW, lambda w: f"{NEW}?meeting={w['deal_accepted_meeting']}",
         expect(a=403, b=403, organiser=403)),
    # From the participant list: C is a distributor, so only a producer's member may.
    Case("GET", NEW, lambda w: f"{NEW}?event={w['deal_event']}&registration={w['deal_reg_c']}",
         expect(b=403)),
    Case("GET", MOU, _url("deal_mou"), expect()),
    Case("GET", MOU, _url("deal_agency_mou"), expect(a=404)),
    Case("GET", MOU + "/edit", _url("deal_mou", "/edit"), expect()),
    Case("GET", MOU + "/edit", _url("deal_agency_mou", "/edit"), expect(a=404)),
    Case("POST", MOU + "/edit", _fresh_mou_url("/edit"), expect(a=302, organiser=302),
         data=MOU_FORM),
    Case("POST", MOU + "/status", _fresh_mou_url("/status"), expect(a=302, organiser=302),
         data={"status": "negotiating", "version": "1"}),
    Case("GET", MOU + "/document", _url("deal_mou", "/document"), expect()),
    Case("GET", MOU + "/contracts/new", _url("deal_mou", "/contracts/new"), expect()),
    Case("POST", MOU + "/contracts/new", _fresh_mou_url("/contracts/new"),
         expect(a=302, organiser=302), data=CONTRACT_FORM),
    Case("GET", "/contracts/new", "/contracts/new", logged_in(200)),
    Case("POST", "/contracts/new", "/contracts/new", logged_in(200),
         data={"contract_number": ""}),
    Case("GET", CONTRACT, _url("deal_contract", prefix="/contracts/"), expect()),
    Case("GET", CONTRACT + "/edit", _url("deal_contract", "/edit", "/contracts/"), expect()),
    Case("POST", CONTRACT + "/edit", _fresh_contract_url("/edit"),
         expect(a=302, organiser=302), data=CONTRACT_FORM),
    Case("POST", CONTRACT + "/status", _fresh_contract_url("/status"),
         expect(a=302, organiser=302), data={"status": "delivering", "version": "1"}),
    Case("GET", CONTRACT + "/document", _url("deal_contract", "/document", "/contracts/"),
         expect()),
]
