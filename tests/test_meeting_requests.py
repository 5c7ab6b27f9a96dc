"""Meeting requests: participant list, request/accept/decline/cancel, caps, unavailability,
notifications, history, permissions, and races under real concurrent requests."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

import tests.access  # noqa: F401  (loads every access_* module, in order)
from matchmaker.auth.models import LoginSession, User
from matchmaker.db import write_transaction
from matchmaker.events.models import Event, EventSession
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject
from matchmaker.meetings import requests as meetings
from matchmaker.meetings.forms import error_message
from matchmaker.meetings.models import Meeting, SlotUnavailability, TimeSlot
from matchmaker.meetings.notify import MEETING_MESSAGES
from matchmaker.meetings.timeslots import ensure_time_slots
from matchmaker.notifications.models import Notification
from matchmaker.organisations.models import Side
from matchmaker.permissions import Role
from tests import factories
from tests.access_meeting_requests import D, P, ask, ident, meeting_event
from tests.access_registrations import register_org
from tests.conftest import client_for
from tests.test_registration_concurrency import (  # noqa: F401  (server: a fixture)
    make_members,
    post,
    run_all,
    server,
)


def csrf(client, path):
    from tests.conftest import csrf_token

    return csrf_token(client, path)


def meeting(meeting_id) -> Meeting:
    db.session.rollback()
    return db.session.get(Meeting, meeting_id)


def history_of(meeting_id) -> list[tuple[str | None, str, int | None, str | None]]:
    db.session.rollback()
    return [(c.from_status, c.to_status, c.changed_by_id, c.note) for c in db.session.scalars(
        sa.select(StatusChange).where(StatusChange.subject_type == Subject.MEETING.value,
                                      StatusChange.subject_id == meeting_id)
        .order_by(StatusChange.id))]


def notifications_of(user) -> list[Notification]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Notification).where(
        Notification.user_id == ident(user)).order_by(Notification.id)))


def fresh_user(organisation, email):
    db.session.rollback()
    return factories.make_user(organisation=db.session.get(type(organisation),
                                                           ident(organisation)), email=email)


def set_event(event_id, **values):
    db.session.rollback()
    event = db.session.get(Event, event_id)
    for key, value in values.items():
        setattr(event, key, value)
    db.session.commit()


# -- participant list -------------------------------------------------------------------------

def participant_row(page: str, registration_id: int) -> str:
    """The HTML of one participant's item on the participant list."""
    return page.split(f'id="participant-{registration_id}"')[1].split(
        'data-testid="participant"')[0]


def request_state_of(html: str) -> str:
    """The ``data-state`` of the first request state in ``html``."""
    return html.split('data-testid="request-state" data-state="')[1].split('"')[0]


def test_a_producer_sees_the_approved_distributors_with_status_or_button(app, world):
    client = client_for(app, world["member_a"])
    page = client.get(f"/events/{world['mt_event_id']}/participants").get_data(as_text=True)
    assert "Siêu thị Đô Lương" in page and "Siêu thị Cửa Lò" in page
    assert "Công ty TNHH Phân phối Hoàng Mai" in page
    listed = page.split('data-testid="participants"')[1]
    assert "Công ty CP Thực phẩm Nghệ An" not in listed  # its own side
    # A asked B: B's row shows the request; D has a button to ask.
    row_b = participant_row(page, world["mt_reg_b"])
    assert "Meeting requested" in row_b and "Request a meeting" not in row_b
    assert request_state_of(row_b) == "requested_by_us"
    row_d = participant_row(page, world["mt_reg_d"])
    assert f"/meetings/request/{world['mt_reg_d']}" in row_d
    assert request_state_of(row_d) == "can_request"


def test_participant_search_ignores_accents_and_staff_see_both_sides(app, world):
    client = client_for(app, world["member_a"])
    page = client.get(f"/events/{world['mt_event_id']}/participants?q=cua lo"
                      ).get_data(as_text=True)
    assert "Siêu thị Cửa Lò" in page and "Siêu thị Đô Lương" not in page
    staff = client_for(app, world["organiser"])
    page = staff.get(f"/events/{world['mt_event_id']}/participants").get_data(as_text=True)
    assert "Công ty CP Thực phẩm Nghệ An" in page and "Siêu thị Đô Lương" in page
    assert 'data-testid="cap-form"' in page


