"""The organiser's schedule workflow: generate (optimal, unavailability respected), move,
swap, take out, publish (notifications), place new meetings, held / no-show, the
``flask schedule`` command, and concurrent edits that cannot double-book."""

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import tests.access  # noqa: F401  (loads the access modules in order)
from matchmaker.db import write_transaction
from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject
from matchmaker.meetings import scheduler, scheduling
from matchmaker.meetings.cli import schedule_command
from matchmaker.meetings.models import Meeting, SlotUnavailability, TimeSlot
from matchmaker.notifications.models import Notification
from matchmaker.organisations.models import Side
from tests import factories
from tests.access_events import make_event
from tests.access_meeting_schedule import (
    add_meetings,
    approved_registration,
    place,
    slot_ids,
)
from tests.conftest import client_for


def small_event(users, producers=4, distributors=4, tables=3, pairs=None):
    """An event with organisation A as the first producer and B as the first distributor,
    the others new organisations, and accepted meetings for ``pairs`` of indexes (every
    producer × distributor by default). Returns a dict of ids."""
    event_id = sa.inspect(make_event("Hội nghị kết nối cung cầu Nghệ An", table_count=tables)
                          ).identity[0]
    orgs_p = [users["member_a"].organisation] + [
        factories.make_organisation(f"Cơ sở sản xuất {i}", Side.PRODUCER)
        for i in range(1, producers)]
    orgs_d = [users["member_b"].organisation] + [
        factories.make_organisation(f"Nhà phân phối {i}", Side.DISTRIBUTOR)
        for i in range(1, distributors)]
    p_regs = [approved_registration(event_id, o, "producer") for o in orgs_p]
    d_regs = [approved_registration(event_id, o, "distributor") for o in orgs_d]
    if pairs is None:
        pairs = [(i, j) for i in range(producers) for j in range(distributors)]
    meetings = add_meetings(event_id, [(p_regs[i], d_regs[j]) for i, j in pairs])
    return {"event_id": event_id, "p": p_regs, "d": d_regs, "meetings": meetings,
            "pairs": pairs}


def generate(event_id, place_new=False):
    db.session.rollback()
    with write_transaction():
        result = scheduling.generate(event_id, None, place_new=place_new)
        db.session.commit()
    return result


def rows(event_id):
    """``{meeting_id: (status, slot position or None, table)}`` fresh from the database."""
    db.session.rollback()
    found = db.session.execute(
        sa.select(Meeting.id, Meeting.status, TimeSlot.position, Meeting.table_number)
        .outerjoin(TimeSlot, TimeSlot.id == Meeting.time_slot_id)
        .where(Meeting.event_id == event_id)).all()
    db.session.rollback()
    return {mid: (status, pos, table) for mid, status, pos, table in found}


def validate_rows(event_id, tables):
    """Everything scheduler.validate finds wrong with the stored schedule."""
    db.session.rollback()
    slots = list(db.session.scalars(sa.select(TimeSlot).where(TimeSlot.event_id == event_id)
                                    .order_by(TimeSlot.position)))
    index = {s.id: i for i, s in enumerate(slots)}
    meetings = list(db.session.scalars(sa.select(Meeting).where(Meeting.event_id == event_id)))
    unavailable = {}
    for reg_id, slot_id in db.session.execute(sa.select(
            SlotUnavailability.registration_id, SlotUnavailability.time_slot_id)):
        for m in meetings:
            if m.producer_registration_id == reg_id:
                unavailable.setdefault((scheduler.PRODUCER, reg_id), set()).add(index[slot_id])
            if m.distributor_registration_id == reg_id:
                unavailable.setdefault((scheduler.DISTRIBUTOR, reg_id), set()).add(
                    index[slot_id])
    tuples = [(m.id, m.producer_registration_id, m.distributor_registration_id)
              for m in meetings]
    placed = {m.id: (index[m.time_slot_id], m.table_number) for m in meetings
              if m.time_slot_id is not None}
    result = scheduler.Schedule(
        placed, [(m.id, scheduler.NO_SLOT_LEFT) for m in meetings if m.id not in placed],
        max((s for s, _t in placed.values()), default=-1) + 1,
        scheduler.lower_bound(tuples, tables))
    problems = scheduler.validate(result, tuples, tables, len(slots), unavailable)
    db.session.rollback()
    return problems, result


