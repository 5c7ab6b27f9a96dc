"""Issue 5's journey in a real browser: a distributor finds a fish-sauce producer among its
suggestions at an event and asks for a meeting; the producer accepts it; the organiser
generates the meeting schedule (one slot: the lower bound) and publishes it; both sides then
see the meeting on their agenda, in Vietnam time with its table, and download it as an
iCalendar file (read back with ``icalendar``).

The distributor works in English, the producer and the organiser in Vietnamese (the default).
The event, the organisations, their product and need and their (auto-approved) registrations
are made by the factories; everything else goes through the pages.
"""

import re
from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import sqlalchemy as sa
from playwright.sync_api import expect

import tests.access  # noqa: F401  (loads every access_* module, in order)
from matchmaker.events.models import RegistrationSide
from matchmaker.organisations.models import Side
from matchmaker.permissions import Role
from matchmaker.timeutil import to_local
from tests import factories
from tests.access_events import make_event
from tests.access_needs import make_need
from tests.access_products import make_product
from tests.access_registrations import register_org
from tests.e2e.conftest import log_in, open_menu

TITLE = "Hội nghị kết nối cung cầu OCOP Nghệ An 2026"
PRODUCER = "Hợp tác xã Nước mắm Vạn Phần"
PRODUCT = "Nước mắm cá cơm Vạn Phần 40 độ đạm"
DISTRIBUTOR = "Siêu thị Đô Lương"
NEED = "Gia vị"
MESSAGE = "Chúng tôi muốn nhập nước mắm Vạn Phần cho 5 siêu thị ở Đô Lương."
TABLES = 3
VN = timedelta(hours=7)


def download_ics(page, tmp_path, name) -> icalendar.Calendar:
    """Click the agenda's .ics link and parse the file."""
    with page.expect_download() as info:
        page.get_by_test_id("ics-link").click()
    download = info.value
    assert re.fullmatch(r"agenda-event-\d+-registration-\d+\.ics", download.suggested_filename)
    path = tmp_path / name
    download.save_as(path)
    return icalendar.Calendar.from_ical(Path(path).read_bytes())


def only_vevent(calendar: icalendar.Calendar):
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1, calendar.to_ical().decode()
    return events[0]


