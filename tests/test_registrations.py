"""Members register their organisation for an event, see, change and cancel it (issue 4,
item 2). Pages in English unless a test checks the Vietnamese text."""

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

import tests.access  # noqa: F401  (loads every access_* module, in order)
from matchmaker.events import registration as registrations
from matchmaker.events.models import (
    Registration,
    RegistrationDelegate,
    RegistrationStatus,
    registration_needs,
    registration_products,
)
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject
from matchmaker.organisations.models import Side
from matchmaker.permissions import Role
from matchmaker.timeutil import format_local_short
from tests import factories
from tests.access_events import make_event
from tests.access_needs import make_need
from tests.access_products import make_product
from tests.access_registrations import register_org
from tests.conftest import client_for, csrf_token

S = RegistrationStatus


def ident(obj) -> int:
    return sa.inspect(obj).identity[0]


def registration_of(org, event) -> Registration | None:
    db.session.rollback()  # see what the requests committed
    return db.session.scalar(sa.select(Registration).where(
        Registration.organisation_id == ident(org), Registration.event_id == ident(event)))


def count_registrations() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Registration.id)))


def delegates(*names, **extra) -> dict:
    """Form data naming ``names`` as delegates, rows 0, 1, …"""
    data = {}
    for i, name in enumerate(names):
        data[f"delegates-{i}-full_name"] = name
        data[f"delegates-{i}-job_title"] = "Giám đốc" if i == 0 else ""
        data[f"delegates-{i}-phone"] = ""
    data.update(extra)
    return data


def post(client, url: str, data: dict, follow: bool = False):
    data = {"csrf_token": csrf_token(client, "/"), **data}
    return client.post(url, data=data, follow_redirects=follow)


def text(response) -> str:
    """The page with HTML entities decoded (``'`` -> ``'``)."""
    return html.unescape(response.get_data(as_text=True))


# --- registering -----------------------------------------------------------------------

def test_producer_registers_with_delegates_and_products(app, users):
    org = users["member_a"].organisation
    active = make_product(org, "Nước mắm Cửa Lò")
    inactive = make_product(org, "Cam Vinh (hết mùa)", active=False)
    event = make_event(requires_approval=False)
    client = client_for(app, users["member_a"])
    url = f"/events/{ident(event)}/register"

    page = text(client.get(url))
    assert "Producer" in page and 'name="side"' not in page  # fixed side, no choice
    assert "Nước mắm Cửa Lò" in page and "Cam Vinh" not in page
    assert page.count('name="delegates-') == 15  # 5 rows × name, job title, phone

    response = post(client, url, delegates(
        "Nguyễn Thị Hoà", "Trần Văn Bình", products=str(ident(active)),
        **{"delegates-0-phone": "0912 345 678", "delegates-1-phone": "(0238) 3 844 555"}),
        follow=True)
    assert "its place is confirmed" in text(response)
    registration = registration_of(org, event)
    assert registration.status == S.APPROVED and registration.side == "producer"
    assert [(d.full_name, d.job_title, d.phone) for d in registration.delegates] == [
        ("Nguyễn Thị Hoà", "Giám đốc", "+84912345678"), ("Trần Văn Bình", None, "+842383844555")]
    assert [p.id for p in registration.products] == [ident(active)]
    assert ident(inactive) not in [p.id for p in registration.products]
    assert response.request.path == f"/registrations/{registration.id}"


def test_distributor_registers_with_open_needs(app, users):
    org = users["member_b"].organisation
    open_need = make_need(org, "Nước mắm cho 20 siêu thị")
    make_need(org, "Gạo tám (đã hết hạn)", active_until=factories_today() - timedelta(days=1))
    event = make_event()
    client = client_for(app, users["member_b"])
    url = f"/events/{ident(event)}/register"
    page = text(client.get(url))
    assert "Distributor" in page and "Nước mắm cho 20 siêu thị" in page
    assert "Gạo tám" not in page

    response = post(client, url, delegates("Phạm Minh Châu", needs=str(ident(open_need))),
                    follow=True)
    assert "An organiser will review" in text(response)  # approval required by default
    registration = registration_of(org, event)
    assert (registration.side, registration.status) == ("distributor", S.PENDING)
    assert [n.id for n in registration.needs] == [ident(open_need)]


