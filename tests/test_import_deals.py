"""Import of past MOUs and supply contracts: parsing, the all-or-nothing rule, links between
rows, idempotence, the page, the template and ``flask import-deals``."""

import csv
import io
import re
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

import tests.access  # noqa: F401  (loads the access modules in order)
from matchmaker.catalogue.models import Category
from matchmaker.db import write_transaction
from matchmaker.deals import import_columns, import_values
from matchmaker.deals.import_columns import read_deals_table, template_workbook
from matchmaker.deals.import_values import BadValue, parse_date, parse_quantity, parse_value
from matchmaker.deals.importing import import_deals
from matchmaker.deals.models import Mou, SupplyContract
from matchmaker.deals.services import Parties, record_mou
from matchmaker.extensions import db
from matchmaker.history import StatusChange
from matchmaker.imports.models import MatchReview
from matchmaker.imports.parsing import FileError, header_key
from matchmaker.organisations.models import Organisation, Side
from matchmaker.timeutil import local_to_utc
from tests.access_events import make_event
from tests.access_followup import ident
from tests.access_products import make_product
from tests.conftest import client_for, csrf_token

TODAY = date(2026, 3, 10)
ROOT = Path(__file__).resolve().parent.parent
HEADER = ["Loại", "Số BBGN", "Số hợp đồng", "Bên bán", "MST bên bán", "Bên mua", "Ngày ký",
          "Sự kiện", "Giá trị (VNĐ)", "Sản lượng", "ĐVT", "Sản phẩm", "Trạng thái", "Lý do",
          "Giao hàng từ", "Giao hàng đến", "Ghi chú"]


