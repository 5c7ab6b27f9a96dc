"""The organisers' MOU follow-up list and the next step of an MOU."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import tests.access  # noqa: F401  (loads the access modules in order)
from matchmaker.db import write_transaction
from matchmaker.deals.models import ContractStatus, Mou, MouStatus
from matchmaker.deals.remind import vietnam_today
from matchmaker.deals.services import (
    change_contract_status,
    change_mou_status,
    record_contract,
    record_mou,
    set_next_step,
)
from matchmaker.extensions import db
from matchmaker.organisations.models import Side
from tests import factories
from tests.access_events import make_event
from tests.access_followup import ident, make_mou
from tests.conftest import client_for, csrf_token


@pytest.fixture
def orgs(users):
    return {"a": users["member_a"].organisation, "b": users["member_b"].organisation,
            "c": factories.make_organisation("Công ty TNHH Phân phối Hoàng Mai",
                                             Side.DISTRIBUTOR)}


@pytest.fixture
def organiser(app, users):
    return client_for(app, users["organiser"])


def rows(html: str) -> list[int]:
    """MOU ids of the list's rows, in order."""
    return [int(x) for x in re.findall(r'data-testid="follow-up-row" data-mou="(\d+)"', html)]


def mou_row(mou_id: int) -> Mou:
    db.session.rollback()
    return db.session.get(Mou, mou_id)


def _change(mou_id: int, action) -> None:
    db.session.rollback()
    with write_transaction():
        action(db.session.get(Mou, mou_id))
        db.session.commit()


def test_the_list_keeps_open_mous_without_a_contract_by_age_largest_value_first(
        organiser, orgs):
    small_old = make_mou(orgs["a"], orgs["b"], days_ago=100, value=50_000_000)
    big = make_mou(orgs["a"], orgs["c"], days_ago=65, value=3_000_000_000)
    no_value = make_mou(orgs["a"], orgs["b"], days_ago=200, value=None)
    young = make_mou(orgs["a"], orgs["b"], days_ago=10, value=9_000_000_000)
    just_30 = make_mou(orgs["a"], orgs["c"], days_ago=30, value=70_000_000)
    negotiating = make_mou(orgs["a"], orgs["c"], days_ago=95, value=60_000_000)
    _change(negotiating, lambda m: change_mou_status(m, MouStatus.NEGOTIATING, None))
    converted = make_mou(orgs["a"], orgs["b"], days_ago=120, value=8_000_000_000)
    _change(converted, lambda m: record_contract(
        contract_number="HĐ-1", signed_on=vietnam_today(), value_vnd=1, by_user_id=None, mou=m))
    lapsed = make_mou(orgs["a"], orgs["b"], days_ago=120, value=7_000_000_000)
    _change(lapsed, lambda m: change_mou_status(m, MouStatus.LAPSED, None, reason="price"))
    reopened = make_mou(orgs["a"], orgs["b"], days_ago=130, value=6_000_000_000)

    def cancel_contract(m):
        contract = record_contract(contract_number="HĐ-2", signed_on=vietnam_today(),
                                   value_vnd=1, by_user_id=None, mou=m)
        change_contract_status(contract, ContractStatus.CANCELLED, None, reason="nhầm")
    _change(reopened, cancel_contract)  # a cancelled contract does not count: open again

    html = organiser.get("/mous/follow-up").get_data(as_text=True)
    assert rows(html) == [reopened, big, just_30, negotiating, small_old, no_value]
    assert rows(organiser.get("/mous/follow-up?age=60").get_data(as_text=True)) == [
        reopened, big, negotiating, small_old, no_value]
    assert rows(organiser.get("/mous/follow-up?age=90").get_data(as_text=True)) == [
        reopened, negotiating, small_old, no_value]
    assert rows(organiser.get("/mous/follow-up?age=0").get_data(as_text=True)) == [
        young, reopened, big, just_30, negotiating, small_old, no_value]
    # Bucket counts and values sit in the tabs.
    assert re.search(r'data-age="90">\s*90\+ days\s*<span class="badge text-bg-light">4<', html)
    assert "₫6,110,000,000" in html  # 6 bn + 60 m + 50 m in the 90+ tab
    # An unknown age falls back to 30 days.
    assert rows(organiser.get("/mous/follow-up?age=45").get_data(as_text=True)) == rows(html)