def history_count(meeting_id):
    db.session.rollback()
    n = db.session.scalar(sa.select(sa.func.count(StatusChange.id)).where(
        StatusChange.subject_type == Subject.MEETING.value,
        StatusChange.subject_id == meeting_id))
    db.session.rollback()
    return n


def notifications(kind):
    db.session.rollback()
    found = db.session.execute(sa.select(Notification.user_id, Notification.params)
                               .where(Notification.kind == kind)).all()
    db.session.rollback()
    return found


def mark_unavailable(registration_id, slot_positions, event_id):
    slots = slot_ids(event_id)
    db.session.rollback()
    with write_transaction():
        db.session.add_all(SlotUnavailability(registration_id=registration_id,
                                              time_slot_id=slots[i]) for i in slot_positions)
        db.session.commit()


# ------------------------------------------------------------------------- generate


def test_generate_reaches_the_lower_bound_and_writes_a_valid_schedule(users, app_ctx):
    ev = small_event(users)  # 16 meetings, Δ = 4, 3 tables: ⌈16/3⌉ = 6 slots
    result = generate(ev["event_id"])
    assert result.lower_bound == 6
    assert result.slots_used == result.lower_bound
    assert result.placed == 16 and not result.unplaced
    problems, stored = validate_rows(ev["event_id"], 3)
    assert problems == []
    assert len(stored.placed) == 16 and stored.slots_used == 6
    assert {status for status, _p, _t in rows(ev["event_id"]).values()} == {"scheduled"}
    db.session.rollback()
    assert db.session.get(Event, ev["event_id"]).schedule_status == "provisional"
    # Each placement is in the history (accepted → scheduled).
    assert history_count(ev["meetings"][0]) == 1


def test_generating_again_replaces_the_provisional_schedule(users, app_ctx):
    ev = small_event(users, producers=2, distributors=2, tables=1)
    generate(ev["event_id"])
    first = rows(ev["event_id"])
    # Move one meeting by hand to a far slot; generating again brings it back.
    slots = slot_ids(ev["event_id"])
    db.session.rollback()
    with write_transaction():
        scheduling.move(ev["event_id"], ev["meetings"][0], slots[10], 1, None)
        db.session.commit()
    assert rows(ev["event_id"])[ev["meetings"][0]][1] == 10
    result = generate(ev["event_id"])
    assert result.slots_used == 4 == result.lower_bound
    assert rows(ev["event_id"]) == first
    assert validate_rows(ev["event_id"], 1)[0] == []
    # Placed again: no new history row (only the first placement).
    assert history_count(ev["meetings"][1]) == 1


def test_unavailability_is_respected(users, app_ctx):
    ev = small_event(users, producers=2, distributors=3, tables=2)
    a, b = ev["p"][0], ev["d"][0]
    mark_unavailable(a, range(0, 4), ev["event_id"])
    mark_unavailable(b, [4, 5], ev["event_id"])
    result = generate(ev["event_id"])
    assert not result.unplaced
    problems, stored = validate_rows(ev["event_id"], 2)
    assert problems == []
    db.session.rollback()
    for m in db.session.scalars(sa.select(Meeting).where(Meeting.event_id == ev["event_id"])):
        position = stored.placed[m.id][0]
        if m.producer_registration_id == a:
            assert position >= 4
        if m.distributor_registration_id == b:
            assert position not in (4, 5)
    db.session.rollback()


def test_meetings_that_cannot_be_placed_are_listed_with_reasons(users, app_ctx, app):
    ev = small_event(users, producers=1, distributors=3, tables=2)
    # A is free in one slot only but has three meetings.
    total = len(slot_ids(ev["event_id"]))
    mark_unavailable(ev["p"][0], range(1, total), ev["event_id"])
    result = generate(ev["event_id"])
    assert result.placed == 1 and len(result.unplaced) == 2
    assert {p.reason for p in result.unplaced} == {scheduler.PARTICIPANT_FULL}
    assert all(p.who == ["Công ty CP Thực phẩm Nghệ An"] for p in result.unplaced)
    page = client_for(app, users["organiser"]).get(
        f"/events/{ev['event_id']}/schedule").get_data(as_text=True)
    assert "One side has more meetings than slots it is free in." in page
    assert 'data-testid="count-unplaced">2<' in page


