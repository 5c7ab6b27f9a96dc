"""Issue 4's journey in a real browser: an organiser creates and publishes an event; a
producer and a distributor register; the organiser approves both, checks the producer in by
an unaccented search and downloads the participants (XLSX read back with openpyxl, CSV with
its BOM); the producer is told of the approval.

The organiser and the producer work in Vietnamese (the default), the distributor in English.
"""

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

import tests.access  # noqa: F401  (loads every access_* module, in order)
from matchmaker.organisations.models import Side
from matchmaker.permissions import Role
from matchmaker.timeutil import to_local, utcnow
from tests import factories
from tests.access_needs import make_need
from tests.access_products import make_product
from tests.e2e.conftest import log_in

TITLE = "Hội nghị kết nối cung cầu nông sản Nghệ An – Đô Lương 2026"
PRODUCER = "Hợp tác xã Nước mắm Vạn Phần"
PRODUCT = "Nước mắm cá cơm Vạn Phần 40 độ đạm"
DISTRIBUTOR = "Siêu thị Đô Lương"
NEED = "Nước mắm truyền thống cho chuỗi siêu thị"
# Delegates: (full name, job title, phone as typed, phone as exported).
HOA = ("Nguyễn Thị Hoà", "Chủ nhiệm HTX", "0912 345 678", "0912 345 678")
DUC = ("Hồ Văn Đức", "Kế toán", "", "")
THUY = ("Lê Thị Thuỷ", "Trưởng phòng thu mua", "0987 654 321", "0987 654 321")


def minute(dt: datetime) -> str:
    """``dt`` as an ``<input type="datetime-local">`` value."""
    return dt.strftime("%Y-%m-%dT%H:%M")


def fill_delegate(page, n, delegate, label_name, label_job, label_phone, group):
    row = page.get_by_role("group", name=f"{group} {n}")
    row.get_by_label(label_name).fill(delegate[0])
    row.get_by_label(label_job).fill(delegate[1])
    row.get_by_label(label_phone).fill(delegate[2])