def test_the_list_filters_by_event_and_shows_parties_event_and_last_activity(
        organiser, orgs):
    event = make_event("Hội nghị kết nối cung cầu Nghệ An 2025")
    other = make_event("Hội chợ OCOP Quỳnh Lưu")
    at_event = make_mou(orgs["a"], orgs["b"], days_ago=40, event_id=ident(event),
                        reference="07/2025/BBGN")
    at_other = make_mou(orgs["a"], orgs["c"], days_ago=40, event_id=ident(other))
    outside = make_mou(orgs["a"], orgs["c"], days_ago=40)
    html = organiser.get(f"/mous/follow-up?event={ident(event)}").get_data(as_text=True)
    assert rows(html) == [at_event]
    assert "Hội nghị kết nối cung cầu Nghệ An 2025" in html and "07/2025/BBGN" in html
    assert "Siêu thị Đô Lương" in html and "Công ty CP Thực phẩm Nghệ An" in html
    # The event list offers the events that have open MOUs.
    assert f'<option value="{ident(other)}">Hội chợ OCOP Quỳnh Lưu</option>' in html
    assert rows(organiser.get("/mous/follow-up?event=none").get_data(as_text=True)) == [outside]
    assert sorted(rows(organiser.get("/mous/follow-up?event=abc").get_data(as_text=True))) \
        == sorted([at_event, at_other, outside])


def test_last_activity_is_shown_in_vietnam_time(app, users, orgs):
    client = client_for(app, users["organiser"], lang="vi")
    mou_id = make_mou(orgs["a"], orgs["b"], days_ago=40)
    db.session.rollback()
    with write_transaction():
        db.session.get(Mou, mou_id).last_activity_at = datetime(2025, 3, 1, 20, 30, tzinfo=UTC)
        db.session.commit()
    html = client.get("/mous/follow-up").get_data(as_text=True)
    assert "03:30 02/03/2025" in html


def test_overdue_next_steps_are_highlighted(organiser, orgs):
    today = vietnam_today()
    overdue = make_mou(orgs["a"], orgs["b"], days_ago=40, value=3)
    due = make_mou(orgs["a"], orgs["b"], days_ago=40, value=2)
    later = make_mou(orgs["a"], orgs["b"], days_ago=40, value=1)
    for mou_id, on in ((overdue, today - timedelta(days=1)), (due, today),
                       (later, today + timedelta(days=3))):
        _change(mou_id, lambda m, on=on: set_next_step(m, None, "Gọi điện", on))
    html = organiser.get("/mous/follow-up").get_data(as_text=True)
    states = re.findall(r'data-testid="next-step" data-state="(\w+)"', html)
    assert states == ["overdue", "due", "upcoming"]
    assert html.count('class="table-danger"') == 1 and "Overdue" in html


def test_the_list_pages_and_counts_with_few_statements(organiser, orgs, count_queries):
    for i in range(55):
        make_mou(orgs["a"], orgs["b"], days_ago=40 + i, value=1_000_000 * (i + 1))
    with count_queries() as counter:
        first = organiser.get("/mous/follow-up").get_data(as_text=True)
    assert counter.count <= 5, counter.statements
    assert len(rows(first)) == 50 and "Page 1 of 2" in first
    second = organiser.get("/mous/follow-up?page=2").get_data(as_text=True)
    assert len(rows(second)) == 5
    assert not set(rows(first)) & set(rows(second))