def test_schedule_page_shows_the_grid_within_the_budget(users, app_ctx, app, count_queries):
    ev = small_event(users)
    generate(ev["event_id"])
    client = client_for(app, users["organiser"])
    with count_queries() as counter:
        page = client.get(f"/events/{ev['event_id']}/schedule").get_data(as_text=True)
    assert counter.count <= 5, counter.statements
    assert 'data-testid="slots-used">6 / 15<' in page
    assert 'data-testid="lower-bound">6<' in page
    assert page.count('class="schedule-cell status-scheduled"') == 16
    assert "08:30–08:50" in page  # Vietnam time (slot 0 starts 01:30 UTC)
    assert "Nhà phân phối 3" in page
    assert "@page" not in page  # print rules live in the stylesheet


def test_page_lists_accepted_meetings_waiting_for_a_place(users, app_ctx, app):
    ev = small_event(users, producers=2, distributors=2, tables=2, pairs=[(0, 0)])
    generate(ev["event_id"])
    (late,) = add_meetings(ev["event_id"], [(ev["p"][1], ev["d"][1])])
    page = client_for(app, users["organiser"]).get(
        f"/events/{ev['event_id']}/schedule").get_data(as_text=True)
    assert f'data-testid="unplaced-{late}"' in page
    assert "Not placed yet" in page


def test_generate_without_sessions_is_refused(users, app_ctx, app, no_csrf):
    event_id = sa.inspect(make_event("Hội nghị không có phiên", sessions=False)).identity[0]
    client = client_for(app, users["organiser"])
    response = client.post(f"/events/{event_id}/schedule/generate", follow_redirects=True)
    assert "The event has no meeting slots" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Event, event_id).schedule_status == "none"
    db.session.rollback()


# ------------------------------------------------------------------- move and swap


@pytest.fixture
def placed(users, app_ctx):
    """A–B slot 0 table 1, C–D slot 0 table 2, A–D slot 1 table 1 placed; C–B accepted."""
    ev = small_event(users, producers=2, distributors=2, tables=3,
                     pairs=[(0, 0), (1, 1), (0, 1), (1, 0)])
    slots = slot_ids(ev["event_id"])
    ab, cd, ad, cb = ev["meetings"]
    place(ab, slots[0], 1)
    place(cd, slots[0], 2)
    place(ad, slots[1], 1)
    ev.update(slots=slots, ab=ab, cd=cd, ad=ad, cb=cb)
    return ev


def _move(client, ev, meeting, slot, table):
    return client.post(f"/events/{ev['event_id']}/schedule/move",
                       data={"meeting": meeting, "slot": ev["slots"][slot], "table": table})


