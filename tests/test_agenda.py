"""Participants' agendas: shown once published, in Vietnam time, with the counterpart's
products or needs; the .ics file parses back with the right zone and times; a member sees
only their own organisation's agenda."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa

import tests.access  # noqa: F401  (loads the access modules in order)
from matchmaker.extensions import db
from matchmaker.meetings.models import TimeSlot
from matchmaker.organisations.models import Side
from tests import factories
from tests.access_events import make_event
from tests.access_meeting_schedule import (
    add_meetings,
    approved_registration,
    place,
    set_schedule_status,
    slot_ids,
)
from tests.access_needs import make_need
from tests.access_products import make_product
from tests.conftest import client_for

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def agenda_world(users, app_ctx):
    """A (producer, with a product) meets B (distributor, with a need) in slot 1 at table 2,
    and D (another distributor) in slot 0 at table 1; B also meets C. Provisional."""
    org_a, org_b = users["member_a"].organisation, users["member_b"].organisation
    org_c = factories.make_organisation("Cơ sở nước mắm Cửa Lò", Side.PRODUCER)
    org_d = factories.make_organisation("Siêu thị Vinh Mart", Side.DISTRIBUTOR)
    product = make_product(org_a, "Nước mắm Vạn Phần 40 độ đạm")
    need = make_need(org_b, "Gia vị cho chuỗi siêu thị")
    event_id = sa.inspect(make_event("Hội nghị kết nối cung cầu Nghệ An", table_count=3)
                          ).identity[0]
    a = approved_registration(event_id, org_a, "producer",
                              product_ids=[sa.inspect(product).identity[0]])
    b = approved_registration(event_id, org_b, "distributor",
                              need_ids=[sa.inspect(need).identity[0]])
    c = approved_registration(event_id, org_c, "producer")
    d = approved_registration(event_id, org_d, "distributor")
    ab, ad, cb = add_meetings(event_id, [(a, b), (a, d), (c, b)])
    slots = slot_ids(event_id)
    place(ab, slots[1], 2)
    place(ad, slots[0], 1)
    place(cb, slots[0], 3)
    set_schedule_status(event_id, "provisional")
    return {"event_id": event_id, "a": a, "b": b, "ab": ab, "ad": ad, "cb": cb,
            "slots": slots}


def slot_start(slot_id):
    db.session.rollback()
    start = db.session.get(TimeSlot, slot_id).starts_at
    db.session.rollback()
    return start


def test_agenda_says_not_published_before_publication(agenda_world, users, app):
    page = client_for(app, users["member_a"]).get(
        f"/events/{agenda_world['event_id']}/agenda").get_data(as_text=True)
    assert 'data-testid="not-published"' in page
    assert "Siêu thị Đô Lương" not in page
    assert 'data-testid="ics-link"' not in page


def test_agenda_shows_meetings_in_vietnam_time(agenda_world, users, app):
    set_schedule_status(agenda_world["event_id"], "published")
    page = client_for(app, users["member_a"]).get(
        f"/events/{agenda_world['event_id']}/agenda").get_data(as_text=True)
    # Slot 0 is 01:30 UTC = 08:30 in Vietnam; slot 1 is 08:55.
    assert slot_start(agenda_world["slots"][0]).hour == 1
    times = [part.split("<")[0] for part in page.split('data-testid="agenda-time">')[1:]]
    assert times == ["08:30–08:50", "08:55–09:15"]
    first, second = page.index("Siêu thị Vinh Mart"), page.index("Siêu thị Đô Lương")
    assert first < second  # time order
    assert "Gia vị cho chuỗi siêu thị" in page  # B's need, shown to the producer
    assert "Their sourcing needs" in page
    assert "Cơ sở nước mắm Cửa Lò" not in page  # C–B is not A's meeting


def test_distributor_sees_the_producers_products(agenda_world, users, app):
    set_schedule_status(agenda_world["event_id"], "published")
    page = client_for(app, users["member_b"]).get(
        f"/events/{agenda_world['event_id']}/agenda").get_data(as_text=True)
    assert "Nước mắm Vạn Phần 40 độ đạm" in page
    assert "Cơ sở nước mắm Cửa Lò" in page  # B's own meeting with C
    assert "Siêu thị Vinh Mart" not in page  # A–D is not B's
    # Asking for A's agenda is refused.
    response = client_for(app, users["member_b"]).get(
        f"/events/{agenda_world['event_id']}/agenda?registration={agenda_world['a']}")
    assert response.status_code == 403


def test_staff_choose_a_participant_and_preview_a_provisional_agenda(agenda_world, users,
                                                                      app):
    client = client_for(app, users["organiser"])
    page = client.get(f"/events/{agenda_world['event_id']}/agenda").get_data(as_text=True)
    assert f"registration={agenda_world['a']}" in page
    page = client.get(f"/events/{agenda_world['event_id']}/agenda"
                      f"?registration={agenda_world['a']}").get_data(as_text=True)
    assert "Provisional schedule: the participants do not see it yet." in page
    assert "08:30–08:50" in page


def _ics(client, event_id, query=""):
    response = client.get(f"/events/{event_id}/agenda.ics{query}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    return icalendar.Calendar.from_ical(response.get_data())


def test_ics_parses_back_with_vietnam_times(agenda_world, users, app):
    set_schedule_status(agenda_world["event_id"], "published")
    client = client_for(app, users["member_a"])
    cal = _ics(client, agenda_world["event_id"])
    timezones = list(cal.walk("VTIMEZONE"))
    assert [str(tz["TZID"]) for tz in timezones] == ["Asia/Ho_Chi_Minh"]
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2
    first = events[0]
    start, end = first.decoded("DTSTART"), first.decoded("DTEND")
    assert first["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert start.utcoffset() == timedelta(hours=7)
    assert (start.hour, start.minute) == (8, 30)
    assert start.astimezone(UTC) == slot_start(agenda_world["slots"][0])
    assert end - start == timedelta(minutes=20)
    assert "Siêu thị Vinh Mart" in str(first["SUMMARY"])
    assert str(first["LOCATION"]) == "Trung tâm Hội nghị tỉnh, Vinh, table 1"
    assert "Asia/Ho_Chi_Minh" in (cal.to_ical().decode())
    second = events[1]
    assert "Siêu thị Đô Lương" in str(second["SUMMARY"])
    assert "table 2" in str(second["LOCATION"])
    assert datetime(2000, 1, 1, tzinfo=VN) < second.decoded("DTSTART")


def test_ics_uids_are_stable_when_a_meeting_moves(agenda_world, users, app, no_csrf):
    set_schedule_status(agenda_world["event_id"], "published")
    client = client_for(app, users["member_a"])
    before = {str(e["UID"]): e for e in _ics(client, agenda_world["event_id"]).walk("VEVENT")}
    assert len(before) == 2
    # The organiser moves A–B to slot 5; the same UID, a later time, a higher SEQUENCE.
    staff = client_for(app, users["organiser"])
    assert staff.post(f"/events/{agenda_world['event_id']}/schedule/move",
                      data={"meeting": agenda_world["ab"], "slot": agenda_world["slots"][5],
                            "table": 1}).status_code == 302
    after = {str(e["UID"]): e for e in _ics(client, agenda_world["event_id"]).walk("VEVENT")}
    assert set(after) == set(before)
    uid = next(u for u in after if u.startswith(f"meeting-{agenda_world['ab']}-"))
    assert after[uid].decoded("DTSTART") > before[uid].decoded("DTSTART")
    assert int(after[uid]["SEQUENCE"]) >= int(before[uid]["SEQUENCE"])


def test_ics_is_refused_before_publication_and_to_others(agenda_world, users, app):
    event_id = agenda_world["event_id"]
    assert client_for(app, users["member_a"]).get(
        f"/events/{event_id}/agenda.ics").status_code == 404
    set_schedule_status(event_id, "published")
    assert client_for(app, users["member_b"]).get(
        f"/events/{event_id}/agenda.ics?registration={agenda_world['a']}").status_code == 403
    # Staff download any participant's.
    cal = _ics(client_for(app, users["admin"]), event_id,
               f"?registration={agenda_world['b']}")
    assert len(list(cal.walk("VEVENT"))) == 2


def test_member_of_an_unregistered_organisation_is_refused(agenda_world, users, app):
    outsider = factories.make_user(
        organisation=factories.make_organisation("Công ty TNHH Thương mại Hà Tĩnh",
                                                 Side.DISTRIBUTOR))
    set_schedule_status(agenda_world["event_id"], "published")
    client = client_for(app, outsider)
    assert client.get(f"/events/{agenda_world['event_id']}/agenda").status_code == 403
    assert client.get(f"/events/{agenda_world['event_id']}/agenda.ics").status_code == 403
    assert client_for(app, users["member_a"]).get("/events/999999/agenda").status_code == 404


def test_agenda_in_vietnamese(agenda_world, users, app):
    set_schedule_status(agenda_world["event_id"], "published")
    page = client_for(app, users["member_a"], lang="vi").get(
        f"/events/{agenda_world['event_id']}/agenda").get_data(as_text=True)
    assert "08:30–08:50" in page
    assert "Lịch hẹn gặp của bạn" in page