def test_an_organiser_sets_then_clears_a_next_step(organiser, orgs):
    mou_id = make_mou(orgs["a"], orgs["b"], days_ago=40)
    token = csrf_token(organiser, "/mous/follow-up")
    response = organiser.post(f"/mous/{mou_id}/next-step", data={
        "csrf_token": token, "version": "1", "next_step": "  Gửi mẫu cho bên mua ",
        "next_step_on": "05/03/2030", "next": "/mous/follow-up?age=0", "save": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/mous/follow-up?age=0"
    mou = mou_row(mou_id)
    assert (mou.next_step, mou.next_step_on.isoformat(), mou.version) == (
        "Gửi mẫu cho bên mua", "2030-03-05", 2)
    html = organiser.get("/mous/follow-up").get_data(as_text=True)
    assert "Gửi mẫu cho bên mua" in html and 'value="2030-03-05"' in html
    response = organiser.post(f"/mous/{mou_id}/next-step", data={
        "csrf_token": token, "version": "2", "next_step": "ignored", "clear": "1",
        "next": "https://evil.example/"})
    assert response.headers["Location"] == "/mous/follow-up"  # unsafe next: the list
    mou = mou_row(mou_id)
    assert (mou.next_step, mou.next_step_on, mou.version) == (None, None, 3)


def test_a_stale_next_step_keeps_the_input_and_shows_the_current_one(organiser, orgs):
    mou_id = make_mou(orgs["a"], orgs["b"], days_ago=40)
    _change(mou_id, lambda m: set_next_step(m, 1, "Chờ báo giá", None))  # someone else
    response = organiser.post(f"/mous/{mou_id}/next-step", data={
        "csrf_token": csrf_token(organiser, "/mous/follow-up"), "version": "1",
        "next_step": "Hẹn gặp tại hội chợ", "next_step_on": "2030-04-01", "save": "1"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'data-testid="stale-edit"' in html
    assert "Chờ báo giá" in html  # the version saved now
    assert ">Hẹn gặp tại hội chợ</textarea>" in html and 'value="2030-04-01"' in html
    assert 'name="version" value="2"' in html  # saving again replaces it knowingly
    assert mou_row(mou_id).next_step == "Chờ báo giá"


def test_a_date_without_a_text_or_a_bad_date_is_refused(organiser, orgs):
    mou_id = make_mou(orgs["a"], orgs["b"], days_ago=40)
    token = csrf_token(organiser, "/mous/follow-up")
    for data, message in (({"next_step_on": "2030-01-01"}, "Say what the next step is"),
                          ({"next_step": "Gọi", "next_step_on": "32/01/2030"},
                           "Enter a valid date"),
                          ({"next_step": "x" * 1001}, "1000 characters")):
        response = organiser.post(f"/mous/{mou_id}/next-step", data={
            "csrf_token": token, "version": "1", "save": "1", **data})
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert mou_row(mou_id).version == 1


def test_members_cannot_see_the_list_or_set_next_steps(app, users, orgs):
    mou_id = make_mou(orgs["a"], orgs["b"], days_ago=40)
    client = client_for(app, users["member_a"])
    assert client.get("/mous/follow-up").status_code == 403
    response = client.post(f"/mous/{mou_id}/next-step", data={
        "csrf_token": csrf_token(client, "/"), "version": "1", "next_step": "x"})
    assert response.status_code == 403
    assert mou_row(mou_id).next_step is None


def test_agency_mous_are_not_in_the_list(organiser, orgs):
    db.session.rollback()
    with write_transaction():
        record_mou(signed_on=vietnam_today() - timedelta(days=50), by_user_id=None,
                   agencies=("Sở Công Thương Nghệ An", "Sở Công Thương Hà Tĩnh"))
        db.session.commit()
    business = make_mou(orgs["a"], orgs["b"], days_ago=50)
    assert rows(organiser.get("/mous/follow-up").get_data(as_text=True)) == [business]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mou)) == 2
