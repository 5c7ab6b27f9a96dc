"""What a new user tripped on in the meeting pages, checked in a real browser: the participant
list on a phone, the "My meetings" cards at desktop and phone widths, and click-to-move in
the organiser's schedule grid (a meeting then a cell, a cell then a meeting, a meeting
chosen in the form, a refused move, a swap)."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

import tests.access  # noqa: F401  (loads every access_* module, in order)
from matchmaker.events.models import RegistrationSide
from matchmaker.organisations.models import Side
from matchmaker.permissions import Role
from tests import factories
from tests.access_meeting_requests import ask, meeting_event
from tests.access_meeting_schedule import add_meetings, approved_registration, place, slot_ids
from tests.access_needs import make_need
from tests.access_registrations import register_org
from tests.conftest import log_in as log_in_client

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _ident(obj) -> int:
    return sa.inspect(obj).identity[0]


def open_as(new_page, app, live_server, user, viewport):
    """A page in its own context, logged in as ``user`` (its session cookie), sized."""
    client = app.test_client()
    log_in_client(client, user)
    page = new_page()
    page.context.add_cookies([{"name": "session", "value": client.get_cookie("session").value,
                               "url": live_server}])
    page.set_viewport_size(viewport)
    return page


def box(locator) -> dict:
    return locator.evaluate("e => { const r = e.getBoundingClientRect(); return {left: r.left,"
                            " right: r.right, top: r.top, bottom: r.bottom, width: r.width};"
                            " }")


def overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_the_participant_list_is_usable_on_a_phone(app, app_ctx, live_server, new_page):
    """At 390 px every participant's name, what it brings and its meeting button or state
    are on screen: nothing is cut off in a table that scrolls sideways."""
    event = meeting_event("Hội nghị kết nối cung cầu sản phẩm OCOP và dược liệu Nghệ An 2026")
    producer = factories.make_organisation("Hợp tác xã Nông nghiệp và Dịch vụ Tổng hợp Vạn Phần",
                                           Side.PRODUCER)
    user = factories.make_user(organisation=producer, locale="en")
    register_org(event, producer, side=RegistrationSide.PRODUCER)
    buyers = []
    for i, name in enumerate(["Công ty TNHH Thương mại và Dịch vụ Xuất nhập khẩu Hoàng Long",
                              "Chuỗi siêu thị Sông Lam", "Khách sạn Biển Xanh Cửa Lò"]):
        org = factories.make_organisation(name, Side.DISTRIBUTOR)
        need = make_need(org, f"Nước mắm truyền thống, mắm các loại theo thùng số {i}")
        buyers.append(register_org(event, org, side=RegistrationSide.DISTRIBUTOR,
                                   need_ids=[_ident(need)]))
    ask(event, producer, buyers[1])  # one row shows "Meeting requested" instead
    page = open_as(new_page, app, live_server, user, PHONE)
    page.goto(f"{live_server}/events/{_ident(event)}/participants")
    rows = page.get_by_test_id("participant")
    expect(rows).to_have_count(3)
    width = page.evaluate("document.documentElement.clientWidth")
    assert overflow(page) <= 0
    for i in range(3):
        row = rows.nth(i)
        for part in (row.get_by_role("link").first, row.get_by_test_id("request-state")):
            expect(part).to_be_visible()
            edges = box(part)
            assert 0 <= edges["left"] and edges["right"] <= width, (i, edges, width)
    requested = page.locator(f"#participant-{buyers[1]}")
    expect(requested.get_by_test_id("request-state")).to_contain_text("Meeting requested")
    expect(requested.get_by_role("link", name="Request a meeting")).to_have_count(0)
    expect(page.locator(f"#participant-{buyers[0]}").get_by_role(
        "link", name="Request a meeting")).to_be_visible()
    assert page.console_errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_my_meetings_cards_line_up(app, app_ctx, live_server, new_page, viewport):
    """The status sits on the name's line, the buttons start at the card's left edge under
    the details, and an opened "Decline" form is not squeezed beside the other button."""
    event = meeting_event()
    producer = factories.make_organisation("Hợp tác xã Nông nghiệp Dịch vụ Tổng hợp Vạn Phần",
                                           Side.PRODUCER)
    user = factories.make_user(organisation=producer, locale="en")
    mine = register_org(event, producer, side=RegistrationSide.PRODUCER)
    asking = factories.make_organisation("Công ty TNHH Thương mại Dịch vụ Khách sạn Biển Xanh",
                                         Side.DISTRIBUTOR)
    register_org(event, asking, side=RegistrationSide.DISTRIBUTOR)
    ask(event, asking, mine, message="Khách sạn cần nước mắm cho nhà hàng, khoảng 300 chai "
                                     "mỗi tháng. Mong được xem hàng mẫu của quý hợp tác xã.")
    page = open_as(new_page, app, live_server, user, viewport)
    page.goto(f"{live_server}/meetings/")
    card = page.get_by_test_id("incoming").get_by_test_id("meeting")
    expect(card).to_have_count(1)
    name = box(card.get_by_role("link").first)
    badge = box(card.get_by_test_id("meeting-status"))
    assert badge["top"] < name["bottom"], (badge, name)  # on the name's line
    accept = box(card.get_by_role("button", name="Accept"))
    assert abs(accept["left"] - name["left"]) <= 2, (accept, name)
    assert accept["top"] >= name["bottom"]
    card.locator("summary", has_text="Decline").click()
    reason = card.get_by_label("Reason (optional)")
    expect(reason).to_be_visible()
    inner = card.evaluate("e => e.clientWidth - parseFloat(getComputedStyle(e).paddingLeft)"
                          " - parseFloat(getComputedStyle(e).paddingRight)")
    # The whole card's width on a phone; on a desktop at least a comfortable half.
    wanted = 0.9 * inner if viewport is PHONE else min(0.45 * inner, 400)
    assert box(reason)["width"] >= wanted, (box(reason), inner)
    assert overflow(page) <= 0
    assert page.console_errors == []


@pytest.fixture
def grid_event(app_ctx):
    """A provisional schedule, 3 tables: A–B slot 0 table 1, C–D slot 0 table 2, A–D slot 1
    table 1 placed; C–B accepted and not placed."""
    event_id = _ident(meeting_event("Hội nghị giao thương Vinh", table_count=3))
    orgs = [factories.make_organisation(name, side) for name, side in (
        ("Công ty CP Thủy sản Cửa Lò", Side.PRODUCER), ("Chuỗi siêu thị Sông Lam",
                                                        Side.DISTRIBUTOR),
        ("HTX Nước mắm Vạn Phần", Side.PRODUCER), ("Siêu thị Hưng Dũng", Side.DISTRIBUTOR))]
    a, b, c, d = (approved_registration(event_id, org, side) for org, side in zip(
        orgs, ("producer", "distributor", "producer", "distributor"), strict=True))
    ab, cd, ad, cb = add_meetings(event_id, [(a, b), (c, d), (a, d), (c, b)])
    slots = slot_ids(event_id)
    place(ab, slots[0], 1)
    place(cd, slots[0], 2)
    place(ad, slots[1], 1)
    from tests.access_meeting_schedule import set_schedule_status

    set_schedule_status(event_id, "provisional")
    organiser = factories.make_user(Role.ORGANISER, locale="en")
    return dict(event_id=event_id, ab=ab, cd=cd, ad=ad, cb=cb, slots=slots,
                organiser=organiser)


def test_click_to_move_keeps_the_selection(app, live_server, new_page, grid_event):
    ev = grid_event
    page = open_as(new_page, app, live_server, ev["organiser"], DESKTOP)
    page.goto(f"{live_server}/events/{ev['event_id']}/schedule")
    grid = page.get_by_test_id("schedule-grid")
    bar = page.get_by_test_id("schedule-pick")

    def cell(position, table):
        return grid.get_by_test_id(f"cell-{position}-{table}")

    # 1. A free cell first, then the meeting (the waiting C–B, from the list below).
    cell(2, 3).get_by_role("link").click()
    expect(bar).to_contain_text("Table 3 at")
    expect(cell(2, 3)).to_have_attribute("data-picked", "cell")
    page.get_by_test_id(f"unplaced-{ev['cb']}").get_by_role("link").click()
    expect(bar).to_contain_text(f"Move meeting no. {ev['cb']}")
    expect(cell(2, 3)).to_have_attribute("data-picked", "cell")  # the cell is still chosen
    expect(page.locator("#move-meeting")).to_have_value(str(ev["cb"]))
    expect(page.locator("#move-table")).to_have_value("3")

    # 2. Changed mind in the form: another meeting chosen by hand, then another cell: the
    #    hand-made choice stays (a click in the grid used to forget it).
    page.locator("#move-meeting").select_option(str(ev["ad"]))
    cell(3, 2).get_by_role("link").click()
    expect(bar).to_contain_text(f"Move meeting no. {ev['ad']}")
    expect(page.locator("#move-meeting")).to_have_value(str(ev["ad"]))
    expect(cell(3, 2)).to_have_attribute("data-picked", "cell")

    # 3. Another placed meeting clicked while one is chosen: offered for a swap, or chosen
    #    instead (the cell is kept).
    grid.locator(f'a[data-meeting="{ev["cd"]}"]').click()
    expect(bar).to_contain_text(f"Swap meetings no. {ev['ad']} and no. {ev['cd']}?")
    bar.get_by_role("link", name=f"Choose no. {ev['cd']} instead").click()
    expect(bar).to_contain_text(f"Move meeting no. {ev['cd']}")
    expect(cell(3, 2)).to_have_attribute("data-picked", "cell")
    #    A refused move keeps everything: D meets A in slot 1, so C–D cannot go there.
    cell(1, 3).get_by_role("link").click()
    expect(bar).to_contain_text(f"Move meeting no. {ev['cd']}")
    page.get_by_test_id("pick-move").click()
    expect(page.get_by_test_id("error-move")).to_contain_text("already has meeting no.")
    expect(bar).to_contain_text(f"Move meeting no. {ev['cd']}")
    expect(page.locator("#move-meeting")).to_have_value(str(ev["cd"]))
    #    ... and the next click in the grid still knows the meeting.
    cell(2, 2).get_by_role("link").click()
    expect(bar).to_contain_text(f"Move meeting no. {ev['cd']}")
    page.get_by_test_id("pick-move").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"Meeting no. {ev['cd']} moved.")
    expect(cell(2, 2)).to_contain_text(f"№ {ev['cd']}")

    # 4. Two meetings, one after the other: offered for a swap.
    bar.get_by_role("link", name="Clear the selection").click()
    expect(bar).to_have_count(0)
    grid.locator(f'a[data-meeting="{ev["ab"]}"]').click()
    expect(bar).to_contain_text(f"Meeting no. {ev['ab']} chosen")
    grid.locator(f'a[data-meeting="{ev["cd"]}"]').click()
    expect(bar).to_contain_text(f"Swap meetings no. {ev['ab']} and no. {ev['cd']}?")
    page.get_by_test_id("pick-swap").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        re.compile(rf"Meetings no\. {ev['ab']} and no\. {ev['cd']} swapped"))
    expect(cell(2, 2)).to_contain_text(f"№ {ev['ab']}")
    expect(cell(0, 1)).to_contain_text(f"№ {ev['cd']}")
    assert page.console_errors == []