def test_participants_are_paged_and_pending_ones_are_not_listed(app, world):
    event = meeting_event("Hội nghị đông người")
    for i in range(5):
        org = factories.make_organisation(f"Nhà phân phối số {i}", Side.DISTRIBUTOR)
        register_org(event, org, side=D)
    pending_event = ident(event)
    page1, counts = meetings.participant_page(pending_event, D, "", 1, per_page=2)
    page3, _ = meetings.participant_page(pending_event, D, "", 3, per_page=2)
    assert page1.total == 5 and page1.pages == 3 and len(page1.items) == 2
    assert len(page3.items) == 1 and counts == {r.id: 0 for r in page1.items}
    set_event(pending_event, requires_approval=True)
    late = factories.make_organisation("Nhà phân phối chờ duyệt", Side.DISTRIBUTOR)
    register_org(db.session.get(Event, pending_event), late, side=D)
    assert meetings.participant_page(pending_event, D, "", 1)[0].total == 5


def test_a_member_without_an_approved_registration_sees_no_list(app, world):
    client = client_for(app, world["member_b"])
    page = client.get(f"/events/{world['mt_solo_event_id']}/participants").get_data(as_text=True)
    assert 'data-testid="not-participant"' in page and "Công ty CP Thực phẩm" not in page


# -- requesting -------------------------------------------------------------------------------

def test_requesting_with_a_message_records_history_and_tells_the_counterpart(app, world):
    b2 = fresh_user(world["org_b"], "b2@example.vn")
    d_user = fresh_user(world["org_d"], "d@example.vn")
    client = client_for(app, world["member_a"])
    path = f"/events/{world['mt_event_id']}/meetings/request/{world['mt_reg_d']}"
    assert "Công ty TNHH Phân phối Hoàng Mai" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf(client, path),
                                       "message": "  Giới thiệu nước mắm Cửa Lò  "})
    assert response.status_code == 302 and response.location.endswith("/meetings/")
    found = db.session.scalar(sa.select(Meeting).where(
        Meeting.distributor_registration_id == world["mt_reg_d"]))
    assert (found.status, found.requested_by_side, found.message) == (
        "requested", "producer", "Giới thiệu nước mắm Cửa Lò")
    assert found.requested_by_id == ident(world["member_a"])
    assert history_of(found.id) == [(None, "requested", ident(world["member_a"]), None)]
    [note] = notifications_of(d_user)
    assert note.kind == "meeting.requested" and note.link == "/meetings/"
    assert note.params["counterpart"] == "Công ty CP Thực phẩm Nghệ An"
    assert note.params["event_title"] == "Hội nghị giao thương B2B Vinh"
    assert note.params["note"] == "Giới thiệu nước mắm Cửa Lò"
    assert not [n for n in notifications_of(b2) if n.params.get("meeting_id") == found.id]
    assert not [n for n in notifications_of(world["member_a"])  # the requester is not told
                if n.params.get("meeting_id") == found.id]


def test_a_long_message_is_refused_next_to_the_field_and_nothing_is_saved(app, world):
    client = client_for(app, world["member_a"])
    path = f"/events/{world['mt_event_id']}/meetings/request/{world['mt_reg_d']}"
    page = client.post(path, data={"csrf_token": csrf(client, path), "message": "x" * 501})
    assert page.status_code == 200
    assert "500 characters or fewer" in page.get_data(as_text=True)
    assert "x" * 501 in page.get_data(as_text=True)  # what was typed is kept
    assert not db.session.scalar(sa.select(Meeting).where(
        Meeting.distributor_registration_id == world["mt_reg_d"]))


def test_a_second_open_meeting_is_refused_and_allowed_again_after_a_decline(app, world):
    event = world["mt_event"]
    with pytest.raises(meetings.MeetingError) as refused:
        ask(event, world["org_a"], world["mt_reg_b"])
    assert refused.value.code == "already"
    db.session.rollback()
    # The other side asking is the same pair: refused too.
    with pytest.raises(meetings.MeetingError):
        ask(event, world["org_b"], world["mt_reg_a"])
    db.session.rollback()
    client = client_for(app, world["member_b"])
    client.post(f"/meetings/{world['mt_meeting_ab']}/decline",
                data={"csrf_token": csrf(client, "/meetings/"), "reason": "Chưa cần"})
    assert meeting(world["mt_meeting_ab"]).status == "declined"
    again = ask(event, world["org_b"], world["mt_reg_a"])
    assert meeting(again).requested_by_side == "distributor"