def factories_today():
    from matchmaker.catalogue.services import local_today

    return local_today()


def test_expired_need_is_refused_even_if_posted(app, users):
    org = users["member_b"].organisation
    expired = make_need(org, "Gạo tám", active_until=factories_today() - timedelta(days=1))
    event = make_event()
    client = client_for(app, users["member_b"])
    response = post(client, f"/events/{ident(event)}/register",
                    delegates("Phạm Minh Châu", needs=str(ident(expired))))
    assert "Choose only your organisation's open sourcing needs." in text(response)
    assert registration_of(org, event) is None


def test_both_organisation_chooses_its_side(app, app_ctx):
    org = factories.make_organisation("Hợp tác xã Chè Thanh Chương", Side.BOTH)
    user = factories.make_user(organisation=org)
    product = make_product(org, "Chè xanh Thanh Chương")
    make_need(org, "Bao bì giấy kraft")
    event = make_event()
    client = client_for(app, user)
    url = f"/events/{ident(event)}/register"
    page = text(client.get(url))
    assert 'name="side"' in page and "Chè xanh Thanh Chương" in page \
        and "Bao bì giấy kraft" in page

    response = post(client, url, delegates("Lê Thị Dung", products=str(ident(product))))
    assert "Choose whether you come as a producer or as a distributor." in text(response)
    assert registration_of(org, event) is None

    # The product ticked is dropped: only the chosen side's offer counts.
    post(client, url, delegates("Lê Thị Dung", side="distributor",
                                products=str(ident(product))))
    registration = registration_of(org, event)
    assert registration.side == "distributor" and registration.products == []


def test_side_the_organisation_cannot_take_is_refused(app, users):
    event = make_event()
    client = client_for(app, users["member_a"])  # a producer-only organisation
    response = post(client, f"/events/{ident(event)}/register",
                    delegates("Nguyễn Thị Hoà", side="distributor"))
    assert response.status_code == 200
    assert "Your organisation cannot come on this side" in text(response)
    assert registration_of(users["member_a"].organisation, event) is None


def test_no_delegate_and_six_delegates_are_refused(app, users):
    event = make_event()
    client = client_for(app, users["member_a"])
    url = f"/events/{ident(event)}/register"
    response = post(client, url, delegates("", "Trần Văn Bình"))
    assert "Enter the name of at least one delegate." in text(response)
    six = [f"Đại biểu số {i}" for i in range(1, 7)]
    response = post(client, url, delegates(*six))
    page = text(response)
    assert "At most 5 delegates can be named." in page
    assert "Đại biểu số 6" in page  # what was typed is kept
    response = post(client, url, delegates("Nguyễn Thị Hoà", **{"delegates-2-job_title":
                                                                 "Kế toán"}))
    assert "Enter this delegate's name, or clear the row." in text(response)
    assert count_registrations() == 0


def test_service_refuses_six_delegates(app_ctx, users):
    event = make_event()
    with pytest.raises(registrations.RegistrationError) as error:
        registrations.register(ident(event), users["member_a"].organisation, "producer",
                               [registrations.Delegate(f"Người {i}") for i in range(6)])
    assert error.value.code == "delegates"
    db.session.rollback()


def test_bad_phone_is_refused_on_its_row(app, users):
    event = make_event()
    client = client_for(app, users["member_a"])
    response = post(client, f"/events/{ident(event)}/register", delegates(
        "Nguyễn Thị Hoà", "Trần Văn Bình", **{"delegates-1-phone": "0912 345 67"}))
    page = text(response)
    assert "This phone number does not exist." in page
    # The message sits under the second row's phone field, which keeps what was typed.
    row = page[page.index('id="delegates-1-phone"') - 300:]
    assert 'value="0912 345 67"' in row[:600] and "is-invalid" in row[:600]
    assert count_registrations() == 0


def test_product_of_another_organisation_is_refused(app, users):
    other = factories.make_organisation("Công ty TNHH Gạo Yên Thành", Side.PRODUCER)
    theirs = make_product(other, "Gạo Yên Thành")
    event = make_event()
    client = client_for(app, users["member_a"])
    response = post(client, f"/events/{ident(event)}/register",
                    delegates("Nguyễn Thị Hoà", products=str(ident(theirs))))
    assert "Choose only your organisation's active products." in text(response)
    assert registration_of(users["member_a"].organisation, event) is None
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(
        registration_products)) == 0


