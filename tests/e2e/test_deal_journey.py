"""Issue 6's journey in a real browser: after a meeting held at a finished event, the
distributor records an MOU from its *My meetings* page, later records the supply contract
signed under it from the MOU's page, and the MOU is then "contract signed"; the organiser's
conversion report for the event shows the conversion (1 MOU, 1 converted, 100 %, the
contract's value), and the XLSX export (every table) holds the same figures as the page.

The distributor works in English, the organiser in Vietnamese (the default). The finished
event, the organisations, the product, the approved registrations and the held meeting are
made directly in the database; everything else goes through the pages.
"""

import io
import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import expect

import tests.access  # noqa: F401  (loads every access_* module, in order)
from matchmaker.events.models import Event, EventStatus, Registration
from matchmaker.extensions import db
from matchmaker.meetings.models import Meeting, MeetingStatus, TimeSlot
from matchmaker.organisations.models import Side
from matchmaker.permissions import Role
from matchmaker.timeutil import to_local, utcnow
from tests import factories
from tests.access_events import make_event
from tests.access_meeting_schedule import set_schedule_status
from tests.access_products import make_product
from tests.e2e.conftest import log_in, open_menu

TITLE = "Hội nghị kết nối cung cầu OCOP Nghệ An 2025"
PRODUCER = "Hợp tác xã Nước mắm Vạn Phần"
PRODUCT = "Nước mắm cá cơm Vạn Phần 40 độ đạm"
DISTRIBUTOR = "Siêu thị Đô Lương"
CONTRACT_NUMBER = "25/2025/HĐMB"
DAYS_TO_CONTRACT = 20
DASH = "—"


def ident(obj) -> int:
    return sa.inspect(obj).identity[0]


def finished_event_with_a_held_meeting(producer_org, distributor_org) -> tuple[int, int]:
    """A finished event (30 days ago) where both organisations were approved and met (the
    meeting held at its first slot, table 1, schedule published); ``(event id, meeting
    id)``. Registration is closed, so the rows are made directly."""
    event = make_event(TITLE, status=EventStatus.FINISHED, starts_in=timedelta(days=-30),
                       registration_open=False)
    event_id, starts = ident(event), event.starts_at
    registrations = [Registration(event_id=event_id, organisation_id=ident(org), side=side,
                                  status="approved", queued_at=utcnow())
                     for org, side in ((producer_org, "producer"),
                                       (distributor_org, "distributor"))]
    db.session.add_all(registrations)
    slot = TimeSlot(event_id=event_id, position=0, starts_at=starts + timedelta(hours=2),
                    ends_at=starts + timedelta(hours=2, minutes=20))
    db.session.add(slot)
    db.session.flush()
    meeting = Meeting(event_id=event_id, producer_registration_id=registrations[0].id,
                      distributor_registration_id=registrations[1].id,
                      requested_by_side="distributor", status=MeetingStatus.HELD.value,
                      time_slot_id=slot.id, table_number=1)
    db.session.add(meeting)
    db.session.flush()
    meeting_id = meeting.id
    db.session.commit()
    set_schedule_status(event_id, "published")
    return event_id, meeting_id


def number(text: str):
    """A figure as the Vietnamese page shows it ("1.500.000.000 ₫", "100,0%", "20", "—")
    as a number; None for "—"."""
    text = text.strip()
    if text == DASH:
        return None
    plain = re.sub(r"[\s\u00a0₫%]", "", text).replace(".", "").replace(",", ".")
    assert re.fullmatch(r"-?\d+(\.\d+)?", plain), text
    return float(plain)


def page_tables(page) -> dict[str, list[list[str]]]:
    """Every report table on the page by name, as rows of cell texts (header first, the
    total last); an empty table ("Nothing to show yet.") as its header-less ``[]``."""
    found = {}
    for section in page.locator("section[data-testid^='section-']").all():
        name = section.get_attribute("data-testid").removeprefix("section-")
        table = section.get_by_test_id(f"table-{name}")
        if table.count() == 0:
            expect(section.get_by_test_id(f"empty-{name}")).to_be_visible()
            found[name] = []
            continue
        found[name] = table.evaluate(
            "t => Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.innerText.trim()))")
    return found