def test_the_database_refuses_a_second_open_meeting_for_a_pair(app, world):
    db.session.rollback()
    db.session.add(Meeting(event_id=world["mt_event_id"],
                           producer_registration_id=world["mt_reg_a"],
                           distributor_registration_id=world["mt_reg_b"],
                           requested_by_side="distributor", status="requested"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("case", ["same_side", "not_approved", "other_event", "own"])
def test_wrong_counterparts_are_refused(app, world, case):
    event = world["mt_event"]
    if case == "same_side":
        producer = factories.make_organisation("HTX Nước mắm Vạn Phần", Side.PRODUCER)
        target = register_org(event, producer, side=P)
    elif case == "not_approved":
        set_event(world["mt_event_id"], requires_approval=True)
        late = factories.make_organisation("Siêu thị Quỳnh Lưu", Side.DISTRIBUTOR)
        target = register_org(db.session.get(Event, world["mt_event_id"]), late, side=D)
    elif case == "other_event":
        other = meeting_event("Hội nghị khác")
        target = register_org(other, factories.make_organisation("Siêu thị X", Side.DISTRIBUTOR),
                              side=D)
    else:
        target = world["mt_reg_a"]
    client = client_for(app, world["member_a"])
    path = f"/events/{world['mt_event_id']}/meetings/request/{target}"
    assert client.get(path).status_code == 404
    response = client.post(f"/events/{world['mt_event_id']}/meetings/request",
                           data={"csrf_token": csrf(client, "/meetings/"),
                                 "registration_id": target})
    assert response.status_code == 404
    with pytest.raises(meetings.MeetingError) as refused:
        ask(event, world["org_a"], target)
    assert refused.value.code == {"same_side": "same_side", "own": "same_side"}.get(
        case, "counterpart")
    db.session.rollback()


def test_a_pending_requester_is_refused(app, world):
    event = meeting_event("Hội nghị duyệt tay", requires_approval=True)
    register_org(event, world["org_a"], side=P)
    set_event(ident(event), requires_approval=False)
    reg_b = register_org(db.session.get(Event, ident(event)), world["org_b"], side=D)
    with pytest.raises(meetings.MeetingError) as refused:
        ask(event, world["org_a"], reg_b)
    assert refused.value.code == "not_registered"
    db.session.rollback()
    client = client_for(app, world["member_a"])
    assert client.get(f"/events/{ident(event)}/meetings/request/{reg_b}").status_code == 403


def test_requests_close_when_the_event_starts(app, world):
    set_event(world["mt_event_id"], starts_at=meetings.utcnow() - timedelta(hours=1))
    with pytest.raises(meetings.MeetingError) as refused:
        ask(world["mt_event"], world["org_a"], world["mt_reg_d"])
    assert refused.value.code == "closed"
    db.session.rollback()
    client = client_for(app, world["member_a"])
    page = client.get(f"/events/{world['mt_event_id']}/participants").get_data(as_text=True)
    assert "taken until the event starts" in page and "Request a meeting" not in page
    # Answers still go on while the event runs.
    b = client_for(app, world["member_b"])
    b.post(f"/meetings/{world['mt_meeting_ab']}/accept",
           data={"csrf_token": csrf(b, "/meetings/")})
    assert meeting(world["mt_meeting_ab"]).status == "accepted"


def test_the_cap_counts_open_meetings_of_both_parties(app, world):
    set_event(world["mt_event_id"], meeting_cap=3)
    event = world["mt_event"]
    ask(event, world["org_a"], world["mt_reg_d"])  # A now has 3: with B, C and D
    extra = factories.make_organisation("Siêu thị Hưng Nguyên", Side.DISTRIBUTOR)
    reg_e = register_org(event, extra, side=D)
    with pytest.raises(meetings.MeetingError) as mine:
        ask(event, world["org_a"], reg_e)
    assert mine.value.code == "cap_self"
    db.session.rollback()
    set_event(world["mt_event_id"], meeting_cap=1)
    producer = factories.make_organisation("HTX Chè Thanh Chương", Side.PRODUCER)
    register_org(event, producer, side=P)
    with pytest.raises(meetings.MeetingError) as theirs:
        ask(event, producer, world["mt_reg_b"])
    assert theirs.value.code == "cap_other" and theirs.value.name == "Siêu thị Đô Lương"
    db.session.rollback()
    with app.test_request_context(), force_locale("en"):
        assert "Đô Lương has reached" in error_message("cap_other", "Siêu thị Đô Lương")
    # Declining frees a place on both sides.
    client = client_for(app, world["member_b"])
    client.post(f"/meetings/{world['mt_meeting_ab']}/decline",
                data={"csrf_token": csrf(client, "/meetings/")})
    assert meeting(ask(event, producer, world["mt_reg_b"])).status == "requested"


def test_the_cap_refusal_names_whose_cap_is_reached_on_the_page(app, world):
    set_event(world["mt_event_id"], meeting_cap=1)
    producer = factories.make_organisation("HTX Chè Thanh Chương", Side.PRODUCER)
    user = factories.make_user(organisation=producer, email="che@example.vn")
    register_org(world["mt_event"], producer, side=P)
    client = client_for(app, user)
    path = f"/events/{world['mt_event_id']}/meetings/request/{world['mt_reg_b']}"
    response = client.post(path, data={"csrf_token": csrf(client, path)},
                           follow_redirects=True)
    assert "Siêu thị Đô Lương has reached the most meetings" in response.get_data(as_text=True)


def test_a_full_cap_shows_instead_of_the_request_button(app, world):
    """A's cap is reached: no row offers "Request a meeting" (the request would be refused),
    each says "Cap reached"; the request form says so instead of offering the form. When
    only the counterpart's cap is full, its row says so and the others keep the button."""
    set_event(world["mt_event_id"], meeting_cap=2)  # A has two requests: with B and C
    client = client_for(app, world["member_a"])
    page = client.get(f"/events/{world['mt_event_id']}/participants").get_data(as_text=True)
    row_d = participant_row(page, world["mt_reg_d"])
    assert request_state_of(row_d) == "cap_self" and "Cap reached" in row_d
    assert "/meetings/request/" not in row_d
    assert request_state_of(participant_row(page, world["mt_reg_b"])) == "requested_by_us"
    form = client.get(f"/events/{world['mt_event_id']}/meetings/request/{world['mt_reg_d']}"
                      ).get_data(as_text=True)
    assert 'data-testid="cap-reached"' in form and "Send the request" not in form
    # B's cap (1) is full with A's request; a new producer sees it on B's row only.
    set_event(world["mt_event_id"], meeting_cap=1)
    producer = factories.make_organisation("HTX Chè Thanh Chương", Side.PRODUCER)
    user = factories.make_user(organisation=producer, email="che@example.vn")
    register_org(world["mt_event"], producer, side=P)
    client = client_for(app, user)
    page = client.get(f"/events/{world['mt_event_id']}/participants").get_data(as_text=True)
    assert request_state_of(participant_row(page, world["mt_reg_b"])) == "cap_other"
    assert request_state_of(participant_row(page, world["mt_reg_d"])) == "can_request"
    form = client.get(f"/events/{world['mt_event_id']}/meetings/request/{world['mt_reg_b']}"
                      ).get_data(as_text=True)
    assert "Siêu thị Đô Lương has reached the most meetings" in form
    assert "Send the request" not in form


def test_staff_set_the_cap_and_are_warned_about_participants_over_it(app, world):
    client = client_for(app, world["organiser"])
    path = f"/events/{world['mt_event_id']}/participants"
    page = client.post(f"/events/{world['mt_event_id']}/meeting-cap",
                       data={"csrf_token": csrf(client, path), "meeting_cap": "1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "At most 1 meeting per participant" in page
    assert "1 participant already has more open meetings" in page  # A has 2
    db.session.rollback()
    assert db.session.get(Event, world["mt_event_id"]).meeting_cap == 1
    page = client.post(f"/events/{world['mt_event_id']}/meeting-cap",
                       data={"csrf_token": csrf(client, path), "meeting_cap": "0"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Enter a number from 1 to 200" in page
    client.post(f"/events/{world['mt_event_id']}/meeting-cap",
                data={"csrf_token": csrf(client, path), "meeting_cap": ""})
    db.session.rollback()
    assert db.session.get(Event, world["mt_event_id"]).meeting_cap is None


# -- answering --------------------------------------------------------------------------------

def test_accepting_records_who_and_tells_the_requester_once(app, world):
    client = client_for(app, world["member_b"])
    token = csrf(client, "/meetings/")
    page = client.get("/meetings/").get_data(as_text=True)
    incoming = page.split('data-testid="incoming"')[1].split("</section>")[0]
    assert "Công ty CP Thực phẩm Nghệ An" in incoming and "Accept" in incoming
    response = client.post(f"/meetings/{world['mt_meeting_ab']}/accept",
                           data={"csrf_token": token}, follow_redirects=True)
    assert "Meeting accepted" in response.get_data(as_text=True)
    again = client.post(f"/meetings/{world['mt_meeting_ab']}/accept",
                        data={"csrf_token": token}, follow_redirects=True)
    assert "already accepted" in again.get_data(as_text=True)
    assert [h[:3] for h in history_of(world["mt_meeting_ab"])] == [
        (None, "requested", ident(world["member_a"])),
        ("requested", "accepted", ident(world["member_b"]))]
    accepted = [n for n in notifications_of(world["member_a"]) if n.kind == "meeting.accepted"]
    assert len(accepted) == 1 and accepted[0].params["counterpart"] == "Siêu thị Đô Lương"
    page = client_for(app, world["member_a"]).get("/meetings/").get_data(as_text=True)
    assert "Siêu thị Đô Lương" in page.split('data-testid="accepted"')[1].split("</section>")[0]


def test_only_the_asked_party_answers(app, world):
    client = client_for(app, world["member_a"])
    token = csrf(client, "/meetings/")
    assert client.post(f"/meetings/{world['mt_meeting_ab']}/accept",
                       data={"csrf_token": token}).status_code == 403
    assert client.post(f"/meetings/{world['mt_meeting_ab']}/decline",
                       data={"csrf_token": token}).status_code == 403
    assert meeting(world["mt_meeting_ab"]).status == "requested"
    sent = client.get("/meetings/").get_data(as_text=True).split('data-testid="sent"')[1]
    assert "Siêu thị Đô Lương" in sent.split("</section>")[0]


def test_declining_keeps_the_reason_and_tells_the_requester(app, world):
    client = client_for(app, world["member_b"])
    client.post(f"/meetings/{world['mt_meeting_ab']}/decline",
                data={"csrf_token": csrf(client, "/meetings/"), "reason": " Đã đủ nhà cung cấp "})
    found = meeting(world["mt_meeting_ab"])
    assert (found.status, found.status_note) == ("declined", "Đã đủ nhà cung cấp")
    assert history_of(found.id)[-1] == ("requested", "declined", ident(world["member_b"]),
                                        "Đã đủ nhà cung cấp")
    [note] = [n for n in notifications_of(world["member_a"]) if n.kind == "meeting.declined"]
    assert note.params["note"] == "Đã đủ nhà cung cấp"
    assert client.post(f"/meetings/{world['mt_meeting_ab']}/decline",
                       data={"csrf_token": csrf(client, "/meetings/")},
                       follow_redirects=True).status_code == 200
    assert len(history_of(found.id)) == 2  # declining twice changes nothing


def test_either_party_cancels_a_scheduled_meeting_which_leaves_its_slot(app, world):
    db.session.rollback()
    event = db.session.get(Event, world["mt_event_id"])
    with write_transaction():
        slot = ensure_time_slots(event)[0]
        found = db.session.get(Meeting, world["mt_meeting_ab"])
        found.status, found.time_slot_id, found.table_number = "scheduled", slot.id, 3
        db.session.commit()
    client = client_for(app, world["member_b"])
    client.post(f"/meetings/{world['mt_meeting_ab']}/cancel",
                data={"csrf_token": csrf(client, "/meetings/"), "reason": "Trùng lịch"})
    found = meeting(world["mt_meeting_ab"])
    assert (found.status, found.time_slot_id, found.table_number) == ("cancelled", None, None)
    [note] = [n for n in notifications_of(world["member_a"]) if n.kind == "meeting.cancelled"]
    assert note.params["counterpart"] == "Siêu thị Đô Lương" and note.params["note"] == "Trùng lịch"


def test_staff_cancel_and_both_parties_are_told(app, world):
    client = client_for(app, world["organiser"])
    response = client.post(f"/meetings/{world['mt_meeting_ab']}/cancel",
                           data={"csrf_token": csrf(client, "/")})
    assert response.location.endswith(f"/events/{world['mt_event_id']}/participants")
    assert meeting(world["mt_meeting_ab"]).status == "cancelled"
    assert history_of(world["mt_meeting_ab"])[-1][2] == ident(world["organiser"])
    kinds_a = [n.kind for n in notifications_of(world["member_a"])]
    kinds_b = [n.kind for n in notifications_of(world["member_b"])]
    assert "meeting.cancelled_by_organiser" in kinds_a
    assert "meeting.cancelled_by_organiser" in kinds_b


def test_a_third_organisation_can_neither_see_nor_touch_the_meeting(app, world):
    client = client_for(app, world["member_b"])  # A's meeting is with C
    token = csrf(client, "/meetings/")
    for action in ("accept", "decline", "cancel"):
        assert client.post(f"/meetings/{world['mt_meeting_ac']}/{action}",
                           data={"csrf_token": token}).status_code == 404
    assert "Siêu thị Cửa Lò" not in client.get("/meetings/").get_data(as_text=True)
    assert meeting(world["mt_meeting_ac"]).status == "requested"
    assert len(history_of(world["mt_meeting_ac"])) == 1


def test_meeting_notifications_have_texts(app):
    with app.test_request_context():
        for kind, (plain, with_note) in MEETING_MESSAGES.items():
            text = str(plain) % {"event": "Hội nghị", "note": "", "counterpart": "HTX A"}
            assert "HTX A" in text and "Hội nghị" in text, kind
            if with_note is not None:
                assert "lý do" in str(with_note) % {"event": "E", "note": "lý do",
                                                    "counterpart": "X"}


# -- unavailability ---------------------------------------------------------------------------

def test_unavailability_is_saved_and_shown_in_vietnam_time(app, world):
    client = client_for(app, world["member_a"])
    path = f"/events/{world['mt_event_id']}/availability"
    page = client.get(path).get_data(as_text=True)
    # Sessions 08:30–11:30 and 13:30–17:00 Vietnam time, 20-minute meetings, 5-minute breaks.
    assert "08:30–08:50" in page and "13:30–13:50" in page and "01:30" not in page
    db.session.rollback()
    assert not db.session.scalar(sa.select(sa.func.count(TimeSlot.id)).where(
        TimeSlot.event_id == world["mt_event_id"]))  # the page does not write
    event = db.session.get(Event, world["mt_event_id"])
    keys = [meetings.slot_key(s) for s, _e in meetings.wanted_slot_times(event)]
    db.session.rollback()
    response = client.post(path, data={"csrf_token": csrf(client, path),
                                       "slots": [keys[0], keys[8], "12345"]})
    assert response.status_code == 302
    db.session.rollback()
    slots = list(db.session.scalars(sa.select(TimeSlot).where(
        TimeSlot.event_id == world["mt_event_id"]).order_by(TimeSlot.position)))
    assert len(slots) == 7 + 8
    marked = set(db.session.scalars(sa.select(SlotUnavailability.time_slot_id).where(
        SlotUnavailability.registration_id == world["mt_reg_a"])))
    assert marked == {slots[0].id, slots[8].id}
    page = client.get(path).get_data(as_text=True)
    assert f'value="{keys[0]}" id="slot-{keys[0]}" checked' in page
    assert f'value="{keys[1]}" id="slot-{keys[1]}">' in page
    staff = client_for(app, world["organiser"]).get(path).get_data(as_text=True)
    first_row = staff.split('data-testid="slot-row"')[1].split("</tr>")[0]
    assert "08:30–08:50" in first_row and "Công ty CP Thực phẩm Nghệ An" in first_row
    # Unticking everything clears them.
    client.post(path, data={"csrf_token": csrf(client, path)})
    db.session.rollback()
    assert not meetings.unavailable_slot_ids(world["mt_reg_a"])


def test_time_slots_follow_the_sessions_until_a_meeting_is_placed(app, world):
    db.session.rollback()
    with write_transaction():
        event = db.session.get(Event, world["mt_event_id"])
        first = ensure_time_slots(event)
        assert ensure_time_slots(event) == first
        db.session.add(SlotUnavailability(registration_id=world["mt_reg_a"],
                                          time_slot_id=first[0].id))
        db.session.add(SlotUnavailability(registration_id=world["mt_reg_a"],
                                          time_slot_id=first[-1].id))
        kept_id, dropped = first[0].id, (first[-1].starts_at, first[-1].ends_at)
        # The afternoon session now ends an hour earlier: its last slots go, the rest stay.
        afternoon = event.sessions[1]
        afternoon.ends_at -= timedelta(hours=1)
        event.sessions.append(EventSession(starts_at=event.ends_at - timedelta(hours=1),
                                           ends_at=event.ends_at))
        db.session.flush()
        second = ensure_time_slots(event)
        assert [(s.starts_at, s.ends_at) for s in second] == meetings.wanted_slot_times(event)
        assert [s.position for s in second] == list(range(len(second)))
        assert second[0].id == kept_id and dropped not in meetings.wanted_slot_times(event)
        assert meetings.unavailable_slot_ids(world["mt_reg_a"]) == {kept_id}
        # Once a meeting is placed, the slots stay as they are.
        found = db.session.get(Meeting, world["mt_meeting_ab"])
        found.status, found.time_slot_id, found.table_number = "scheduled", second[1].id, 1
        db.session.flush()
        event.meeting_minutes = 30
        db.session.flush()
        assert ensure_time_slots(event) == second
        db.session.rollback()


def test_an_event_without_sessions_has_no_slots(app, world):
    event = meeting_event("Hội nghị không phiên", sessions=False)
    db.session.rollback()
    with write_transaction():
        assert ensure_time_slots(db.session.get(Event, ident(event))) == []
        db.session.rollback()


# -- concurrency ------------------------------------------------------------------------------

def _register_all(event_id, org_ids, side):
    from matchmaker.events import registration as registrations
    from matchmaker.organisations.models import Organisation

    db.session.rollback()
    with write_transaction():
        ids = [registrations.register(event_id, db.session.get(Organisation, org_id), side,
                                      [registrations.Delegate("Đại biểu")]).id
               for org_id in org_ids]
        db.session.commit()
    return ids


def test_many_producers_asking_one_distributor_get_exactly_the_cap(app, app_ctx, server):  # noqa: F811
    cap = 7
    event = meeting_event("Hội nghị nhà phân phối lớn", meeting_cap=cap)
    event_id = ident(event)
    popular = factories.make_organisation("Tổng công ty Phân phối Lớn", Side.DISTRIBUTOR)
    [popular_reg] = _register_all(event_id, [ident(popular)], "distributor")
    members = make_members(app, 40, "HTX Xin gặp")
    _register_all(event_id, [org for org, _c in members], "producer")
    path = f"/events/{event_id}/meetings/request"
    jobs = [lambda cookie=cookie: post(server, path, cookie, {"registration_id": popular_reg})
            for _org, cookie in members]

    results, _seconds = run_all(jobs)

    assert [status for status, _location in results] == [302] * 40
    db.session.rollback()
    rows = list(db.session.scalars(sa.select(Meeting).where(Meeting.event_id == event_id)))
    assert len(rows) == cap and all(row.status == "requested" for row in rows)
    assert len({row.producer_registration_id for row in rows}) == cap
    assert db.session.scalar(sa.select(sa.func.count(StatusChange.id)).where(
        StatusChange.subject_type == Subject.MEETING.value)) == cap


def _logged_in_colleagues(app, organisation_id: int, count: int) -> list[str]:
    users = [User(email=f"dongnghiep{i}@example.vn", full_name=f"Nhân viên {i}",
                  role=Role.MEMBER, organisation_id=organisation_id, locale="en",
                  password_hash=factories._password_hash()) for i in range(count)]
    db.session.add_all(users)
    db.session.flush()
    logins = [LoginSession(user_id=user.id) for user in users]
    db.session.add_all(logins)
    db.session.flush()
    serializer = app.session_interface.get_signing_serializer(app)
    cookies = [serializer.dumps({"_user_id": f"{user.id}:{login.id}", "_fresh": True})
               for user, login in zip(users, logins, strict=True)]
    db.session.commit()
    return cookies


def test_colleagues_accepting_at_once_accept_once(app, app_ctx, server):  # noqa: F811
    event = meeting_event("Hội nghị chấp nhận cùng lúc")
    producer = factories.make_organisation("HTX Nước mắm Cửa Lò", Side.PRODUCER)
    requester = factories.make_user(organisation=producer, email="cualo@example.vn")
    distributor = factories.make_organisation("Siêu thị Vinh", Side.DISTRIBUTOR)
    _register_all(ident(event), [ident(producer)], "producer")
    [dist_reg] = _register_all(ident(event), [ident(distributor)], "distributor")
    meeting_id = ask(event, producer, dist_reg, requester)
    cookies = _logged_in_colleagues(app, ident(distributor), 20)
    path = f"/meetings/{meeting_id}/accept"
    # Half accept, a few decline and cancel at the same moment: exactly one change wins
    # from "requested"; nothing ends in two states.
    jobs = [lambda c=c: post(server, path, c, {}) for c in cookies[:14]]
    jobs += [lambda c=c: post(server, f"/meetings/{meeting_id}/decline", c, {})
             for c in cookies[14:17]]
    jobs += [lambda c=c: post(server, f"/meetings/{meeting_id}/cancel", c, {})
             for c in cookies[17:]]

    results, _seconds = run_all(jobs)

    assert [status for status, _location in results] == [302] * 20
    changes = history_of(meeting_id)
    assert changes[0][:2] == (None, "requested")
    assert changes[1][0] == "requested" and len(changes) <= 3
    if changes[1][1] == "accepted":
        # An accept won; only a cancel may follow it (declining needs "requested").
        assert [c[1] for c in changes[2:]] in ([], ["cancelled"])
    else:
        assert len(changes) == 2
    assert meeting(meeting_id).status == changes[-1][1]
    told = [n for n in notifications_of(requester) if n.kind.startswith("meeting.")]
    assert len(told) == len(changes) - 1


def test_double_accept_race(app, app_ctx, server):  # noqa: F811
    event = meeting_event("Hội nghị hai người bấm")
    producer = factories.make_organisation("HTX Mật ong Con Cuông", Side.PRODUCER)
    requester = factories.make_user(organisation=producer, email="mo@example.vn")
    distributor = factories.make_organisation("Siêu thị Nghi Lộc", Side.DISTRIBUTOR)
    _register_all(ident(event), [ident(producer)], "producer")
    [dist_reg] = _register_all(ident(event), [ident(distributor)], "distributor")
    meeting_id = ask(event, producer, dist_reg, requester)
    cookies = _logged_in_colleagues(app, ident(distributor), 30)
    jobs = [lambda c=c: post(server, f"/meetings/{meeting_id}/accept", c, {}) for c in cookies]

    results, _seconds = run_all(jobs)

    assert [status for status, _location in results] == [302] * 30
    assert [h[:2] for h in history_of(meeting_id)] == [(None, "requested"),
                                                      ("requested", "accepted")]
    assert meeting(meeting_id).status == "accepted"
    assert [n.kind for n in notifications_of(requester)
            if n.kind.startswith("meeting.")] == ["meeting.accepted"]


def meeting_targets(page: str) -> dict[int, str]:
    """``{event id: HTML}`` of the product page's "request a meeting" offers."""
    block = page.split('data-testid="meeting-targets"')[1].split('<div class="row g-4">')[0]
    return {int(item.split('data-event="')[1].split('"')[0]): item
            for item in block.split('data-testid="meeting-target"')[1:]}


def test_a_distributor_can_ask_for_a_meeting_from_a_product_page(app, world, count_queries):
    product_id = ident(world["product"])
    client = client_for(app, world["member_b"])
    with count_queries() as counter:
        page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert counter.count <= 5
    targets = meeting_targets(page)
    # At the matching event B may ask A; at mt_event A has asked B already: no button, the
    # state instead (with the event's name).
    match_target = targets[world["match_event_id"]]
    assert request_state_of(match_target) == "can_request"
    assert (f"/events/{world['match_event_id']}/meetings/request/{world['match_reg_a']}"
            in match_target)
    mt_target = targets[world["mt_event_id"]]
    assert request_state_of(mt_target) == "requested_by_them"
    assert "Hội nghị giao thương B2B Vinh" in mt_target and "/meetings/request/" not in mt_target
    # Not for the producer itself, visitors or staff; not once requests close.
    for viewer in ("member_a", "organiser"):
        other = client_for(app, world[viewer]).get(f"/products/{product_id}")
        assert 'data-testid="request-meeting"' not in other.get_data(as_text=True)
    assert 'data-testid="request-meeting"' not in app.test_client().get(
        f"/products/{product_id}").get_data(as_text=True)
    set_event(world["mt_event_id"], status="registration_closed")
    assert 'data-testid="request-meeting"' in client.get(f"/products/{product_id}").get_data(
        as_text=True)
    set_event(world["mt_event_id"], starts_at=meetings.utcnow() - timedelta(hours=1))
    assert f"/events/{world['mt_event_id']}/meetings/request/" not in client.get(
        f"/products/{product_id}").get_data(as_text=True)


def test_the_product_page_shows_a_full_cap_instead_of_the_button(app, world, count_queries):
    from tests.access_matching import take_part

    product_id = ident(world["product"])
    other = factories.make_organisation("HTX Chè Thanh Chương", Side.PRODUCER)
    match_event = db.session.get(Event, world["match_event_id"])
    take_part(match_event, other, P)
    set_event(world["match_event_id"], meeting_cap=1)
    ask(db.session.get(Event, world["match_event_id"]), other, world["match_reg_b"])
    client = client_for(app, world["member_b"])
    with count_queries() as counter:
        page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert counter.count <= 5, counter.statements
    target = meeting_targets(page)[world["match_event_id"]]
    assert request_state_of(target) == "cap_self" and "Cap reached" in target
    assert "/meetings/request/" not in target


@pytest.mark.parametrize("how", ["cancel", "reject"])
def test_a_registration_that_leaves_the_event_takes_its_open_meetings_with_it(app, world, how):
    """Its requested or accepted meetings are cancelled (the counterpart is told), so they no
    longer hold the counterpart's cap or a slot."""
    from matchmaker.events import registration as registrations
    from matchmaker.events.models import Registration

    event = meeting_event()
    org_a, org_b = world["org_a"], world["org_b"]
    producer_id = register_org(event, org_a)
    distributor_id = register_org(event, org_b, side=D)
    meeting_id = ask(event, org_b, producer_id)
    db.session.rollback()
    with write_transaction():
        producer = db.session.get(Registration, producer_id)
        if how == "cancel":
            registrations.cancel(producer, None, "Bận việc")
        else:
            registrations.reject(producer, None, "Không đủ hồ sơ")
        db.session.commit()
    assert meeting(meeting_id).status == "cancelled"
    assert history_of(meeting_id)[-1][:2] == ("requested", "cancelled")
    assert [n.kind for n in notifications_of(world["member_b"])][-1] == "meeting.cancelled"
    assert distributor_id  # the distributor stays registered