def test_move_into_a_taken_table_is_refused(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    response = _move(client, ev, ev["cb"], 0, 1)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Table 1 is taken in that slot by meeting no. {ev['ab']}" in page
    assert 'data-testid="error-move"' in page
    assert rows(ev["event_id"])[ev["cb"]] == ("accepted", None, None)


def test_move_double_booking_a_participant_is_refused(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    # C–B into slot 0 table 3: C (and B) already meet then.
    page = _move(client, ev, ev["cb"], 0, 3).get_data(as_text=True)
    assert "already has meeting no." in page
    assert rows(ev["event_id"])[ev["cb"]] == ("accepted", None, None)


def test_move_into_an_unavailable_slot_is_refused(placed, users, app, no_csrf):
    ev = placed
    mark_unavailable(ev["d"][0], [2], ev["event_id"])  # B cannot meet in slot 2
    client = client_for(app, users["organiser"])
    page = _move(client, ev, ev["cb"], 2, 1).get_data(as_text=True)
    assert "Siêu thị Đô Lương marked that slot as unavailable." in page
    assert rows(ev["event_id"])[ev["cb"]] == ("accepted", None, None)


def test_move_with_a_bad_table_is_refused_next_to_the_form(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    page = _move(client, ev, ev["cb"], 2, 9).get_data(as_text=True)
    assert "Choose a table from 1 to 3." in page
    page = client.post(f"/events/{ev['event_id']}/schedule/move",
                       data={"meeting": ev["cb"], "slot": "", "table": "x"}
                       ).get_data(as_text=True)
    assert "Choose a meeting, a time slot and a table number." in page
    # The choice made is kept.
    assert f'<option value="{ev["cb"]}" selected>' in page


def test_move_places_an_accepted_meeting_and_records_it(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    response = _move(client, ev, ev["cb"], 1, 2)
    assert response.status_code == 302
    assert rows(ev["event_id"])[ev["cb"]] == ("scheduled", 1, 2)
    assert history_count(ev["cb"]) == 1
    assert validate_rows(ev["event_id"], 3)[0] == []
    # Moving a placed meeting keeps its status and adds no history.
    assert _move(client, ev, ev["ab"], 3, 3).status_code == 302
    assert rows(ev["event_id"])[ev["ab"]] == ("scheduled", 3, 3)
    assert history_count(ev["ab"]) == 0


def test_next_pick_keeps_the_rest_of_the_selection():
    from matchmaker.meetings.routes_schedule import next_pick

    empty = dict.fromkeys(("meeting", "slot", "table", "first", "second"))
    placed = {1, 2, 3}
    # A meeting, then a cell: both kept (and the meeting is the swap's first).
    state = next_pick(empty, placed, meeting=1)
    assert state == {**empty, "meeting": 1, "first": 1}
    state = next_pick(state, placed, slot=40, table=2)
    assert state == {"meeting": 1, "slot": 40, "table": 2, "first": 1, "second": None}
    # A cell, then a meeting: both kept.
    state = next_pick(next_pick(empty, placed, slot=40, table=2), placed, meeting=4)
    assert state == {"meeting": 4, "slot": 40, "table": 2, "first": None, "second": None}
    # Two placed meetings: offered for a swap, the first still chosen.
    state = next_pick(next_pick(empty, placed, meeting=1), placed, meeting=2)
    assert state == {**empty, "meeting": 1, "first": 1, "second": 2}
    # Clicking the chosen one again: just that one.
    assert next_pick(state, placed, meeting=1) == {**empty, "meeting": 1, "first": 1}
    # An unplaced meeting after a placed one: it becomes the chosen one.
    assert next_pick(state, placed, meeting=4) == {**empty, "meeting": 4}


def test_grid_links_carry_the_whole_selection(placed, users, app, no_csrf):
    """Without JavaScript too: each link of the grid keeps what was chosen before, and a
    refused move comes back with everything still chosen."""
    ev = placed
    client = client_for(app, users["organiser"])
    base = f"/events/{ev['event_id']}/schedule"
    free_slot = ev["slots"][1]  # slot 1: A–D at table 1; tables 2 and 3 free
    # A target cell first: the meeting links keep it.
    html = client.get(f"{base}?slot={free_slot}&table=3").get_data(as_text=True)
    assert 'data-picked="cell"' in html
    cell = html.split(f'data-meeting="{ev["cd"]}"')[0].rsplit("<a ", 1)[1]
    assert f"slot={free_slot}" in cell and "table=3" in cell and f"meeting={ev['cd']}" in cell
    assert "Table 3 at" in html and "chosen" in html
    # Then the meeting: the bar offers the move, the form holds all three.
    html = client.get(f"{base}?meeting={ev['cd']}&slot={free_slot}&table=3&first={ev['cd']}"
                      ).get_data(as_text=True)
    assert 'data-testid="pick-move"' in html
    assert f'<option value="{ev["cd"]}" selected' in html
    assert f'<option value="{free_slot}" selected' in html
    # Another placed meeting is offered for a swap with the chosen one.
    link = html.split(f'data-meeting="{ev["ab"]}"')[0].rsplit("<a ", 1)[1]
    assert f"first={ev['cd']}" in link and f"second={ev['ab']}" in link
    assert f"slot={free_slot}" in link
    # A refused move (D meets A in slot 1) keeps the selection, swap choice included.
    response = client.post(f"{base}/move", data={
        "meeting": ev["cd"], "slot": free_slot, "table": 3,
        "first": ev["cd"], "second": ev["ab"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="error-move"' in html
    assert 'data-testid="pick-swap"' in html  # first and second kept
    swap_form = html.split('data-testid="swap-form"')[1].split("</form>")[0]
    assert f'<option value="{ev["ab"]}" selected' in swap_form
    move_form = html.split('data-testid="move-form"')[1].split("</form>")[0]
    assert f'<option value="{ev["cd"]}" selected' in move_form
    assert f'<option value="{free_slot}" selected' in move_form


def test_swap_exchanges_two_meetings(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    _move(client, ev, ev["cb"], 2, 3)  # C–B at slot 2 table 3
    response = client.post(f"/events/{ev['event_id']}/schedule/swap",
                           data={"first": ev["ad"], "second": ev["cb"]})
    assert response.status_code == 302
    now = rows(ev["event_id"])
    assert now[ev["ad"]] == ("scheduled", 2, 3)
    assert now[ev["cb"]] == ("scheduled", 1, 1)
    assert history_count(ev["ad"]) == 0  # no status changed
    assert validate_rows(ev["event_id"], 3)[0] == []


def test_swap_that_would_double_book_is_refused(placed, users, app, no_csrf):
    ev = placed
    _move(client_for(app, users["organiser"]), ev, ev["cb"], 2, 1)  # C–B at slot 2
    client = client_for(app, users["organiser"])
    # A–D (slot 1) ⇄ C–B (slot 2): fine. A–B (slot 0) ⇄ C–B (slot 2): C meets C–D in slot 0.
    page = client.post(f"/events/{ev['event_id']}/schedule/swap",
                       data={"first": ev["ab"], "second": ev["cb"]}).get_data(as_text=True)
    assert f"already has meeting no. {ev['cd']} in that slot" in page
    assert rows(ev["event_id"])[ev["ab"]] == ("scheduled", 0, 1)
    assert rows(ev["event_id"])[ev["cb"]] == ("scheduled", 2, 1)


def test_unplace_takes_a_meeting_out(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    response = client.post(f"/events/{ev['event_id']}/schedule/unplace",
                           data={"meeting": ev["ad"]})
    assert response.status_code == 302
    assert rows(ev["event_id"])[ev["ad"]] == ("accepted", None, None)
    assert history_count(ev["ad"]) == 1


# -------------------------------------------------------------------------- publish


def test_publish_notifies_both_parties_and_freezes_generation(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    assert client.post(f"/events/{ev['event_id']}/schedule/publish").status_code == 302
    db.session.rollback()
    event = db.session.get(Event, ev["event_id"])
    assert event.schedule_status == "published" and event.schedule_published_at is not None
    db.session.rollback()
    told = {uid: params for uid, params in notifications("schedule.published")}
    member_a, member_b = (sa.inspect(users[k]).identity[0] for k in ("member_a", "member_b"))
    assert told[member_a]["count"] == 2  # A–B and A–D
    assert told[member_b]["count"] == 1  # A–B (C–B is not placed)
    # Generating again is refused; the schedule stays.
    before = rows(ev["event_id"])
    response = client.post(f"/events/{ev['event_id']}/schedule/generate",
                           follow_redirects=True)
    assert "The schedule is published" in response.get_data(as_text=True)
    assert rows(ev["event_id"]) == before


def test_changes_after_publication_notify_both_sides(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    client.post(f"/events/{ev['event_id']}/schedule/publish")
    assert _move(client, ev, ev["ab"], 4, 2).status_code == 302
    moved = notifications("meeting.moved")
    member_a, member_b = (sa.inspect(users[k]).identity[0] for k in ("member_a", "member_b"))
    assert {uid for uid, _p in moved} == {member_a, member_b}
    params = dict(moved)[member_a]
    assert params["counterpart"] == "Siêu thị Đô Lương" and params["table"] == 2
    assert params["meeting_id"] == ev["ab"]
    # A swap tells both sides of both meetings.
    client.post(f"/events/{ev['event_id']}/schedule/swap",
                data={"first": ev["ab"], "second": ev["ad"]})
    assert len(notifications("meeting.moved")) == 2 + 3  # A twice, B, and D's (no member)
    # Taking a published meeting out is refused.
    page = client.post(f"/events/{ev['event_id']}/schedule/unplace",
                       data={"meeting": ev["ad"]}).get_data(as_text=True)
    assert "The schedule is published" in page


def test_place_new_keeps_published_meetings(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    client.post(f"/events/{ev['event_id']}/schedule/publish")
    before = rows(ev["event_id"])
    response = client.post(f"/events/{ev['event_id']}/schedule/generate",
                           data={"place_new": "1"})
    assert response.status_code == 302
    after = rows(ev["event_id"])
    for mid in (ev["ab"], ev["cd"], ev["ad"]):
        assert after[mid] == before[mid]
    assert after[ev["cb"]][0] == "scheduled"
    assert validate_rows(ev["event_id"], 3)[0] == []
    member_b = sa.inspect(users["member_b"]).identity[0]
    assert [p["meeting_id"] for uid, p in notifications("meeting.scheduled")
            if uid == member_b] == [ev["cb"]]


def test_place_new_reports_the_meetings_it_placed_not_the_total(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    client.post(f"/events/{ev['event_id']}/schedule/publish")
    page = client.post(f"/events/{ev['event_id']}/schedule/generate", data={"place_new": "1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "1 new meeting placed; 0 not placed." in page  # C–B only
    assert "4 meetings placed" not in page
    # Nothing left to place: none placed now, whatever the schedule holds.
    page = client.post(f"/events/{ev['event_id']}/schedule/generate", data={"place_new": "1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "0 new meetings placed; 0 not placed." in page


def test_publish_with_nothing_placed_is_refused(users, app_ctx, app, no_csrf):
    ev = small_event(users, producers=1, distributors=1, tables=1)
    client = client_for(app, users["organiser"])
    page = client.post(f"/events/{ev['event_id']}/schedule/publish",
                       follow_redirects=True).get_data(as_text=True)
    assert "No meeting is placed yet: generate the schedule first." in page
    db.session.rollback()
    assert db.session.get(Event, ev["event_id"]).schedule_status == "none"
    db.session.rollback()


# ---------------------------------------------------------------- held and no-show


def _start_event_now(event_id):
    from datetime import timedelta

    from matchmaker.timeutil import utcnow

    db.session.rollback()
    event = db.session.get(Event, event_id)
    event.starts_at = utcnow() - timedelta(minutes=5)
    event.registration_closes_at = min(event.registration_closes_at, event.starts_at)
    event.registration_opens_at = min(event.registration_opens_at,
                                      event.starts_at - timedelta(days=1))
    db.session.commit()


def test_held_and_no_show(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    url = f"/events/{ev['event_id']}/schedule/outcome"
    # Not before publication.
    page = client.post(url, data={"meeting": ev["ab"], "outcome": "held"}
                       ).get_data(as_text=True)
    assert "once the schedule is published" in page
    assert rows(ev["event_id"])[ev["ab"]][0] == "scheduled"
    client.post(f"/events/{ev['event_id']}/schedule/publish")
    # Not before the event starts either (a new user marked meetings held a month early).
    page = client.post(url, data={"meeting": ev["ab"], "outcome": "held"}
                       ).get_data(as_text=True)
    assert "once the event has started" in page
    _start_event_now(ev["event_id"])
    assert client.post(url, data={"meeting": ev["ab"], "outcome": "held",
                                  "note": "Ký biên bản ghi nhớ 2.000 chai/tháng"}
                       ).status_code == 302
    assert client.post(url, data={"meeting": ev["cd"], "outcome": "no_show"}
                       ).status_code == 302
    now = rows(ev["event_id"])
    assert now[ev["ab"]] == ("held", 0, 1) and now[ev["cd"]] == ("no_show", 0, 2)
    db.session.rollback()
    assert db.session.get(Meeting, ev["ab"]).outcome_note.startswith("Ký biên bản")
    change = db.session.scalars(sa.select(StatusChange).where(
        StatusChange.subject_type == "meeting", StatusChange.subject_id == ev["ab"])).one()
    assert (change.from_status, change.to_status) == ("scheduled", "held")
    assert change.note.startswith("Ký biên bản")
    db.session.rollback()
    # Undo, and a meeting without a place cannot be marked.
    assert client.post(url, data={"meeting": ev["cd"], "outcome": "scheduled"}
                       ).status_code == 302
    assert rows(ev["event_id"])[ev["cd"]][0] == "scheduled"
    page = client.post(url, data={"meeting": ev["cb"], "outcome": "held"}
                       ).get_data(as_text=True)
    assert "cannot be marked like that" in page
    # The grid shows the outcome.
    page = client.get(f"/events/{ev['event_id']}/schedule").get_data(as_text=True)
    assert "status-held" in page


def test_outcome_for_another_events_meeting_is_refused(placed, users, app, no_csrf):
    ev = placed
    event_id = sa.inspect(make_event("Hội nghị khác")).identity[0]
    client = client_for(app, users["organiser"])
    client.post(f"/events/{ev['event_id']}/schedule/publish")
    page = client.post(f"/events/{event_id}/schedule/outcome",
                       data={"meeting": ev["ab"], "outcome": "held"}).get_data(as_text=True)
    assert "This meeting is not one of this event" in page
    assert rows(ev["event_id"])[ev["ab"]][0] == "scheduled"


# ------------------------------------------------------------------------------ CLI


def test_flask_schedule_prints_the_figures(users, app_ctx, app):
    ev = small_event(users, producers=2, distributors=3, tables=2)
    total = len(slot_ids(ev["event_id"]))
    mark_unavailable(ev["p"][0], range(1, total), ev["event_id"])  # A: one free slot
    result = app.test_cli_runner().invoke(schedule_command, [str(ev["event_id"])])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "slots used: 3"
    assert lines[1] == "lower bound: 3"
    assert lines[2] == "unplaced: 2"
    assert lines[3].startswith(f"  meeting {ev['meetings'][1]}: Công ty CP Thực phẩm Nghệ An")
    assert "participant_full" in lines[3]
    assert "saved as provisional" in lines[-1]
    assert sum(1 for s, _p, _t in rows(ev["event_id"]).values() if s == "scheduled") == 4


def test_flask_schedule_refuses_a_published_schedule(placed, app):
    ev = placed
    from tests.access_meeting_schedule import set_schedule_status

    set_schedule_status(ev["event_id"], "published")
    runner = app.test_cli_runner()
    result = runner.invoke(schedule_command, [str(ev["event_id"])])
    assert result.exit_code != 0 and "published" in result.output
    result = runner.invoke(schedule_command, [str(ev["event_id"]), "--place-new"])
    assert result.exit_code == 0 and "unplaced: 0" in result.output
    result = runner.invoke(schedule_command, ["999999"])
    assert result.exit_code != 0 and "no event" in result.output


def test_flask_schedule_dry_run_saves_nothing(placed, app):
    ev = placed
    before = rows(ev["event_id"])
    result = app.test_cli_runner().invoke(schedule_command,
                                          [str(ev["event_id"]), "--dry-run"])
    assert result.exit_code == 0 and "dry run" in result.output
    assert rows(ev["event_id"]) == before


def test_flask_schedule_dry_run_works_on_a_published_schedule(placed, app):
    """A dry run saves nothing, so a published schedule is no reason to refuse it: it prints
    the figures with the meetings accepted since placed (as --place-new would)."""
    ev = placed
    from tests.access_meeting_schedule import set_schedule_status

    set_schedule_status(ev["event_id"], "published")
    before = rows(ev["event_id"])
    result = app.test_cli_runner().invoke(schedule_command,
                                          [str(ev["event_id"]), "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == ["slots used: 2", "lower bound: 2", "unplaced: 0"]
    assert "4 of 4" in lines[3] and "1 of them new" in lines[3] and "dry run" in lines[3]
    assert "published" in lines[4] and "--place-new" in lines[4]
    assert rows(ev["event_id"]) == before
    assert notifications("meeting.scheduled") == []
    # With --place-new too: the same, and still nothing saved.
    result = app.test_cli_runner().invoke(
        schedule_command, [str(ev["event_id"]), "--dry-run", "--place-new"])
    assert result.exit_code == 0 and "1 of them new" in result.output
    assert rows(ev["event_id"]) == before


# ---------------------------------------------------------------------- concurrency


def test_the_database_refuses_a_double_booking(placed):
    ev = placed
    db.session.rollback()
    meeting = db.session.get(Meeting, ev["cb"])
    meeting.status, meeting.time_slot_id, meeting.table_number = (
        "scheduled", ev["slots"][0], 1)  # A–B's table
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    meeting = db.session.get(Meeting, ev["cb"])
    meeting.status, meeting.time_slot_id, meeting.table_number = (
        "scheduled", ev["slots"][0], 3)  # free table, but C and B meet then
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_two_organisers_moving_at_once_cannot_double_book(placed, users, app, no_csrf):
    ev = placed
    clients = [client_for(app, users["organiser"]), client_for(app, users["admin"])]
    # Two different meetings (no party in common: C–B and A–D) into the same free cell.
    moves = [(ev["cb"], 5, 2), (ev["ad"], 5, 2)]
    barrier = threading.Barrier(2)
    codes = []

    def run(client, move):
        barrier.wait()
        response = _move(client, ev, *move)
        codes.append(response.status_code)

    threads = [threading.Thread(target=run, args=(c, m)) for c, m in zip(clients, moves,
                                                                         strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 302]
    now = rows(ev["event_id"])
    in_cell = [mid for mid, (_s, pos, table) in now.items() if (pos, table) == (5, 2)]
    assert len(in_cell) == 1
    assert validate_rows(ev["event_id"], 3)[0] == []


def test_concurrent_swaps_and_moves_keep_the_schedule_valid(placed, users, app, no_csrf):
    ev = placed
    clients = [client_for(app, users["organiser"]) for _ in range(4)]
    barrier = threading.Barrier(4)

    def swap(client):
        barrier.wait()
        client.post(f"/events/{ev['event_id']}/schedule/swap",
                    data={"first": ev["ab"], "second": ev["ad"]})

    def move(client, meeting, slot, table):
        barrier.wait()
        _move(client, ev, meeting, slot, table)

    threads = [threading.Thread(target=swap, args=(clients[0],)),
               threading.Thread(target=move, args=(clients[1], ev["cb"], 1, 2)),
               threading.Thread(target=move, args=(clients[2], ev["cd"], 1, 2)),
               threading.Thread(target=move, args=(clients[3], ev["cb"], 0, 3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert validate_rows(ev["event_id"], 3)[0] == []


# -------------------------------------------------------------------- notification texts


def test_schedule_notifications_render_in_the_readers_language(app):
    from flask_babel import force_locale

    from matchmaker.meetings.schedule_notify import render

    params = {"event_title": "Hội nghị OCOP", "counterpart": "Siêu thị Đô Lương",
              "starts_at": "2026-03-01T01:30:00+00:00", "table": 4}
    with app.test_request_context():
        with force_locale("en"):
            assert render("meeting.moved", params) == (
                "Your meeting with Siêu thị Đô Lương at “Hội nghị OCOP” was moved: now "
                "1 Mar 2026, 08:30, table 4.")
            assert "2 meetings" in render("schedule.published",
                                          {"event_title": "Hội nghị OCOP", "count": 2})
        with force_locale("vi"):
            assert render("meeting.scheduled", params) == (
                "Cuộc gặp của bạn với Siêu thị Đô Lương tại “Hội nghị OCOP” đã được xếp "
                "lịch: 08:30 01/03/2026, bàn 4.")
        assert render("registration.approved", {}) is None


def test_before_the_first_generation_meetings_are_waiting_and_nothing_is_stale(users, app_ctx):
    """No slots stored yet is "not generated yet": no warning that the sessions changed, and
    no "no slot left" reason (a new user read both on a fresh event)."""
    event_id = small_event(users)["event_id"]
    db.session.rollback()
    view = scheduling.board(db.session.get(Event, event_id))
    assert view.slots == [] and view.slots_stale is False
    assert view.unplaced and {p.reason for p in view.unplaced} == {
        scheduling.NOT_SCHEDULED_YET}


def test_a_held_meeting_is_history_and_does_not_move(placed, users, app, no_csrf):
    ev = placed
    client = client_for(app, users["organiser"])
    client.post(f"/events/{ev['event_id']}/schedule/publish")
    _start_event_now(ev["event_id"])
    client.post(f"/events/{ev['event_id']}/schedule/outcome",
                data={"meeting": ev["ab"], "outcome": "held"})
    page = _move(client, ev, ev["ab"], 2, 3).get_data(as_text=True)
    assert "already taken place" in page
    assert rows(ev["event_id"])[ev["ab"]] == ("held", 0, 1)


# --------------------------------------------------------------------------- agendas


def test_agenda_says_why_before_the_registration_is_approved(users, app, app_ctx):
    from tests.access_registrations import register_org

    event = make_event("Hội nghị giao thương Vinh", requires_approval=True)
    event_id = sa.inspect(event).identity[0]
    reg_a = approved_registration(event_id, users["member_a"].organisation, "producer")
    client = client_for(app, users["member_b"])
    # Not registered: still refused (403), but with a page that says why and how to register.
    response = client.get(f"/events/{event_id}/agenda")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert 'data-registration="none"' in html
    assert "Your organisation is not registered at this event." in html
    assert f"/events/{event_id}/register" in html
    # Another organisation's agenda: the plain refusal, nothing about that organisation.
    response = client.get(f"/events/{event_id}/agenda?registration={reg_a}")
    assert response.status_code == 403
    assert 'data-testid="not-participant"' not in response.get_data(as_text=True)
    # Registered, waiting for approval: the agenda page says so, with the registration.
    db.session.rollback()
    reg_b = register_org(db.session.get(Event, event_id), users["member_b"].organisation,
                         side="distributor")
    response = client.get(f"/events/{event_id}/agenda")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-registration="pending"' in html
    assert f"/registrations/{reg_b}" in html
    assert 'data-testid="not-published"' not in html
    # Anonymous visitors are still sent to log in.
    assert app.test_client().get(f"/events/{event_id}/agenda").status_code == 302