def test_one_registration_per_organisation_per_event(app, users):
    org = users["member_a"].organisation
    colleague = factories.make_user(organisation=org, full_name="Võ Văn Em")
    event = make_event()
    url = f"/events/{ident(event)}/register"
    post(client_for(app, users["member_a"]), url, delegates("Nguyễn Thị Hoà"))
    first = registration_of(org, event)

    client = client_for(app, colleague)
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/registrations/{first.id}")
    # A POST from an old form is sent to the registration too; nothing new is saved.
    response = client.post(url, data=delegates("Võ Văn Em", csrf_token=csrf_token(
        client, "/registrations/")), follow_redirects=True)
    assert "already registered for this event" in text(response)
    assert count_registrations() == 1


def test_capacity_waitlist_and_cancel_promotes_the_first_waiting(app, app_ctx):
    event = make_event(producer_capacity=1, requires_approval=False)
    url = f"/events/{ident(event)}/register"
    members = []
    for name in ("HTX Chè Hạnh Lâm", "HTX Cam Xã Đoài", "HTX Nhút Thanh Chương"):
        org = factories.make_organisation(name, Side.PRODUCER)
        members.append((org, factories.make_user(organisation=org)))

    flashes = []
    for _org, user in members:
        response = post(client_for(app, user), url, delegates("Đại biểu"), follow=True)
        flashes.append(text(response))
    assert "its place is confirmed" in flashes[0]
    assert "on the waitlist, number 1" in flashes[1]
    assert "on the waitlist, number 2" in flashes[2]
    statuses = [registration_of(org, event).status for org, _u in members]
    assert statuses == [S.APPROVED, S.WAITLISTED, S.WAITLISTED]

    first = registration_of(members[0][0], event)
    client = client_for(app, members[0][1])
    response = post(client, f"/registrations/{first.id}/cancel",
                    {"confirm": "y", "reason": "Trùng lịch"}, follow=True)
    assert "The registration is cancelled." in text(response)
    assert "Trùng lịch" in text(response)
    statuses = [registration_of(org, event).status for org, _u in members]
    assert statuses == [S.CANCELLED, S.APPROVED, S.WAITLISTED]
    third = registration_of(members[2][0], event)
    page = text(client_for(app, members[2][1]).get(f"/registrations/{third.id}"))
    assert "Number 1 on the waitlist" in page


def test_cancel_needs_confirmation(app, users):
    event = make_event()
    registration_id = register_org(event, users["member_a"].organisation)
    client = client_for(app, users["member_a"])
    response = post(client, f"/registrations/{registration_id}/cancel", {"reason": "Ốm"})
    page = text(response)
    assert response.status_code == 200
    assert "Tick the box to confirm that you want to cancel." in page
    assert re.search(r">\s*Ốm</textarea>", page)  # the reason typed is kept
    assert registration_of(users["member_a"].organisation, event).status == S.PENDING


def test_register_again_after_cancelling(app, users):
    org = users["member_a"].organisation
    event = make_event(requires_approval=False)
    registration_id = register_org(event, org)
    client = client_for(app, users["member_a"])
    post(client, f"/registrations/{registration_id}/cancel", {"confirm": "y"})
    assert registration_of(org, event).status == S.CANCELLED
    detail = text(client.get(f"/registrations/{registration_id}"))
    assert "Register again" in detail and "Cancel the registration" not in detail

    url = f"/events/{ident(event)}/register"
    page = text(client.get(url))
    assert 'value="Nguyễn Văn An"' in page  # the previous delegates, to start from
    post(client, url, delegates("Hồ Thị Giang"))
    registration = registration_of(org, event)
    assert registration.id == registration_id
    assert registration.status == S.APPROVED
    assert [d.full_name for d in registration.delegates] == ["Hồ Thị Giang"]


def test_register_again_keeps_the_products_ticked_before(app, users):
    org = users["member_a"].organisation
    kept, other = make_product(org, "Nước mắm Cửa Lò"), make_product(org, "Cam Vinh")
    event = make_event(requires_approval=False)
    registration_id = register_org(event, org, product_ids=[ident(kept)])
    client = client_for(app, users["member_a"])
    post(client, f"/registrations/{registration_id}/cancel", {"confirm": "y"})
    page = text(client.get(f"/events/{ident(event)}/register"))
    ticked = re.findall(r'<input[^>]*name="products"[^>]*>', page)
    assert [f'value="{ident(kept)}"' in tag and "checked" in tag for tag in ticked
            if f'value="{ident(kept)}"' in tag] == [True]
    assert all("checked" not in tag for tag in ticked if f'value="{ident(other)}"' in tag)