def test_meeting_from_suggestion_to_agenda(page, new_page, live_server, app_ctx, tmp_path):
    base = live_server
    factories.make_user(Role.ORGANISER, email="tochuc@xtnghean.gov.vn",
                        full_name="Phan Văn Tổ Chức")
    producer_org = factories.make_organisation(PRODUCER, Side.PRODUCER)
    factories.make_user(organisation=producer_org, email="hoa@vanphan.vn",
                        full_name="Nguyễn Thị Hoà")
    product = make_product(producer_org, PRODUCT)
    distributor_org = factories.make_organisation(DISTRIBUTOR, Side.DISTRIBUTOR)
    factories.make_user(organisation=distributor_org, email="khoi@sieuthidoluong.vn",
                        full_name="Trần Minh Khôi")
    need = make_need(distributor_org, NEED, ocop=("I.4.a",), hs=("2103",))
    product_id, need_id = sa.inspect(product).identity[0], sa.inspect(need).identity[0]

    # Published, registration open, no approval needed; two sessions on the first day
    # (08:30–11:30 and 13:30–17:00 Vietnam time), 20-minute meetings, three tables.
    event = make_event(TITLE, requires_approval=False, table_count=TABLES)
    event_id = sa.inspect(event).identity[0]
    first_day = to_local(event.starts_at).date()
    register_org(event, producer_org, side=RegistrationSide.PRODUCER, product_ids=[product_id])
    register_org(event, distributor_org, side=RegistrationSide.DISTRIBUTOR,
                 need_ids=[need_id])
    event_url = f"{base}/events/{event_id}"

    # 1. The distributor (English) opens the event's suggestions and asks for a meeting.
    distributor = page
    log_in(distributor, base, "khoi@sieuthidoluong.vn")
    distributor.get_by_role("button", name="English").click()
    expect(distributor.locator("html")).to_have_attribute("lang", "en")
    distributor.goto(event_url)
    expect(distributor.get_by_test_id("my-registration")).to_contain_text("Approved")
    distributor.get_by_test_id("b2b-links").get_by_role("link", name="Suggestions").click()
    expect(distributor.get_by_role("heading", name="Producers for your sourcing needs")) \
        .to_be_visible()
    suggestions = distributor.get_by_test_id("suggestion")
    expect(suggestions).to_have_count(1)
    suggestion = suggestions.filter(has_text=PRODUCER)
    reasons = suggestion.get_by_test_id("reasons")
    expect(reasons).to_contain_text(PRODUCT)
    expect(reasons).to_contain_text(NEED)
    expect(reasons).to_contain_text("2103")
    expect(suggestion.get_by_test_id("fit")).to_contain_text("1 need met")
    suggestion.get_by_role("link", name="Request a meeting").click()
    expect(distributor.get_by_role("heading", name="Request a meeting")).to_be_visible()
    expect(distributor.get_by_test_id("counterpart")).to_contain_text(PRODUCER)
    expect(distributor.get_by_test_id("counterpart")).to_contain_text(PRODUCT)
    distributor.get_by_label("Message (optional)").fill(MESSAGE)
    distributor.get_by_role("button", name="Send the request").click()
    expect(distributor.get_by_role("alert").first).to_contain_text(
        f"Meeting requested. {PRODUCER} has been told.")
    expect(distributor).to_have_url(re.compile(r"/meetings/$"))
    sent = distributor.get_by_test_id("sent").get_by_test_id("meeting")
    expect(sent).to_have_count(1)
    expect(sent).to_contain_text(PRODUCER)
    expect(sent).to_contain_text("Requested")

    # 2. The producer (Vietnamese) finds the request under its organisation's menu and
    #    accepts it.
    producer = new_page()
    log_in(producer, base, "hoa@vanphan.vn")
    open_menu(producer, "organisation-menu")
    producer.get_by_role("link", name="Cuộc gặp của tôi").click()
    expect(producer.get_by_role("heading", name="Cuộc gặp của tôi")).to_be_visible()
    incoming = producer.get_by_test_id("incoming").get_by_test_id("meeting")
    expect(incoming).to_have_count(1)
    expect(incoming).to_contain_text(DISTRIBUTOR)
    expect(incoming).to_contain_text(MESSAGE)
    expect(incoming).to_contain_text(TITLE)
    incoming.get_by_role("button", name="Chấp nhận").click()
    expect(producer.get_by_role("alert").first).to_contain_text(
        "Đã chấp nhận cuộc gặp. Cuộc gặp sẽ có giờ và bàn khi ban tổ chức công bố lịch gặp.")
    expect(producer.get_by_test_id("incoming").get_by_test_id("meeting")).to_have_count(0)
    accepted = producer.get_by_test_id("accepted").get_by_test_id("meeting")
    expect(accepted).to_have_count(1)
    expect(accepted).to_contain_text(DISTRIBUTOR)
    expect(accepted).to_contain_text("Đã chấp nhận")

    # 3. The organiser (Vietnamese) generates the schedule: one meeting takes one slot,
    #    the lower bound max(Δ, ⌈M/T⌉) = 1, then publishes it.
    organiser = new_page()
    log_in(organiser, base, "tochuc@xtnghean.gov.vn")
    organiser.goto(event_url)
    organiser.get_by_test_id("organiser-tools").get_by_role(
        "link", name="Lịch gặp gỡ", exact=True).click()
    expect(organiser.get_by_role("heading", name="Lịch gặp gỡ", exact=True)).to_be_visible()
    expect(organiser.get_by_test_id("schedule-status")).to_have_text("Chưa lập")
    expect(organiser.get_by_test_id("count-meetings")).to_have_text("1")
    organiser.get_by_test_id("generate").click()
    expect(organiser.get_by_role("alert").first).to_contain_text(
        "Đã xếp 1 cuộc gặp vào 1 khung giờ (ít nhất có thể là 1); 0 cuộc gặp chưa xếp được.")
    expect(organiser.get_by_test_id("schedule-status")).to_have_text("Tạm thời")
    expect(organiser.get_by_test_id("count-placed")).to_have_text("1")
    expect(organiser.get_by_test_id("count-unplaced")).to_have_text("0")
    expect(organiser.get_by_test_id("slots-used")).to_contain_text(re.compile(r"^1 / \d+$"))
    expect(organiser.get_by_test_id("lower-bound")).to_have_text("1")
    grid = organiser.get_by_test_id("schedule-grid")
    placed = grid.locator("td.schedule-cell:not(.schedule-free)")
    expect(placed).to_have_count(1)
    expect(placed).to_contain_text(PRODUCER)
    expect(placed).to_contain_text(DISTRIBUTOR)
    organiser.get_by_test_id("publish").click()
    expect(organiser.get_by_role("alert").first).to_contain_text(
        "Đã công bố lịch: các bên của 1 cuộc gặp đã được thông báo.")
    expect(organiser.get_by_test_id("schedule-status")).to_have_text("Đã công bố")
    expect(organiser.get_by_test_id("publish")).to_have_count(0)
    # Where the scheduler put it: the row's time and the column's table.
    cell = placed.first
    row_time = cell.locator("xpath=ancestor::tr/th").inner_text().strip()
    column = cell.evaluate("td => td.cellIndex")
    table_header = grid.locator("thead th").nth(column).inner_text().strip()
    table = int(re.fullmatch(r"Bàn (\d+)", table_header).group(1))
    assert 1 <= table <= TABLES
    starts_text, ends_text = re.fullmatch(r"(\d\d:\d\d)–(\d\d:\d\d)", row_time).groups()
    starts = datetime.combine(first_day, datetime.strptime(starts_text, "%H:%M").time())
    assert (datetime.strptime(ends_text, "%H:%M") - datetime.strptime(starts_text, "%H:%M")
            == timedelta(minutes=20))
    # Inside one of the sessions (Vietnam time), not seven hours off.
    assert (starts.replace(hour=8, minute=30) <= starts <= starts.replace(hour=11, minute=10)
            or starts.replace(hour=13, minute=30) <= starts <= starts.replace(hour=16, minute=40))

    # 4. Both sides see the meeting on their agenda and download it as .ics.
    for who, side_page, counterpart, heading, summary, table_label in (
            ("producer", producer, DISTRIBUTOR, "Lịch hẹn gặp của bạn", "Gặp gỡ B2B", "bàn"),
            ("distributor", distributor, PRODUCER, "Meeting agenda", "B2B meeting", "table")):
        side_page.goto(event_url)
        side_page.get_by_test_id("b2b-links").get_by_role(
            "link", name=re.compile(r"^(Agenda|Lịch hẹn gặp)$")).click()
        expect(side_page.get_by_role("heading", name=heading)).to_be_visible()
        items = side_page.get_by_test_id("agenda-item")
        expect(items).to_have_count(1)
        expect(items.get_by_test_id("agenda-time")).to_have_text(row_time)
        expect(items).to_contain_text(counterpart)
        expect(items.locator("td.agenda-table-number")).to_have_text(str(table))
        expect(side_page.get_by_test_id("agenda")).to_contain_text(
            PRODUCT if who == "distributor" else NEED)

        vevent = only_vevent(download_ics(side_page, tmp_path, f"{who}.ics"))
        start, end = vevent.decoded("dtstart"), vevent.decoded("dtend")
        assert vevent["dtstart"].params.get("TZID") == "Asia/Ho_Chi_Minh"
        assert start.utcoffset() == VN and start.replace(tzinfo=None) == starts
        assert end - start == timedelta(minutes=20)
        assert str(vevent["summary"]) == f"{summary}: {counterpart}"
        assert f"{table_label} {table}" in str(vevent["location"])

    # The producer's My meetings now shows it scheduled, with the time and table.
    open_menu(producer, "organisation-menu")
    producer.get_by_role("link", name="Cuộc gặp của tôi").click()
    scheduled = producer.get_by_test_id("scheduled").get_by_test_id("meeting")
    expect(scheduled).to_have_count(1)
    expect(scheduled.get_by_test_id("slot")).to_contain_text(row_time)
    expect(scheduled.get_by_test_id("slot")).to_contain_text(f"Bàn {table}")

    for p in (distributor, producer, organiser):
        assert p.console_errors == []