def test_organiser_runs_an_event_from_creation_to_export(page, new_page, live_server, app_ctx,
                                                         tmp_path):
    base = live_server
    factories.make_user(Role.ORGANISER, email="tochuc@xtnghean.gov.vn",
                        full_name="Phan Văn Tổ Chức")
    producer_org = factories.make_organisation(PRODUCER, Side.PRODUCER)
    factories.make_user(organisation=producer_org, email="hoa@vanphan.vn",
                        full_name="Nguyễn Thị Hoà")
    make_product(producer_org, PRODUCT)
    distributor_org = factories.make_organisation(DISTRIBUTOR, Side.DISTRIBUTOR)
    factories.make_user(organisation=distributor_org, email="khoi@sieuthidoluong.vn",
                        full_name="Trần Minh Khôi")
    make_need(distributor_org, NEED)

    # Vietnam wall time: the event in a month, registration open since an hour ago.
    now = to_local(utcnow()).replace(tzinfo=None, second=0, microsecond=0)
    day = (now + timedelta(days=30)).replace(hour=0, minute=0)

    # 1. The organiser creates the event (Vietnamese pages) and publishes it.
    organiser = page
    log_in(organiser, base, "tochuc@xtnghean.gov.vn")
    organiser.get_by_role("link", name="Sự kiện", exact=True).click()
    organiser.get_by_role("link", name="Tạo sự kiện").click()
    expect(organiser.get_by_role("heading", name="Tạo sự kiện")).to_be_visible()
    organiser.get_by_label("Tiêu đề").fill(TITLE)
    organiser.get_by_label("Mô tả").fill("Gặp gỡ giữa các HTX OCOP và nhà phân phối.")
    organiser.get_by_label("Địa điểm").fill("Trung tâm Văn hoá huyện Đô Lương")
    organiser.get_by_label("Tỉnh/thành phố").select_option(label="Nghệ An")
    organiser.get_by_label("Bắt đầu", exact=True).fill(minute(day.replace(hour=8)))
    organiser.get_by_label("Kết thúc", exact=True).fill(minute(day.replace(hour=17)))
    organiser.get_by_label("Mở đăng ký").fill(minute(now - timedelta(hours=1)))
    organiser.get_by_label("Đóng đăng ký").fill(minute(day - timedelta(days=2)))
    organiser.get_by_label("Số chỗ cho nhà sản xuất").fill("40")
    organiser.get_by_label("Số chỗ cho nhà phân phối").fill("20")
    expect(organiser.get_by_label("Đăng ký cần ban tổ chức duyệt")).to_be_checked()  # default
    organiser.get_by_label("Thời lượng mỗi cuộc gặp (phút)").fill("25")
    organiser.get_by_label("Nghỉ giữa các cuộc gặp (phút)").fill("5")
    organiser.get_by_label("Số bàn").fill("12")
    for index, (starts, ends) in enumerate([("08:30", "11:30"), ("13:30", "16:30")]):
        row = organiser.get_by_test_id("session-row").nth(index)
        row.get_by_label("Ngày").fill(day.strftime("%Y-%m-%d"))
        row.get_by_label("Từ").fill(starts)
        row.get_by_label("Đến").fill(ends)
    organiser.get_by_role("button", name="Lưu", exact=True).click()

    expect(organiser.get_by_role("alert").first).to_contain_text(
        "Đã lưu sự kiện dưới dạng bản nháp")
    expect(organiser.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(organiser.get_by_test_id("event-status")).to_have_text("Bản nháp")
    expect(organiser.get_by_test_id("sessions")).to_contain_text("08:30–11:30")
    expect(organiser.get_by_test_id("sessions")).to_contain_text("13:30–16:30")
    expect(organiser.get_by_text("Trung tâm Văn hoá huyện Đô Lương, Nghệ An")).to_be_visible()
    tools = organiser.get_by_test_id("organiser-tools")
    tools.get_by_role("button", name="Công bố", exact=True).click()
    expect(organiser.get_by_role("alert").first).to_contain_text(
        "Sự kiện đã được công bố")
    expect(organiser.get_by_test_id("event-status")).to_have_text("Đã công bố")
    event_url = organiser.url
    assert re.search(r"/events/\d+$", event_url)

    # 2a. The producer (Vietnamese) registers two delegates and its product.
    producer = new_page()
    log_in(producer, base, "hoa@vanphan.vn")
    producer.get_by_role("link", name="Sự kiện", exact=True).click()
    producer.get_by_role("link", name=TITLE).click()
    expect(producer.get_by_text("Đang mở đăng ký", exact=True)).to_be_visible()
    producer.get_by_test_id("my-registration").get_by_role("link", name="Đăng ký").click()
    expect(producer.get_by_role("heading", name="Đăng ký doanh nghiệp/tổ chức")).to_be_visible()
    expect(producer.get_by_test_id("fixed-side")).to_contain_text("Nhà sản xuất")
    fill_delegate(producer, 1, HOA, "Họ và tên", "Chức vụ", "Điện thoại", "Đại biểu")
    fill_delegate(producer, 2, DUC, "Họ và tên", "Chức vụ", "Điện thoại", "Đại biểu")
    producer.get_by_label(PRODUCT).check()
    producer.get_by_role("button", name="Đăng ký", exact=True).click()
    expect(producer.get_by_role("alert").first).to_contain_text(
        "Ban tổ chức sẽ xem xét")
    expect(producer.get_by_test_id("registration-status")).to_contain_text("Chờ duyệt")
    expect(producer.get_by_role("cell", name="0912 345 678")).to_be_visible()
    expect(producer.get_by_role("link", name=PRODUCT)).to_be_visible()
    producer_registration_url = producer.url

    # 2b. The distributor switches to English and registers with its sourcing need.
    distributor = new_page()
    log_in(distributor, base, "khoi@sieuthidoluong.vn")
    distributor.get_by_role("button", name="English").click()
    expect(distributor.locator("html")).to_have_attribute("lang", "en")
    distributor.get_by_role("link", name="Events", exact=True).click()
    distributor.get_by_role("link", name=TITLE).click()
    expect(distributor.get_by_text("Registrations need an organiser's approval.")) \
        .to_be_visible()
    distributor.get_by_test_id("my-registration").get_by_role("link", name="Register").click()
    expect(distributor.get_by_role("heading", name="Register your organisation")) \
        .to_be_visible()
    expect(distributor.get_by_test_id("fixed-side")).to_contain_text("Distributor")
    fill_delegate(distributor, 1, THUY, "Full name", "Job title", "Phone", "Delegate")
    distributor.get_by_label(NEED).check()
    distributor.get_by_role("button", name="Register", exact=True).click()
    expect(distributor.get_by_role("alert").first).to_contain_text(
        "An organiser will review the registration")
    expect(distributor.get_by_test_id("registration-status")).to_contain_text(
        "Pending approval")
    distributor_registration_url = distributor.url

    # 3. The organiser approves the producer on its row and the distributor in bulk.
    organiser.goto(event_url)
    organiser.get_by_test_id("organiser-tools").get_by_role(
        "link", name="Danh sách đăng ký", exact=True).click()
    expect(organiser.get_by_role("heading", name="Danh sách đăng ký", exact=True)).to_be_visible()
    rows = organiser.get_by_test_id("registration")
    expect(rows).to_have_count(2)
    producer_row = rows.filter(has_text=PRODUCER)
    distributor_row = rows.filter(has_text=DISTRIBUTOR)
    expect(producer_row).to_contain_text("Chờ duyệt")
    expect(producer_row).to_contain_text("Nguyễn Thị Hoà")
    expect(producer_row).to_contain_text("0912 345 678")
    producer_row.get_by_role("button", name="Duyệt", exact=True).click()
    expect(organiser.get_by_role("alert").first).to_contain_text(f"Đã duyệt {PRODUCER}.")
    expect(producer_row).to_contain_text("Đã duyệt")
    organiser.get_by_label(f"Chọn {DISTRIBUTOR}").check()
    organiser.get_by_role("button", name="Duyệt các mục đã chọn").click()
    expect(organiser.get_by_role("alert").first).to_contain_text("Đã duyệt 1, bỏ qua 0.")
    expect(distributor_row).to_contain_text("Đã duyệt")

    # ... then checks the producer in, found by an unaccented search.
    organiser.get_by_role("link", name="Check-in", exact=True).click()
    expect(organiser.get_by_test_id("attendance")).to_contain_text(
        "Đã check-in 0/2 đăng ký được duyệt")
    organiser.get_by_label("Doanh nghiệp hoặc đại biểu").fill("van phan")
    organiser.get_by_role("button", name="Tìm", exact=True).click()
    cards = organiser.get_by_test_id("checkin-card")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text(PRODUCER)
    expect(cards).to_contain_text("Hồ Văn Đức")
    cards.get_by_role("button", name="Check-in").click()
    expect(organiser.get_by_role("alert").first).to_contain_text(f"{PRODUCER} đã check-in.")
    expect(cards).to_contain_text("Đã check-in lúc")
    expect(organiser.get_by_test_id("attendance")).to_contain_text(
        "Đã check-in 1/2 đăng ký được duyệt")

    # 4. The organiser downloads the participants as XLSX and CSV.
    organiser.goto(event_url)
    organiser.get_by_test_id("organiser-tools").get_by_role(
        "link", name="Danh sách đăng ký", exact=True).click()
    expect(rows.filter(has_text=PRODUCER)).to_contain_text("Đã check-in")
    with organiser.expect_download() as info:
        organiser.get_by_role("link", name="Danh sách tham dự (Excel)").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    xlsx = tmp_path / "participants.xlsx"
    download.save_as(xlsx)
    sheet = load_workbook(xlsx).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    header, body = table[0], table[1:]
    # The organiser's language: Vietnamese column titles.
    assert header[0] == "Doanh nghiệp/tổ chức" and header[4] == "Đại biểu"
    assert header[10] == "Check-in lúc"
    by_delegate = {row[4]: row for row in body}
    assert set(by_delegate) == {HOA[0], DUC[0], THUY[0]}
    for name, org, checked_in in [(HOA[0], PRODUCER, True), (DUC[0], PRODUCER, True),
                                  (THUY[0], DISTRIBUTOR, False)]:
        row = by_delegate[name]
        assert row[0] == org
        assert isinstance(row[9], datetime)  # registered at
        if checked_in:
            assert isinstance(row[10], datetime)
        else:
            assert row[10] is None
    assert by_delegate[HOA[0]][5] == HOA[1] and by_delegate[HOA[0]][6] == HOA[3]
    assert by_delegate[THUY[0]][5] == THUY[1] and by_delegate[THUY[0]][6] == THUY[3]
    assert by_delegate[HOA[0]][8] == PRODUCT and by_delegate[THUY[0]][8] == NEED
    checked_at = by_delegate[HOA[0]][10]
    assert abs(checked_at - now) < timedelta(minutes=5)  # Vietnam wall time, not UTC

    with organiser.expect_download() as info:
        organiser.get_by_role("link", name="CSV", exact=True).click()
    raw = Path(info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    records = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert records[0] == header
    csv_by_delegate = {r[4]: r for r in records[1:]}
    assert set(csv_by_delegate) == {HOA[0], DUC[0], THUY[0]}
    assert csv_by_delegate[HOA[0]][0] == PRODUCER
    assert csv_by_delegate[THUY[0]][0] == DISTRIBUTOR
    assert csv_by_delegate[HOA[0]][10] == checked_at.strftime("%d/%m/%Y %H:%M")
    assert csv_by_delegate[THUY[0]][10] == ""

    # 5. The producer is told: a count in the navbar, the sentence on the notifications page.
    producer.goto(producer_registration_url)
    expect(producer.get_by_test_id("registration-status")).to_contain_text("Đã check-in")
    link = producer.get_by_test_id("notifications-link")
    expect(link).to_contain_text("2")  # approved, then checked in
    link.click()
    notes = producer.get_by_test_id("notification")
    expect(notes).to_have_count(2)
    approved = notes.filter(has_text=f"Đăng ký tham dự “{TITLE}” của doanh nghiệp bạn đã "
                                     "được duyệt.")
    expect(approved).to_have_count(1)
    expect(approved).to_contain_text("Mới")
    approved.get_by_role("button", name="Xem").click()
    expect(producer).to_have_url(re.compile(re.escape(producer_registration_url) + "$"))

    # The distributor (English) sees its approval too.
    distributor.goto(distributor_registration_url)
    expect(distributor.get_by_test_id("registration-status")).to_contain_text("Approved")
    expect(distributor.get_by_test_id("notifications-link")).to_contain_text("1")
    distributor.get_by_test_id("notifications-link").click()
    expect(distributor.get_by_test_id("notification")).to_contain_text(
        f"Your registration for “{TITLE}” was approved.")

    for p in (organiser, producer, distributor):
        assert p.console_errors == []