def test_rejected_organisation_cannot_register_again(app, users):
    org = users["member_a"].organisation
    event = make_event()
    registration_id = register_org(event, org)
    db.session.rollback()
    registrations.reject(db.session.get(Registration, registration_id),
                         ident(users["organiser"]), "Sản phẩm chưa đạt OCOP")
    db.session.commit()
    client = client_for(app, users["member_a"])
    response = client.get(f"/events/{ident(event)}/register", follow_redirects=True)
    page = text(response)
    assert "turned down your organisation" in page
    assert "Sản phẩm chưa đạt OCOP" in page  # the reason, on the registration page


def test_registration_window_closed(app, users):
    event = make_event(registration_open=False)
    client = client_for(app, users["member_a"])
    url = f"/events/{ident(event)}/register"
    page = text(client.get(url))
    assert "Registration for this event is not open at the moment." in page
    assert 'name="delegates-0-full_name"' not in page
    response = post(client, url, delegates("Nguyễn Thị Hoà"))
    assert "not open at the moment" in text(response)
    assert count_registrations() == 0


def test_vietnamese_messages(app, users):
    closed = make_event(registration_open=False)
    client = client_for(app, users["member_a"], lang="vi")
    page = text(client.get(f"/events/{ident(closed)}/register"))
    assert "Hiện không mở đăng ký tham dự sự kiện này." in page
    event = make_event()
    url = f"/events/{ident(event)}/register"
    page = text(post(client, url, delegates("Nguyễn Thị Hoà",
                                            **{"delegates-0-phone": "0912 345 67"})))
    assert "Số điện thoại này không tồn tại." in page
    page = text(post(client, url, delegates("")))
    assert "Hãy nhập tên của ít nhất một đại biểu." in page


def test_status_history_shows_who_and_when(app, users):
    org = users["member_a"].organisation
    organiser = factories.make_user(Role.ORGANISER, full_name="Trần Quốc Tuấn")
    event = make_event()
    client = client_for(app, users["member_a"])
    post(client, f"/events/{ident(event)}/register", delegates("Nguyễn Thị Hoà"))
    registration = registration_of(org, event)
    registrations.approve(registration, ident(organiser))
    db.session.commit()
    db.session.rollback()
    changes = list(db.session.scalars(sa.select(StatusChange).where(
        StatusChange.subject_type == Subject.REGISTRATION.value,
        StatusChange.subject_id == registration.id).order_by(StatusChange.id)))
    assert [(c.from_status, c.to_status) for c in changes] == [
        (None, "pending"), ("pending", "approved")]
    page = text(client.get(f"/registrations/{registration.id}"))
    history = page[page.index('data-testid="status-history"'):]
    for change in changes:
        assert format_local_short(change.changed_at, "en") in history  # Vietnam time
    # Oldest first: member_a (the factories' default name) registered, the organiser approved.
    assert history.index("Pending approval") < history.index("by Nguyễn Thị Hoà") \
        < history.index("Approved") < history.index("by Trần Quốc Tuấn")


def test_edit_changes_delegates_and_products_only(app, users):
    org = users["member_a"].organisation
    keep, add = make_product(org, "Nước mắm Cửa Lò"), make_product(org, "Mực khô Cửa Hội")
    event = make_event()
    registration_id = register_org(event, org, product_ids=[ident(keep)])
    client = client_for(app, users["member_a"])
    url = f"/registrations/{registration_id}/edit"
    page = text(client.get(url))
    assert 'value="Nguyễn Văn An"' in page and 'value="0912 345 678"' in page
    assert re.search(rf'value="{ident(keep)}" checked', page)
    assert not re.search(rf'value="{ident(add)}" checked', page)

    response = post(client, url, delegates("Nguyễn Văn An", "Đặng Thị Hạnh",
                                           products=[str(ident(add))],
                                           **{"delegates-1-phone": "0987654321"}))
    assert response.status_code == 302
    registration = registration_of(org, event)
    assert [(d.full_name, d.phone) for d in registration.delegates] == [
        ("Nguyễn Văn An", None), ("Đặng Thị Hạnh", "+84987654321")]
    assert [p.name for p in registration.products] == ["Mực khô Cửa Hội"]
    assert registration.status == S.PENDING and registration.side == "producer"


