"""The MOU-to-contract rules of matchmaker.deals.services (no pages)."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

import tests.access  # noqa: F401  (loads the access modules in order)
from matchmaker.deals.models import ContractStatus, Mou, MouStatus, SupplyContract
from matchmaker.deals.services import (
    DealError,
    Parties,
    StaleEdit,
    change_contract_status,
    change_mou_status,
    record_contract,
    record_mou,
    update_mou,
)
from matchmaker.extensions import db
from matchmaker.history import Subject, history
from matchmaker.organisations.models import Side
from tests import factories
from tests.access_products import make_product


@pytest.fixture
def deal(users):
    producer = users["member_a"].organisation
    distributor = users["member_b"].organisation
    product = make_product(producer)
    return {"parties": Parties(producer.id, distributor.id), "product": product,
            "user": users["member_b"], "producer": producer, "distributor": distributor}


def new_mou(deal, **values) -> Mou:
    fields = dict(signed_on=date(2025, 6, 12), by_user_id=deal["user"].id,
                  parties=deal["parties"], product_ids=[deal["product"].id],
                  estimated_value_vnd=1_500_000_000, volume=Decimal("2000"), unit="chai")
    fields.update(values)
    mou = record_mou(**fields)
    db.session.commit()
    return mou


def new_contract(deal, mou=None, number="HĐ-01/2025", value=600_000_000, **values):
    contract = record_contract(contract_number=number, signed_on=date(2025, 8, 1),
                               value_vnd=value, by_user_id=deal["user"].id, mou=mou,
                               parties=None if mou is not None else deal["parties"], **values)
    db.session.commit()
    return contract


def statuses(subject, ident):
    return [(c.from_status, c.to_status) for c in history(subject, ident)]


def test_an_mou_is_recorded_signed_with_its_products_and_history(deal):
    mou = new_mou(deal)
    assert mou.status == MouStatus.SIGNED and mou.version == 1
    assert [p.id for p in mou.products] == [deal["product"].id]
    assert statuses(Subject.MOU, mou.id) == [(None, "signed")]


def test_the_first_contract_converts_and_a_second_keeps_it_converted(deal):
    mou = new_mou(deal)
    first = new_contract(deal, mou)
    assert mou.status == MouStatus.CONVERTED
    assert [p.id for p in first.products] == [deal["product"].id]  # copied from the MOU
    assert first.producer_id == deal["producer"].id
    second = new_contract(deal, mou, "HĐ-02/2025")
    assert mou.status == MouStatus.CONVERTED
    change_contract_status(second, ContractStatus.CANCELLED, deal["user"].id, reason="nhầm số")
    db.session.commit()
    assert mou.status == MouStatus.CONVERTED  # the first still counts
    change_contract_status(first, ContractStatus.CANCELLED, deal["user"].id, reason="hủy")
    db.session.commit()
    assert mou.status == MouStatus.SIGNED  # reopened to where it was before converting
    assert statuses(Subject.MOU, mou.id) == [
        (None, "signed"), ("signed", "converted"), ("converted", "signed")]


def test_a_terminated_contract_still_counts(deal):
    mou = new_mou(deal)
    contract = new_contract(deal, mou)
    change_contract_status(contract, ContractStatus.DELIVERING, None)
    change_contract_status(contract, ContractStatus.TERMINATED, None, reason="giao chậm")
    db.session.commit()
    assert mou.status == MouStatus.CONVERTED


def test_a_negotiating_mou_reopens_to_negotiating(deal):
    mou = new_mou(deal)
    change_mou_status(mou, MouStatus.NEGOTIATING, None)
    contract = new_contract(deal, mou)
    change_contract_status(contract, ContractStatus.CANCELLED, None, reason="nhập nhầm")
    db.session.commit()
    assert mou.status == MouStatus.NEGOTIATING


def test_closing_needs_a_reason_and_other_needs_text(deal):
    mou = new_mou(deal)
    with pytest.raises(DealError) as error:
        change_mou_status(mou, MouStatus.LAPSED, None)
    assert error.value.code == "reason_required"
    with pytest.raises(DealError) as error:
        change_mou_status(mou, MouStatus.LAPSED, None, reason="other", reason_text="  ")
    assert error.value.code == "reason_text_required"
    change_mou_status(mou, MouStatus.LAPSED, None, reason="price")
    db.session.commit()
    assert (mou.status, mou.close_reason) == ("lapsed", "price")
    # A contract signed late still converts it, and clears the reason.
    new_contract(deal, mou)
    assert (mou.status, mou.close_reason) == ("converted", None)


def test_converted_comes_only_from_contracts_and_cancelled_is_final(deal):
    mou = new_mou(deal)
    with pytest.raises(DealError) as error:
        change_mou_status(mou, MouStatus.CONVERTED, None)
    assert error.value.code == "converted_by_contract"
    change_mou_status(mou, MouStatus.CANCELLED, None, reason="quality")
    db.session.commit()
    with pytest.raises(DealError) as error:
        change_mou_status(mou, MouStatus.NEGOTIATING, None)
    assert error.value.code == "transition"
    with pytest.raises(DealError) as error:
        new_contract(deal, mou)
    assert error.value.code == "mou_cancelled"


def test_an_edit_naming_an_old_version_is_refused(deal):
    mou = new_mou(deal)
    update_mou(mou, 1, None, notes="Giao hàng tháng 9")
    db.session.commit()
    assert mou.version == 2
    with pytest.raises(StaleEdit):
        update_mou(mou, 1, None, notes="ghi đè")


def test_the_database_refuses_a_concurrent_overwrite(app, deal):
    mou_id = new_mou(deal).id
    db.session.remove()
    other = db.session.get(Mou, mou_id)
    # Someone else's save, behind this session's back.
    db.session.execute(sa.update(Mou).where(Mou.id == mou_id).values(version=Mou.version + 1)
                       .execution_options(synchronize_session=False))
    other.notes = "ghi đè"
    with pytest.raises(StaleDataError):
        db.session.flush()
    db.session.rollback()


def test_a_standalone_contract_and_its_checks(deal):
    contract = new_contract(deal, None, product_ids=[deal["product"].id])
    assert contract.mou_id is None and contract.status == ContractStatus.SIGNED
    with pytest.raises(DealError) as error:
        record_contract(contract_number="X", signed_on=date(2025, 1, 1), value_vnd=1,
                        by_user_id=None, parties=deal["parties"],
                        delivery_from=date(2025, 5, 1), delivery_to=date(2025, 4, 1))
    assert error.value.code == "delivery_order"
    other_producer = factories.make_organisation(side=Side.PRODUCER)
    foreign = make_product(other_producer, "Chè Thanh Chương")
    with pytest.raises(DealError) as error:
        new_contract(deal, None, product_ids=[foreign.id])
    assert error.value.code == "product_not_producers"


def test_parties_must_be_a_producer_and_a_distributor(deal):
    with pytest.raises(DealError) as error:
        new_mou(deal, parties=Parties(deal["distributor"].id, deal["producer"].id),
                product_ids=[])
    assert error.value.code == "not_producer"


def test_agency_mous_name_two_agencies_and_take_no_contract(deal):
    mou = new_mou(deal, parties=None, product_ids=[],
                  agencies=("Sở Công Thương Nghệ An", "Sở Công Thương TP. Hồ Chí Minh"))
    assert mou.kind == "agency" and mou.producer_id is None
    with pytest.raises(DealError) as error:
        new_contract(deal, mou)
    assert error.value.code == "agency_mou"


@pytest.mark.parametrize("values", [
    {"status": "lapsed"},  # no reason
    {"estimated_value_vnd": -1},
    {"valid_until": date(2025, 1, 1)},  # before signed_on
    {"close_reason": "other", "status": "cancelled"},  # other without text
    {"agency_a": "Sở Công Thương"},  # a business MOU with an agency name
])
def test_the_database_refuses_inconsistent_mous(deal, values):
    mou = new_mou(deal)
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(Mou).where(Mou.id == mou.id).values(**values)
                           .execution_options(synchronize_session=False))
    db.session.rollback()


@pytest.mark.parametrize("values", [
    {"status": "terminated"},  # no reason
    {"value_vnd": -5},
    {"delivery_from": date(2025, 9, 1), "delivery_to": date(2025, 8, 1)},
])
def test_the_database_refuses_inconsistent_contracts(deal, values):
    contract = new_contract(deal)
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(SupplyContract).where(SupplyContract.id == contract.id)
                           .values(**values).execution_options(synchronize_session=False))
    db.session.rollback()


def test_agency_names_are_normalised_and_searchable(deal):
    mou = new_mou(deal, parties=None, product_ids=[],
                  agencies=("Sở  Công Thương Nghệ An", "Sở Công Thương Hà Tĩnh"))
    assert mou.agency_a == "Sở Công Thương Nghệ An"
    assert "nghe an" in mou.agency_key and "ha tinh" in mou.agency_key


def test_records_of_the_past_carry_their_dates_in_the_history(deal):
    from datetime import UTC, datetime

    signed = datetime(2025, 3, 1, 3, 0, tzinfo=UTC)
    converted = datetime(2025, 5, 20, 3, 0, tzinfo=UTC)
    mou = new_mou(deal, at=signed)
    new_contract(deal, mou, at=converted)
    assert [c.changed_at for c in history(Subject.MOU, mou.id)] == [signed, converted]
    assert mou.last_activity_at == converted