def csv_file(rows: list[dict], header: list[str] = HEADER) -> bytes:
    """A CSV (UTF-8 with BOM, as Excel writes it) with ``header`` and one line per dict."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@pytest.fixture
def known(users):
    """Organisation A (producer, with a product and a tax code) and B (distributor)."""
    db.session.rollback()
    org_a = db.session.get(Organisation, ident(users["member_a"].organisation))
    org_a.tax_code = "0100233488"
    db.session.commit()
    product = make_product(org_a, name="Nước mắm Cửa Lò")
    return {"a": org_a, "b": users["member_b"].organisation, "product": product,
            "organiser": users["organiser"]}


def run(data: bytes, name: str = "past.csv", dry_run: bool = False, by=None):
    """Import and commit when the result allows it (as the page and the command do)."""
    db.session.rollback()
    with write_transaction():
        result = import_deals(data, name, imported_by_id=by, dry_run=dry_run, today=TODAY)
        if result.can_save:
            db.session.commit()
            result.saved = True
        else:
            db.session.rollback()
    return result


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


GOOD = [
    # An MOU at an event (title written without accents) that converted.
    {"Loại": "Biên bản ghi nhớ", "Số BBGN": "12/2023/BBGN",
     "Bên bán": "CÔNG TY CỔ PHẦN THỰC PHẨM NGHỆ AN", "Bên mua": "Siêu thị Đô Lương",
     "Ngày ký": "15/09/2023", "Sự kiện": "hoi nghi ket noi cung cau nghe an 2023",
     "Giá trị (VNĐ)": "1.500.000.000", "Sản lượng": "20.000", "ĐVT": "chai",
     "Sản phẩm": "Nước mắm Cửa Lò; Mắm tôm chua", "Trạng thái": "Đã ký hợp đồng"},
    # Its contract, completed: delivering from the delivery start, completed at its end.
    {"Loại": "Hợp đồng", "Số BBGN": "12/2023/BBGN", "Số hợp đồng": "05/2023/HĐMB",
     "Bên bán": "Cty CP Thực phẩm Nghệ An", "Bên mua": "Siêu thị Đô Lương",
     "Ngày ký": "2023-11-02", "Giá trị (VNĐ)": "600000000", "Trạng thái": "Hoàn thành",
     "Giao hàng từ": "15/11/2023", "Giao hàng đến": "31/03/2024"},
    # A lapsed MOU with a new producer, found by nobody: created.
    {"Loại": "BBGN", "Bên bán": "HTX Chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
     "Ngày ký": "01/06/2022", "Giá trị (VNĐ)": "1,5 tỷ", "Trạng thái": "Không tiến triển",
     "Lý do": "Giá"},
    # A contract without an MOU (no type: it has a contract number), the producer by tax code.
    {"Số hợp đồng": "HĐ-77/2024", "Bên bán": "Tên khác hẳn", "MST bên bán": "0100233488",
     "Bên mua": "Công ty TNHH Phân phối Hoàng Mai", "Ngày ký": "10/01/2024",
     "Giá trị (VNĐ)": "250 triệu", "Trạng thái": "Đang giao hàng"},
]


def test_a_good_file_is_imported_with_its_history_at_the_signing_dates(known):
    event = make_event("Hội nghị kết nối cung cầu Nghệ An 2023")
    result = run(csv_file(GOOD), by=ident(known["organiser"]))
    assert result.saved and not result.has_errors
    assert [r.outcome for r in result.rows] == ["imported"] * 4
    assert (result.mous_created, result.contracts_created, result.organisations_created) == (
        2, 2, 2)
    db.session.rollback()
    mous = {m.reference or m.producer.name: m for m in db.session.scalars(sa.select(Mou))}
    converted = mous["12/2023/BBGN"]
    assert converted.producer_id == ident(known["a"]) and converted.status == "converted"
    assert converted.imported and converted.event_id == ident(event)
    assert converted.estimated_value_vnd == 1_500_000_000 and converted.volume == 20000
    assert [p.id for p in converted.products] == [ident(known["product"])]
    assert "Mắm tôm chua" in converted.notes  # not one of the producer's products
    assert converted.created_by_id == ident(known["organiser"])
    lapsed = mous["HTX Chè Thanh Chương"]
    assert (lapsed.status, lapsed.close_reason, lapsed.estimated_value_vnd) == (
        "lapsed", "price", 1_500_000_000)
    assert lapsed.producer.source == "imported" and lapsed.producer.side == Side.PRODUCER
    contracts = {c.contract_number: c for c in db.session.scalars(sa.select(SupplyContract))}
    completed, standalone = contracts["05/2023/HĐMB"], contracts["HĐ-77/2024"]
    assert completed.mou_id == converted.id and completed.status == "completed"
    assert completed.event_id == ident(event) and completed.imported
    assert standalone.mou_id is None and standalone.producer_id == ident(known["a"])
    assert standalone.value_vnd == 250_000_000 and standalone.status == "delivering"
    assert standalone.distributor.source == "imported"
    assert standalone.distributor.side == Side.DISTRIBUTOR

    def changes(subject, ident_):
        return [(c.to_status, c.changed_at) for c in db.session.scalars(
            sa.select(StatusChange).where(StatusChange.subject_type == subject,
                                          StatusChange.subject_id == ident_)
            .order_by(StatusChange.changed_at, StatusChange.id))]

    def noon(day):
        return local_to_utc(datetime.combine(day, time(12)))

    assert changes("mou", converted.id) == [("signed", noon(date(2023, 9, 15))),
                                           ("converted", noon(date(2023, 11, 2)))]
    assert changes("contract", completed.id) == [
        ("signed", noon(date(2023, 11, 2))), ("delivering", noon(date(2023, 11, 15))),
        ("completed", noon(date(2024, 3, 31)))]
    assert changes("mou", lapsed.id) == [("signed", noon(date(2022, 6, 1))),
                                        ("lapsed", noon(date(2022, 6, 1)))]
    assert converted.last_activity_at == noon(date(2024, 3, 31))
    assert lapsed.last_activity_at == noon(date(2022, 6, 1))
    # The report says what it found.
    codes = {(r.row_number, i.code) for r in result.rows for i in r.issues}
    assert (2, "products_not_found") in codes and (4, "new_organisation") in codes
    assert (5, "matched_by_tax_code") in codes and (5, "new_organisation") in codes
    assert not any(i.is_error for r in result.rows for i in r.issues)


def test_importing_the_same_file_twice_adds_nothing(known):
    make_event("Hội nghị kết nối cung cầu Nghệ An 2023")
    assert run(csv_file(GOOD)).saved
    before = (count(Mou), count(SupplyContract), count(Organisation), count(StatusChange))
    again = run(csv_file(GOOD))
    assert not again.saved and not again.has_errors and not again.changed
    assert [r.outcome for r in again.rows] == ["unchanged"] * 4
    assert all(r.record_id for r in again.rows)
    assert (count(Mou), count(SupplyContract), count(Organisation),
            count(StatusChange)) == before


def test_one_bad_row_and_nothing_is_saved_the_report_names_row_and_column(known):
    make_event("Hội nghị kết nối cung cầu Nghệ An 2023")
    rows = [dict(r) for r in GOOD]
    rows[2]["Ngày ký"] = "31/02/2022"  # spreadsheet row 4
    rows[3]["Giá trị (VNĐ)"] = "khoảng 2 tỷ"  # row 5
    before = (count(Mou), count(SupplyContract), count(Organisation))
    result = run(csv_file(rows))
    assert result.has_errors and not result.saved
    assert (count(Mou), count(SupplyContract), count(Organisation)) == before
    bad = {r.row_number: [(result.column(i.field), i.code, i.value) for i in r.errors]
           for r in result.rows if r.errors}
    assert bad == {4: [("Ngày ký", "bad_date", "31/02/2022")],
                   5: [("Giá trị (VNĐ)", "bad_value", "khoảng 2 tỷ")]}
    assert [r.outcome for r in result.rows] == ["ready", "ready", "error", "error"]


def test_a_dry_run_checks_everything_and_saves_nothing(known):
    make_event("Hội nghị kết nối cung cầu Nghệ An 2023")
    result = run(csv_file(GOOD), dry_run=True)
    assert not result.saved and not result.has_errors and result.changed
    assert (result.mous_created, result.contracts_created) == (2, 2)
    assert [r.outcome for r in result.rows] == ["ready"] * 4
    assert all(r.record_id is None for r in result.rows)
    assert count(Mou) == 0 and count(SupplyContract) == 0


def test_cross_row_checks(known):
    rows = [
        {"Số BBGN": "A-1", "Bên bán": "HTX Chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "01/03/2024", "Trạng thái": "Đã hủy", "Lý do": "Khác: đổi nhà cung cấp"},
        # The same MOU again (same parties, date and reference).
        {"Số BBGN": "a-1", "Bên bán": "HTX chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "1/3/2024"},
        # A contract under a cancelled MOU, signed before it.
        {"Số BBGN": "A-1", "Số hợp đồng": "HĐ-1", "Bên bán": "HTX Chè Thanh Chương",
         "Bên mua": "Siêu thị Đô Lương", "Ngày ký": "01/01/2024", "Giá trị (VNĐ)": "1"},
        # An MOU reference nobody has; and a contract number used twice.
        {"Số BBGN": "Z-9", "Số hợp đồng": "HĐ-2", "Bên bán": "HTX Chè Thanh Chương",
         "Bên mua": "Siêu thị Đô Lương", "Ngày ký": "01/05/2024", "Giá trị (VNĐ)": "1"},
        {"Số hợp đồng": "hđ-2", "Bên bán": "HTX Chè Thanh Chương",
         "Bên mua": "Siêu thị Đô Lương", "Ngày ký": "02/05/2024", "Giá trị (VNĐ)": "1"},
        # Converted without a contract; lapsed without a reason; the same party twice.
        {"Số BBGN": "C-1", "Bên bán": "HTX Chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "01/05/2024", "Trạng thái": "converted"},
        {"Bên bán": "HTX Chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "02/05/2024", "Trạng thái": "lapsed"},
        {"Bên bán": "Siêu thị Đô Lương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "03/05/2024"},
        # No value on a contract; a future signing date; an unknown event; a bad type.
        {"Số hợp đồng": "HĐ-3", "Bên bán": "HTX Chè Thanh Chương",
         "Bên mua": "Siêu thị Đô Lương", "Ngày ký": "03/05/2024"},
        {"Bên bán": "HTX Chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "01/01/2027"},
        {"Bên bán": "HTX Chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "04/05/2024", "Sự kiện": "Hội chợ không có"},
        {"Loại": "Phụ lục", "Bên bán": "HTX Chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "05/05/2024"},
        {"Bên bán": "không rõ", "Bên mua": "Siêu thị Đô Lương", "Ngày ký": "05/05/2024"},
    ]
    result = run(csv_file(rows))
    errors = {r.row_number: sorted(i.code for i in r.errors) for r in result.rows}
    assert errors == {
        2: [], 3: ["duplicate_mou"], 4: ["contract_before_mou", "mou_cancelled"],
        5: ["mou_not_found"], 6: ["duplicate_contract"], 7: ["converted_without_contract"],
        8: ["reason_required"], 9: ["same_party"], 10: ["required"], 11: ["date_range"],
        12: ["unknown_event"], 13: ["bad_type"], 14: ["party_not_stated"]}
    assert result.rows[0].outcome == "ready" and count(Mou) == 0
    assert result.rows[1].errors[0].params == {"row": 2}


def test_a_contract_can_follow_an_mou_already_on_the_platform(known):
    db.session.rollback()
    with write_transaction():
        mou = record_mou(signed_on=date(2025, 5, 1), by_user_id=None, reference="07/BBGN",
                         parties=Parties(ident(known["a"]), ident(known["b"])))
        mou_id = mou.id
        db.session.commit()
    rows = [{"Số BBGN": "07/bbgn", "Số hợp đồng": "HĐ-5", "Bên bán":
             "Công ty CP Thực phẩm Nghệ An", "Bên mua": "Siêu thị Đô Lương",
             "Ngày ký": "01/07/2025", "Giá trị (VNĐ)": "90.000.000"}]
    result = run(csv_file(rows))
    assert result.saved
    db.session.rollback()
    contract = db.session.scalars(sa.select(SupplyContract)).one()
    assert contract.mou_id == mou_id and contract.products == []
    assert db.session.get(Mou, mou_id).status == "converted"
    # The MOU's own row in a later file is "unchanged" and keeps its status.
    again = run(csv_file([{"Số BBGN": "07/BBGN", "Bên bán": "Công ty CP Thực phẩm Nghệ An",
                           "Bên mua": "Siêu thị Đô Lương", "Ngày ký": "01/05/2025",
                           "Trạng thái": "Không tiến triển", "Lý do": "Giá"}]))
    assert [r.outcome for r in again.rows] == ["unchanged"]
    assert [i.code for i in again.rows[0].notices] == ["status_differs"]


def test_reasons_statuses_and_words(known):
    rows = [
        {"Bên bán": "HTX Chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "01/03/2024", "Trạng thái": "Hết hiệu lực", "Lý do": "Khác: đổi mẫu mã"},
        {"Bên bán": "HTX Chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "02/03/2024", "Trạng thái": "cancelled", "Lý do": "Hàng không đạt"},
        {"Bên bán": "HTX Chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "03/03/2024", "Trạng thái": "Đang đàm phán", "Lý do": "Giá"},
        {"Bên bán": "HTX Chè Thanh Chương", "Bên mua": "Siêu thị Đô Lương",
         "Ngày ký": "04/03/2024", "Trạng thái": "LAPSED", "Lý do": "no response"},
        {"Số hợp đồng": "HĐ-T", "Bên bán": "HTX Chè Thanh Chương",
         "Bên mua": "Siêu thị Đô Lương", "Ngày ký": "05/03/2024", "Giá trị (VNĐ)": "0",
         "Trạng thái": "Chấm dứt", "Lý do": "Bên mua giải thể"},
    ]
    result = run(csv_file(rows))
    assert result.saved, [(r.row_number, r.issues) for r in result.rows]
    db.session.rollback()
    found = {m.signed_on.day: (m.status, m.close_reason, m.close_reason_text)
             for m in db.session.scalars(sa.select(Mou))}
    assert found == {1: ("lapsed", "other", "đổi mẫu mã"),
                     2: ("cancelled", "other", "Hàng không đạt"),
                     3: ("negotiating", None, None),
                     4: ("lapsed", "no_response", None)}
    notices = {r.row_number: [i.code for i in r.notices] for r in result.rows}
    assert "reason_as_other" in notices[3] and "reason_ignored" in notices[4]
    contract = db.session.scalars(sa.select(SupplyContract)).one()
    assert (contract.status, contract.end_reason, contract.value_vnd) == (
        "terminated", "Bên mua giải thể", 0)


def test_new_organisations_near_a_known_name_wait_for_review(known):
    rows = [{"Bên bán": "Công ty CP Thực phẩm Nghệ An Vinh", "Bên mua": "Siêu thị Đô Lương",
             "Ngày ký": "01/03/2024"}]
    result = run(csv_file(rows))
    assert result.saved and result.reviews_created == 1
    assert [i.code for i in result.rows[0].notices] == ["new_organisation",
                                                        "possible_duplicate"]
    db.session.rollback()
    review = db.session.scalars(sa.select(MatchReview)).one()
    assert review.candidate_id == ident(known["a"]) and review.status == "pending"
    # A known distributor named as a producer becomes both.
    result = run(csv_file([{"Bên bán": "Siêu thị Đô Lương", "Bên mua": "HTX Chè Thanh Chương",
                            "Ngày ký": "01/03/2024"}]))
    assert result.saved and "side_widened" in [i.code for i in result.rows[0].notices]
    db.session.rollback()
    assert db.session.get(Organisation, ident(known["b"])).side == Side.BOTH


def test_an_xlsx_file_with_date_and_number_cells(known):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["type", "producer", "distributor", "signed_on", "value_million_vnd",
                  "volume", "unit", "ocop_product_set", "hs_code"])
    sheet.append(["MOU", "HTX Chè Thanh Chương", "Siêu thị Đô Lương", date(2024, 2, 1),
                  1.5, 2.5, "tấn", "9", "0902"])
    sheet.append(["MOU", "HTX Chè Thanh Chương", "Siêu thị Đô Lương",
                  datetime(2024, 2, 2, 0, 0), 1500, 2000, "kg", "I.4.a", ""])
    out = io.BytesIO()
    workbook.save(out)
    result = run(out.getvalue(), "past.xlsx")
    assert result.saved, [(r.row_number, r.issues) for r in result.rows]
    db.session.rollback()
    mous = {m.signed_on.day: m for m in db.session.scalars(sa.select(Mou))}
    assert mous[1].estimated_value_vnd == 1_500_000 and mous[1].volume == Decimal("2.5")
    set_9 = db.session.scalar(sa.select(Category.code).where(Category.set_number == 9))
    assert sorted(c.code for c in mous[1].categories) == sorted(["0902", set_9])
    assert mous[2].estimated_value_vnd == 1_500_000_000 and mous[2].volume == 2000
    assert [c.code for c in mous[2].categories] == ["I.4.a"]


def test_the_template_is_recognised_and_imports(app, known):
    with app.test_request_context():
        data = template_workbook()
    table = read_deals_table(data)
    assert table.ignored == () and len(table.columns) == len(import_columns.TEMPLATE_COLUMNS)
    result = run(data, "mau.xlsx")
    assert result.saved, [(r.row_number, r.issues) for r in result.rows]
    assert (result.mous_created, result.contracts_created) == (2, 1)
    with app.test_request_context():
        english = read_deals_table(template_workbook(vietnamese=False))
    assert english.ignored == ()
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["A1"].value == "Loại" and sheet["D2"].value.startswith("HTX")


def test_files_that_cannot_be_used_are_refused(known):
    with pytest.raises(FileError) as refused:
        read_deals_table(csv_file([], header=["Bên bán", "Ngày ký"]))
    assert refused.value.code == "missing_columns"
    assert refused.value.params == {"columns": "distributor"}
    with pytest.raises(FileError) as refused:
        read_deals_table(csv_file([], header=HEADER))
    assert refused.value.code == "no_rows"
    with pytest.raises(FileError) as refused:
        read_deals_table(b"%PDF-1.4 ...")
    assert refused.value.code == "not_table"


@pytest.mark.parametrize(("text", "expected"), [
    ("1.500.000.000", 1_500_000_000), ("1500000000", 1_500_000_000), ("1,5 tỷ", 1_500_000_000),
    ("2 tỷ đồng", 2_000_000_000), ("500 triệu", 500_000_000), ("1.250 triệu", 1_250_000_000),
    ("80.000 đ", 80_000), ("0", 0), ("", None)])
def test_values(text, expected):
    assert parse_value(text) == expected


@pytest.mark.parametrize("text", ["khoảng 2 tỷ", "1,5", "-5", "1.5.0", "1,2345 triệu"])
def test_bad_values(text):
    with pytest.raises(BadValue):
        parse_value(text)


def test_quantities_and_dates():
    assert parse_quantity("2.000") == 2000 and parse_quantity("2,5") == Decimal("2.5")
    assert parse_quantity("1.234,5") == Decimal("1234.5")
    assert parse_quantity("1,234,567") == 1234567
    assert parse_quantity("2.125", dot_is_decimal=True) == Decimal("2.125")
    for bad in ("0", "abc", "1,2345"):
        with pytest.raises(BadValue):
            parse_quantity(bad)
    assert parse_date("5/3/2024") == date(2024, 3, 5)
    assert parse_date("2024-03-05") == parse_date("05.03.2024") == date(2024, 3, 5)
    assert parse_date("2024-03-05 10:30:00") == date(2024, 3, 5)
    assert parse_date("45356") == date(2024, 3, 5)  # an Excel day number
    for bad, code in (("31/02/2024", "bad_date"), ("03/15/2024", "bad_date"),
                      ("1999-12-31", "date_range"), ("hôm qua", "bad_date")):
        with pytest.raises(BadValue) as refused:
            parse_date(bad, TODAY)
        assert refused.value.code == code


def test_every_column_name_means_one_field():
    seen = {}
    for name, aliases in import_columns.FIELDS.items():
        for alias in aliases:
            assert alias == header_key(alias), alias
            assert seen.setdefault(alias, name) == name, alias
    for table in (import_values.TYPE_WORDS, import_values.MOU_STATUS_WORDS,
                  import_values.CONTRACT_STATUS_WORDS, import_values.REASON_WORDS):
        words = [w for values in table.values() for w in values]
        assert len(words) == len(set(words))


def test_the_page_imports_and_reports(app, known):
    make_event("Hội nghị kết nối cung cầu Nghệ An 2023")
    client = client_for(app, known["organiser"])
    page = client.get("/mous/import").get_data(as_text=True)
    assert "mou_reference" in page and "Số BBGN" in page
    token = csrf_token(client, "/mous/import")
    rows = [dict(r) for r in GOOD]
    rows[1]["Ngày ký"] = "hôm qua"
    response = client.post("/mous/import", data={
        "csrf_token": token, "file": (io.BytesIO(csv_file(rows)), "past.csv")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="import-refused"' in html
    assert 'data-row="3" data-outcome="error"' in html
    assert 'data-issue="bad_date" data-column="Ngày ký"' in html
    assert count(Mou) == 0
    checked = client.post("/mous/import", data={
        "csrf_token": token, "dry_run": "y", "file": (io.BytesIO(csv_file(GOOD)), "p.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-testid="import-checked"' in checked and count(Mou) == 0
    saved = client.post("/mous/import", data={
        "csrf_token": token, "file": (io.BytesIO(csv_file(GOOD)), "past.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-testid="import-saved"' in saved and count(Mou) == 2
    assert "2 MOUs and 2 contracts imported, 2 new organisations" in saved
    again = client.post("/mous/import", data={
        "csrf_token": token, "file": (io.BytesIO(csv_file(GOOD)), "past.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-testid="import-nothing-new"' in again and count(Mou) == 2
    refused = client.post("/mous/import", data={
        "csrf_token": token, "file": (io.BytesIO(b"%PDF-1.7"), "x.pdf")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "This is not a CSV or XLSX file. Nothing was imported." in refused


def test_the_template_download(app, known):
    client = client_for(app, known["organiser"])
    response = client.get("/mous/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "past-mous-and-contracts.xlsx" in response.headers["Content-Disposition"]
    table = read_deals_table(response.get_data())
    assert table.columns["signed_on"] == "signed_on" and table.ignored == ()


def test_the_command(app, known, tmp_path):
    make_event("Hội nghị kết nối cung cầu Nghệ An 2023")
    good = tmp_path / "good.csv"
    good.write_bytes(csv_file(GOOD))
    rows = [dict(r) for r in GOOD]
    rows[0]["Bên mua"] = ""
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file(rows))
    db.session.remove()
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["import-deals", str(bad)])
    assert refused.exit_code == 1
    assert "ERROR Bên mua: Empty: this cell is needed." in refused.output
    assert "nothing was saved" in refused.output and count(Mou) == 0
    dry = runner.invoke(args=["import-deals", str(good), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run: would import 2 MOUs, 2 contracts" in dry.output and count(Mou) == 0
    done = runner.invoke(args=["import-deals", str(good)])
    assert "Saved: 2 MOUs, 2 contracts, 2 new organisations" in done.output
    again = runner.invoke(args=["import-deals", str(good)])
    assert "Nothing new" in again.output and "4 unchanged" in again.output
    assert count(Mou) == 2


def test_the_shipped_example_file_imports(app, users):
    data = (ROOT / "data" / "examples" / "past-mous-and-contracts.csv").read_bytes()
    result = run(data, "past-mous-and-contracts.csv")
    assert result.saved, [(r.row_number, r.issues) for r in result.rows if r.errors]
    assert (result.mous_created, result.contracts_created, result.organisations_created) == (
        4, 2, 4)
    db.session.rollback()
    statuses = sorted(m.status for m in db.session.scalars(sa.select(Mou)))
    assert statuses == ["cancelled", "converted", "lapsed", "negotiating"]


def test_a_long_report_shows_the_rows_with_remarks_first(app, known, monkeypatch):
    from matchmaker.deals import routes_import

    monkeypatch.setattr(routes_import, "PLAIN_ROWS_SHOWN", 2)
    monkeypatch.setattr(routes_import, "ISSUE_ROWS_SHOWN", 1)
    rows = [{"Bên bán": "Công ty CP Thực phẩm Nghệ An", "Bên mua": "Siêu thị Đô Lương",
             "Ngày ký": f"{day:02d}/03/2024"} for day in range(1, 7)]
    rows[3]["Ngày ký"] = rows[4]["Ngày ký"] = "sai"
    client = client_for(app, known["organiser"])
    html = client.post("/mous/import", data={
        "csrf_token": csrf_token(client, "/mous/import"),
        "file": (io.BytesIO(csv_file(rows)), "x.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'data-row="(\d+)"', html)]
    assert shown == [2, 3, 5]  # two plain rows, the first row with a problem
    assert "3 more rows are not shown" in html