def test_members_see_and_change_only_their_own_registrations(app, users):
    org_a = users["member_a"].organisation
    event = make_event("Hội nghị kết nối Quỳnh Lưu")
    registration_id = register_org(event, org_a)
    other = client_for(app, users["member_b"])
    for url in (f"/registrations/{registration_id}", f"/registrations/{registration_id}/edit"):
        assert other.get(url).status_code == 404
    token = csrf_token(other, "/registrations/")
    response = other.post(f"/registrations/{registration_id}/cancel",
                          data={"confirm": "y", "csrf_token": token})
    assert response.status_code == 404
    response = other.post(f"/registrations/{registration_id}/edit",
                          data={**delegates("Kẻ lạ"), "csrf_token": token})
    assert response.status_code == 404
    registration = registration_of(org_a, event)
    assert registration.status == S.PENDING
    assert [d.full_name for d in registration.delegates] == ["Nguyễn Văn An"]
    assert "Hội nghị kết nối Quỳnh Lưu" not in text(other.get("/registrations/"))
    own = text(client_for(app, users["member_a"]).get("/registrations/"))
    assert "Hội nghị kết nối Quỳnh Lưu" in own and "Pending approval" in own


def test_my_registrations_lists_upcoming_and_past(app, users):
    org = users["member_a"].organisation
    register_org(make_event("Hội nghị sắp tới"), org)
    past = make_event("Hội nghị năm ngoái")
    register_org(past, org)
    db.session.rollback()
    from matchmaker.events.models import Event

    row = db.session.get(Event, ident(past))
    row.starts_at -= timedelta(days=400)
    row.ends_at -= timedelta(days=400)
    row.registration_opens_at -= timedelta(days=400)
    row.registration_closes_at -= timedelta(days=400)
    db.session.commit()
    page = text(client_for(app, users["member_a"]).get("/registrations/"))
    assert page.index("Upcoming") < page.index("Hội nghị sắp tới") < page.index("Past") \
        < page.index("Hội nghị năm ngoái")


def test_delegate_rows_are_stored_with_search_keys(app, users):
    event = make_event()
    register_org(event, users["member_a"].organisation, delegates=[
        registrations.Delegate("  Nguyễn   Thị  Hoà ")])
    db.session.rollback()
    delegate = db.session.scalar(sa.select(RegistrationDelegate))
    assert delegate.full_name == "Nguyễn Thị Hoà" and delegate.name_key == "nguyen thi hoa"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(registration_needs)) == 0


def test_pages_not_in_the_matrix_stay_within_the_budget(app, app_ctx, count_queries):
    """A producer-and-distributor organisation's form (both lists), a form filled from a
    cancelled registration, and a waitlisted registration's page."""
    org = factories.make_organisation("Hợp tác xã Chè Thanh Chương", Side.BOTH)
    user = factories.make_user(organisation=org)
    for i in range(3):
        make_product(org, f"Chè số {i}")
        make_need(org, f"Nhu cầu số {i}")
    event = make_event(producer_capacity=1)
    register_org(event, factories.make_organisation("HTX Cam Vinh", Side.PRODUCER))
    registration_id = register_org(event, org, delegates=[
        registrations.Delegate(f"Đại biểu {i}", "Cán bộ", "0912345678") for i in range(5)])
    client = client_for(app, user)
    with count_queries() as detail:
        page = text(client.get(f"/registrations/{registration_id}"))
    assert "Number 1 on the waitlist" in page and page.count("Đại biểu ") == 5
    with count_queries() as edit:
        assert client.get(f"/registrations/{registration_id}/edit").status_code == 200
    post(client, f"/registrations/{registration_id}/cancel", {"confirm": "y"})
    with count_queries() as form:
        page = text(client.get(f"/events/{ident(event)}/register"))
    assert 'value="Đại biểu 4"' in page and "Chè số 2" in page and "Nhu cầu số 2" in page
    assert max(detail.count, edit.count, form.count) <= 5, (
        detail.statements, edit.statements, form.statements)
