"""The registration rules of :mod:`matchmaker.events.registration`, without pages: places,
waitlist order, status changes with who and when, and the database's own guards."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.db import write_transaction
from matchmaker.events import registration as rules
from matchmaker.events.models import Event, EventStatus, Registration
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject, history
from matchmaker.organisations.models import Side
from matchmaker.permissions import Role
from matchmaker.timeutil import utcnow
from tests import factories

ONE = [rules.Delegate("Nguyễn Văn An", "Giám đốc", "+84912345678")]


def _event(**values) -> int:
    now = utcnow()
    fields = dict(
        title="Hội nghị kết nối cung cầu", starts_at=now + timedelta(days=10),
        ends_at=now + timedelta(days=10, hours=8), registration_opens_at=now - timedelta(days=1),
        registration_closes_at=now + timedelta(days=8), producer_capacity=2,
        distributor_capacity=1, table_count=10, status=EventStatus.PUBLISHED,
        published_at=now, requires_approval=False)
    fields.update(values)
    event = Event(**fields)
    db.session.add(event)
    db.session.commit()
    return event.id


def _do(action, *args, **kwargs):
    """Run one rule in its own write transaction and commit, as a request would."""
    with write_transaction():
        result = action(*args, **kwargs)
        db.session.commit()
    return result


def _producers(n):
    return [factories.make_organisation(f"Hợp tác xã {i}", Side.PRODUCER) for i in range(n)]


def _statuses(event_id):
    return [status for status, in db.session.execute(
        sa.select(Registration.status).where(Registration.event_id == event_id)
        .order_by(Registration.id))]


def test_places_then_waitlist_then_promotion_in_queue_order(app_ctx):
    event_id = _event()
    user = factories.make_user()
    regs = [_do(rules.register, event_id, org, "producer", ONE, by_user_id=user.id)
            for org in _producers(4)]
    assert _statuses(event_id) == ["approved", "approved", "waitlisted", "waitlisted"]

    _do(rules.cancel, regs[0], user.id, "Trùng lịch")
    assert _statuses(event_id) == ["cancelled", "approved", "approved", "waitlisted"]
    changes = history(Subject.REGISTRATION, regs[2].id)
    assert [(c.from_status, c.to_status) for c in changes] == [
        (None, "waitlisted"), ("waitlisted", "approved")]
    # The system promotes: the person whose cancellation freed the place (perhaps of
    # another organisation) did not decide it and is not named.
    assert changes[-1].changed_by_id is None
    assert changes[-1].changed_at <= utcnow()


def test_approval_required_holds_the_place_while_pending(app_ctx):
    event_id = _event(requires_approval=True, producer_capacity=1)
    first, second = (_do(rules.register, event_id, org, "producer", ONE) for org in _producers(2))
    assert _statuses(event_id) == ["pending", "waitlisted"]
    organiser = factories.make_user(Role.ORGANISER)
    with pytest.raises(rules.RegistrationError) as error:
        _do(rules.approve, second, organiser.id)
    assert error.value.code == "full"
    _do(rules.reject, first, organiser.id, "Không thuộc nhóm sản phẩm OCOP")
    # The freed place goes to the waitlist, still awaiting approval.
    assert _statuses(event_id) == ["rejected", "pending"]
    assert _do(rules.approve, second, organiser.id) is True
    assert _statuses(event_id) == ["rejected", "approved"]


def test_rejection_needs_a_reason_in_the_rules_and_in_the_database(app_ctx):
    event_id = _event(requires_approval=True)
    (org,) = _producers(1)
    reg = _do(rules.register, event_id, org, "producer", ONE)
    with pytest.raises(rules.RegistrationError) as error:
        _do(rules.reject, reg, None, "   ")
    assert error.value.code == "reason"
    db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Registration).values(status="rejected", status_note=None))
        db.session.flush()
    db.session.rollback()


def test_one_registration_per_organisation_and_reopening_after_cancel(app_ctx):
    event_id = _event()
    (org,) = _producers(1)
    reg = _do(rules.register, event_id, org, "producer", ONE)
    with pytest.raises(rules.RegistrationError) as error:
        _do(rules.register, event_id, org, "producer", ONE)
    assert error.value.code == "already"
    db.session.rollback()
    _do(rules.cancel, reg, None)
    again = _do(rules.register, event_id, org, "producer",
                [rules.Delegate("Lê Thị Bình"), rules.Delegate("Trần Đức")])
    assert sa.inspect(again).identity == sa.inspect(reg).identity
    assert [d.full_name for d in again.delegates] == ["Lê Thị Bình", "Trần Đức"]
    assert [c.to_status for c in history(Subject.REGISTRATION, again.id)] == [
        "approved", "cancelled", "approved"]
    with pytest.raises(sa.exc.IntegrityError):
        db.session.add(Registration(event_id=event_id, organisation_id=org.id, side="producer",
                                    status="pending", queued_at=utcnow()))
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(("delegates", "code"), [
    ([], "delegates"),
    ([rules.Delegate(f"Người {i}") for i in range(6)], "delegates"),
    ([rules.Delegate("\u200b ")], "delegates"),
])
def test_delegates_one_to_five_with_names(app_ctx, delegates, code):
    event_id = _event()
    (org,) = _producers(1)
    with pytest.raises(rules.RegistrationError) as error:
        _do(rules.register, event_id, org, "producer", delegates)
    assert error.value.code == code


def test_side_window_and_status_are_checked(app_ctx):
    producer, = _producers(1)
    distributor = factories.make_organisation("Siêu thị Vinh", Side.DISTRIBUTOR)
    open_id = _event()
    for org, side in ((producer, "distributor"), (distributor, "producer")):
        with pytest.raises(rules.RegistrationError) as error:
            _do(rules.register, open_id, org, side, ONE)
        assert error.value.code == "side"
    now = utcnow()
    not_yet = _event(registration_opens_at=now + timedelta(days=1))
    draft = _event(status=EventStatus.DRAFT, published_at=None)
    for event_id in (not_yet, draft):
        with pytest.raises(rules.RegistrationError) as error:
            _do(rules.register, event_id, producer, "producer", ONE)
        assert error.value.code == "closed"


def test_check_in_only_when_approved_and_undo(app_ctx):
    event_id = _event(requires_approval=True)
    (org,) = _producers(1)
    reg = _do(rules.register, event_id, org, "producer", ONE)
    with pytest.raises(rules.RegistrationError):
        _do(rules.check_in, reg, None)
    _do(rules.approve, reg, None)
    assert _do(rules.check_in, reg, None) is True
    assert _do(rules.check_in, reg, None) is False
    assert reg.checked_in_at is not None
    _do(rules.undo_check_in, reg, None)
    assert (reg.status, reg.checked_in_at) == ("approved", None)


def test_products_brought_must_be_the_organisations_own(app_ctx):
    from matchmaker.catalogue.models import Product

    mine, other = _producers(2)
    products = [Product(organisation_id=org.id, name="Nước mắm Cửa Lò", unit="chai")
                for org in (mine, other)]
    db.session.add_all(products)
    db.session.commit()
    event_id = _event()
    with pytest.raises(rules.RegistrationError) as error:
        _do(rules.register, event_id, mine, "producer", ONE, product_ids=[products[1].id])
    assert error.value.code == "product"
    db.session.rollback()
    reg = _do(rules.register, event_id, mine, "producer", ONE, product_ids=[products[0].id])
    assert [p.name for p in reg.products] == ["Nước mắm Cửa Lò"]


def test_raising_capacity_fills_places_from_the_waitlist(app_ctx):
    event_id = _event(producer_capacity=1)
    for org in _producers(3):
        _do(rules.register, event_id, org, "producer", ONE)
    with write_transaction():
        event = rules.lock_event(event_id)
        event.producer_capacity = 2
        promoted = rules.fill_free_places(event)
        db.session.commit()
    assert len(promoted) == 1
    assert _statuses(event_id) == ["approved", "approved", "waitlisted"]
    assert db.session.scalar(sa.select(sa.func.count(StatusChange.id))) == 4


def test_a_checked_in_organisation_is_neither_cancelled_nor_rejected(app_ctx):
    event_id = _event()
    (org,) = _producers(1)
    reg = _do(rules.register, event_id, org, "producer", ONE)
    _do(rules.check_in, reg, None)
    for action, args in ((rules.cancel, (None,)), (rules.reject, (None, "Vắng mặt"))):
        with pytest.raises(rules.RegistrationError) as error:
            _do(action, reg, *args)
        assert error.value.code == "checked_in"
        db.session.rollback()
    _do(rules.undo_check_in, reg, None)
    _do(rules.cancel, reg, None)
    assert _statuses(event_id) == ["cancelled"]


def test_an_organiser_may_approve_a_registration_they_rejected_while_a_place_is_free(app_ctx):
    event_id = _event(requires_approval=True, producer_capacity=1)
    first, second = (_do(rules.register, event_id, org, "producer", ONE)
                     for org in _producers(2))
    _do(rules.reject, first, None, "Thiếu giấy chứng nhận")
    assert _statuses(event_id) == ["rejected", "pending"]
    with pytest.raises(rules.RegistrationError) as error:
        _do(rules.approve, first, None)
    assert error.value.code == "full"
    db.session.rollback()
    _do(rules.cancel, second, None)
    assert _do(rules.approve, first, None) is True
    assert (first.status, first.status_note) == ("approved", None)