def assert_sheet_matches(name: str, sheet_rows: list[tuple], page_rows: list[list[str]]):
    """The sheet holds the page's table: same header and labels, the same figures."""
    if not page_rows:  # no rows on the page: the sheet has the header alone
        assert len(sheet_rows) == 1, (name, sheet_rows)
        return
    assert len(sheet_rows) == len(page_rows), (name, sheet_rows, page_rows)
    assert [str(c) for c in sheet_rows[0]] == page_rows[0], name
    for sheet_row, page_row in zip(sheet_rows[1:], page_rows[1:], strict=True):
        assert len(sheet_row) == len(page_row), (name, sheet_row, page_row)
        assert sheet_row[0] == page_row[0], (name, sheet_row, page_row)
        for value, shown in zip(sheet_row[1:], page_row[1:], strict=True):
            if value is None:
                assert shown == DASH, (name, sheet_row, page_row)
            else:
                assert number(shown) == float(value), (name, sheet_row, page_row)


def vietnamese(app, *msgids: str) -> list[str]:
    """The Vietnamese of the report's English labels (as the catalogue has them now)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"), force_locale("vi"):
        return [gettext(m) for m in msgids]


def test_mou_from_a_held_meeting_to_the_conversion_report(page, new_page, live_server, app_ctx):
    base = live_server
    mous_label, mou_value_label, rate_label, contract_value_label = vietnamese(
        app_ctx, "MOUs signed (business)", "MOU estimated value (₫)", "Conversion rate (%)",
        "Value of these MOUs' contracts (₫)")
    factories.make_user(Role.ORGANISER, email="tochuc@xtnghean.gov.vn",
                        full_name="Phan Văn Tổ Chức")
    producer_org = factories.make_organisation(PRODUCER, Side.PRODUCER)
    factories.make_user(organisation=producer_org, email="hoa@vanphan.vn",
                        full_name="Nguyễn Thị Hoà")
    make_product(producer_org, PRODUCT)
    distributor_org = factories.make_organisation(DISTRIBUTOR, Side.DISTRIBUTOR)
    factories.make_user(organisation=distributor_org, email="khoi@sieuthidoluong.vn",
                        full_name="Trần Minh Khôi")
    event_id, meeting_id = finished_event_with_a_held_meeting(producer_org, distributor_org)
    db.session.rollback()
    mou_day = to_local(db.session.get(Event, event_id).starts_at).date()
    contract_day = mou_day + timedelta(days=DAYS_TO_CONTRACT)
    db.session.rollback()

    # 1. The distributor (English) finds the held meeting on its My meetings page and
    #    records the MOU signed there.
    distributor = page
    log_in(distributor, base, "khoi@sieuthidoluong.vn")
    distributor.get_by_role("button", name="English").click()
    expect(distributor.locator("html")).to_have_attribute("lang", "en")
    open_menu(distributor, "organisation-menu")
    distributor.get_by_role("link", name="My meetings").click()
    expect(distributor.get_by_role("heading", name="My meetings")).to_be_visible()
    held = distributor.locator(f"#meeting-{meeting_id}")
    expect(held.get_by_test_id("meeting-status")).to_have_text("Held")
    expect(held).to_contain_text(PRODUCER)
    expect(held).to_contain_text(TITLE)
    held.get_by_test_id("record-mou").click()

    expect(distributor.get_by_role("heading", name="Record an MOU")).to_be_visible()
    parties = distributor.get_by_test_id("parties")
    expect(parties).to_contain_text(f"Producer: {PRODUCER}")
    expect(parties).to_contain_text(f"Distributor: {DISTRIBUTOR}")
    expect(distributor.get_by_test_id("event")).to_contain_text(TITLE)
    distributor.get_by_label("Signed on", exact=True).fill(mou_day.isoformat())
    distributor.get_by_label(PRODUCT, exact=True).check()
    distributor.get_by_label("Estimated value (đồng)", exact=True).fill("1.500.000.000")
    distributor.get_by_label("Volume", exact=True).fill("2,000")
    distributor.get_by_label("Unit", exact=True).select_option("chai")
    distributor.get_by_role("button", name="Record the MOU").click()
    expect(distributor.get_by_role("alert").first).to_contain_text(
        "The MOU is recorded. The other organisation has been told.")
    expect(distributor).to_have_url(re.compile(r"/mous/\d+$"))
    mou_url = distributor.url
    expect(distributor.get_by_role("heading", name="Memorandum of understanding")) \
        .to_be_visible()
    expect(distributor.get_by_test_id("mou-status")).to_have_text("Signed")
    expect(distributor.get_by_test_id("value")).to_have_text("₫1,500,000,000")
    expect(distributor.get_by_test_id("volume")).to_have_text("2,000 bottle")
    expect(distributor.get_by_test_id("products")).to_have_text(PRODUCT)
    expect(distributor.get_by_test_id("from-meeting")).to_be_visible()

    # 2. Later, the supply contract signed under it, from the MOU's page.
    distributor.goto(mou_url)
    distributor.get_by_role("link", name="Record a supply contract").click()
    expect(distributor.get_by_role("heading", name="Record a supply contract")).to_be_visible()
    expect(distributor.get_by_test_id("parties")).to_contain_text(PRODUCER)
    expect(distributor.get_by_test_id("parties")).to_contain_text(TITLE)
    expect(distributor.get_by_label(PRODUCT, exact=True)).to_be_checked()
    distributor.get_by_label("Contract number", exact=True).fill(CONTRACT_NUMBER)
    distributor.get_by_label("Signed on", exact=True).fill(contract_day.isoformat())
    distributor.get_by_label("Contract value (đồng)", exact=True).fill("600.000.000")
    distributor.get_by_role("button", name="Record the contract").click()
    expect(distributor.get_by_role("alert").first).to_contain_text(
        "The supply contract is recorded. The other organisation has been told.")
    expect(distributor).to_have_url(re.compile(r"/contracts/\d+$"))
    expect(distributor.get_by_test_id("value")).to_have_text("₫600,000,000")
    expect(distributor.get_by_test_id("contract-status")).to_have_text("Signed")
    # The MOU is converted.
    distributor.get_by_test_id("mou-link").click()
    expect(distributor).to_have_url(mou_url)
    expect(distributor.get_by_test_id("mou-status")).to_have_text("Contract signed")
    contracts = distributor.get_by_test_id("contracts").locator("tbody tr")
    expect(contracts).to_have_count(1)
    expect(contracts).to_contain_text(CONTRACT_NUMBER)
    expect(contracts).to_contain_text("₫600,000,000")

    # 3. The organiser (Vietnamese) opens the event's conversion report.
    organiser = new_page()
    log_in(organiser, base, "tochuc@xtnghean.gov.vn")
    open_menu(organiser, "staff-menu")
    organiser.get_by_role("link", name="Báo cáo", exact=True).click()
    organiser.get_by_test_id("report-events").get_by_role("link", name=TITLE).click()
    expect(organiser).to_have_url(re.compile(rf"/reports/conversion\?event={event_id}$"))
    expect(organiser.get_by_role("heading", name="Báo cáo chuyển đổi")).to_be_visible()
    expect(organiser.get_by_test_id("report-scope")).to_contain_text(TITLE)
    expect(organiser.get_by_test_id("kf-mous")).to_have_text("1")
    expect(organiser.get_by_test_id("kf-rate")).to_have_text("100,0%")
    expect(organiser.get_by_test_id("kf-contract-value")).to_have_text("600.000.000\u00a0₫")
    expect(organiser.get_by_test_id("kf-median")).to_have_text(str(DAYS_TO_CONTRACT))
    # The tables are on the page (the last one too) before they are read.
    expect(organiser.get_by_test_id("section-stars")).to_be_attached()
    shown = page_tables(organiser)
    summary = {row[0]: row[1] for row in shown["summary"][1:]}
    assert summary[mous_label] == "1", summary
    assert number(summary[mou_value_label]) == 1_500_000_000, summary
    assert [number(row[1]) for row in shown["funnel"][1:]][-3:] == [1, 1, 1], shown["funnel"]
    outcomes = shown["outcomes"]
    assert number(outcomes[1][1]) == 1 and number(outcomes[1][2]) == 100.0, outcomes
    assert all(number(row[1]) == 0 for row in outcomes[2:-1]), outcomes

    # 4. The XLSX of every table holds the figures of the page, table by table.
    with organiser.expect_download() as info:
        organiser.get_by_test_id("xlsx-all").click()
    download = info.value
    assert download.suggested_filename.startswith("conversion-") and \
        download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert len(workbook.sheetnames) == len(shown)
    for sheet, (name, rows) in zip(workbook.worksheets, shown.items(), strict=True):
        assert_sheet_matches(name, list(sheet.iter_rows(values_only=True)), rows)
    figures = {row[0]: row[1] for row in workbook.worksheets[0].iter_rows(values_only=True)}
    assert figures[mous_label] == 1, figures
    assert figures[rate_label] == 100.0, figures
    assert figures[mou_value_label] == 1_500_000_000, figures
    assert figures[contract_value_label] == 600_000_000, figures

    # One table alone: the funnel.
    with organiser.expect_download() as info:
        organiser.get_by_test_id("xlsx-funnel").click()
    funnel = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert len(funnel.sheetnames) == 1
    assert_sheet_matches("funnel", list(funnel.active.iter_rows(values_only=True)),
                         shown["funnel"])

    for p in (distributor, organiser):
        assert p.console_errors == []
