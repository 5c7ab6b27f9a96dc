"""Producer import: the shipped Nghệ An file, other formats, bad files and bad rows, the CLI."""

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from matchmaker.catalogue.models import Category, Product
from matchmaker.extensions import db
from matchmaker.imports import parsing
from matchmaker.imports.cli import import_producers as import_command
from matchmaker.imports.models import ImportRow, MatchReview, ProducerImport
from matchmaker.imports.parsing import FileError
from matchmaker.imports.services import DEFAULT_UNIT, import_producers
from matchmaker.organisations.identity import identity_key, placeholder_reason
from matchmaker.organisations.models import Organisation, Side
from matchmaker.text import _SPLIT_TONE, fold
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
NGHE_AN_FILE = ROOT / "data" / "producers" / "nghe-an-ocop-products-from-news.csv"
NGHE_AN = 40
HEADER = ["product_name", "producer_organisation", "old_district_pre_2025", "ocop_stars",
          "evaluation_year", "suggested_ocop_product_set_no"]


def nghe_an_rows() -> list[dict[str, str]]:
    with NGHE_AN_FILE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list], header: list[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def table_counts() -> dict[str, int]:
    """Rows in every table (categories included), read in a fresh transaction."""
    db.session.rollback()
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def run(data: bytes, **kwargs):
    result = import_producers(data, kwargs.pop("filename", "test.csv"), **kwargs)
    db.session.commit()
    return result


def org_named(name: str) -> Organisation:
    return db.session.scalar(sa.select(Organisation).where(
        Organisation.identity_key == identity_key(name)))


def products_of(org: Organisation) -> dict[str, Product]:
    return {p.name: p for p in db.session.scalars(
        sa.select(Product).where(Product.organisation_id == org.id))}


def snapshot() -> set[tuple]:
    """What an import produced, independent of ids."""
    rows = db.session.execute(
        sa.select(Organisation.name, Organisation.province_code, Organisation.legal_form,
                  Product.name, Product.ocop_stars, Product.ocop_year, Product.ocop_decision,
                  Category.set_number)
        .join(Product, Product.organisation_id == Organisation.id)
        .join(Category, Category.id == Product.ocop_category_id))
    return set(rows)


# --- the shipped Nghệ An file ---------------------------------------------------------------

def test_every_product_naming_its_producer_lands_under_that_organisation(app_ctx):
    result = run(NGHE_AN_FILE.read_bytes(), default_province=NGHE_AN)
    source = nghe_an_rows()
    assert len(result.rows) == len(source) == 39
    for report, row in zip(result.rows, source, strict=True):
        reason = placeholder_reason(row["producer_organisation"])
        if reason:
            assert (report.outcome, report.reason) == ("skipped", reason), report
            assert report.detail == row["producer_organisation"]
            continue
        assert report.outcome in ("imported", "merged"), report
        product = db.session.get(Product, report.product_id)
        assert product.name_key == fold(row["product_name"])
        assert product.organisation.identity_key == identity_key(row["producer_organisation"])
        assert product.ocop_category.set_number == int(row["suggested_ocop_product_set_no"])
    skipped = [r for r in result.rows if r.outcome == "skipped"]
    assert sorted(r.reason for r in skipped) == ["producer_not_stated"] * 5 + [
        "producer_withheld"] * 2
    # Placeholders are not organisations.
    names = set(db.session.scalars(sa.select(Organisation.name)))
    assert not any(n.startswith("(") for n in names)
    assert len(names) == 16
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 31


def test_the_same_company_written_differently_is_one_organisation(app_ctx):
    run(NGHE_AN_FILE.read_bytes(), default_province=NGHE_AN)
    pu_mat = db.session.scalars(sa.select(Organisation).where(
        Organisation.name_key.contains("pu mat"))).all()
    assert [o.name for o in pu_mat] == ["Công ty CP Dược liệu Pù Mát"]
    assert sorted(products_of(pu_mat[0])) == sorted([
        "Trà hòa tan cà gai leo", "Trà hòa tan dây thìa canh", "Cao cà gai leo",
        "Cao dây thìa canh", "Trà túi lọc cà gai leo", "Trà túi lọc dây thìa canh",
        "Trà túi lọc giảo cổ lam", "Cao cà gai leo Pù Mát"])
    assert pu_mat[0].legal_form == "joint_stock"
    assert pu_mat[0].province_code == NGHE_AN
    assert pu_mat[0].address_as_written == "Con Cuông"
    assert pu_mat[0].source == "imported" and pu_mat[0].side == Side.PRODUCER
    # "Công ty CP thủy sản Nghệ An" and "Công ty cổ phần Thủy sản Nghệ An".
    fish = db.session.scalars(sa.select(Organisation).where(
        Organisation.name_key.contains("thuy san nghe an"))).all()
    assert len(fish) == 1
    assert len(products_of(fish[0])) == 3
    # "… Sỹ Thắng" with "Thủy sản" and "thủy sản".
    assert len(products_of(org_named("Công ty TNHH XNK Nông lâm thủy sản Sỹ Thắng"))) == 2


def test_a_close_but_uncertain_match_waits_for_an_organiser(app_ctx):
    result = run(NGHE_AN_FILE.read_bytes(), default_province=NGHE_AN)
    long_name = org_named("Công ty cổ phần Thủy sản Vạn Phần Diễn Châu")
    short_name = org_named("Công ty CP Thủy sản Vạn Phần")
    assert long_name.id != short_name.id  # not merged silently
    review = db.session.scalar(sa.select(MatchReview))
    assert (review.organisation_id, review.candidate_id, review.status) == (
        short_name.id, long_name.id, "pending")
    assert review.similarity >= 0.85 and review.import_id == result.import_id
    assert review.organisation_key == identity_key("Công ty CP Thủy sản Vạn Phần")
    flagged = next(r for r in result.rows if r.row_number == 29)
    assert (flagged.reason, flagged.detail) == ("possible_duplicate", long_name.name)
    assert result.reviews_created == 1


def test_the_latest_evaluation_of_a_product_wins(app_ctx):
    result = run(NGHE_AN_FILE.read_bytes(), default_province=NGHE_AN)
    tea = products_of(org_named("Công ty CP Dược liệu Pù Mát"))["Trà túi lọc cà gai leo"]
    # 2023 (row 19) is kept although the 2019 row (34) comes later in the file.
    assert (tea.ocop_stars, tea.ocop_year, tea.ocop_decision) == (4, 2023, "348/QĐ-UBND")
    older = next(r for r in result.rows if r.row_number == 34)
    assert (older.outcome, older.reason, older.detail) == ("merged", "older_evaluation", "2019")
    assert older.product_id == tea.id
    # Nominated for 5 stars by the province: 4 stars until the national council decides.
    lamps = products_of(org_named("Công ty TNHH Đức Phong"))["Bộ đèn tre Đức Phong"]
    assert lamps.ocop_stars == 4
    # No unit in the file: the neutral default, counted in the report.
    assert lamps.unit == DEFAULT_UNIT and result.unit_defaulted == 31


def test_importing_the_same_file_twice_adds_nothing(app_ctx):
    data = NGHE_AN_FILE.read_bytes()
    first = run(data, default_province=NGHE_AN)
    assert first.import_id is not None
    before = table_counts()
    assert before["producer_imports"] == 1 and before["import_rows"] == 39
    second = run(data, default_province=NGHE_AN)
    assert table_counts() == before
    assert {r.outcome for r in second.rows} == {"unchanged", "skipped"}
    assert second.count("unchanged") == 32
    assert (second.import_id, second.previous_import_id) == (None, first.import_id)
    assert not second.changed


def test_an_xlsx_of_the_file_gives_the_same_result(app_ctx):
    source = nghe_an_rows()
    header = list(source[0])
    numeric = {"ocop_stars", "evaluation_year", "suggested_ocop_product_set_no"}
    rows = [[int(r[h]) if h in numeric else (r[h] or None) for h in header] for r in source]
    import_producers(NGHE_AN_FILE.read_bytes(), "nghe-an.csv", default_province=NGHE_AN)
    from_csv = snapshot()
    db.session.rollback()
    assert table_counts()["organisations"] == 0

    result = run(xlsx_bytes(rows, header), filename="nghe-an.xlsx", default_province=NGHE_AN)
    assert result.kind == "xlsx"
    assert snapshot() == from_csv
    assert [r.outcome for r in result.rows].count("skipped") == 7
    # The CSV after the XLSX: the same data, nothing to add.
    again = run(NGHE_AN_FILE.read_bytes(), default_province=NGHE_AN)
    assert not again.changed


# --- files refused as a whole ---------------------------------------------------------------

@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty"),
    (b"  \n\n", "empty"),
    (b"%PDF-1.7\n...", "not_table"),
    (b"\x89PNG\r\n\x1a\n....", "not_table"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old_excel"),
    (b"PK\x03\x04not really a workbook", "bad_xlsx"),
    (b"\x00\x01\x02binary\x00", "not_table"),
    ("日本語のファイル,です".encode("shift_jis"), "encoding"),
    (b"name,email\nA,a@x.vn\n", "no_header"),
    (csv_bytes([["Chè", "4"]], ["product_name", "ocop_stars"]), "missing_columns"),
    (csv_bytes([], HEADER), "no_rows"),
    (csv_bytes([["a", "b", "c"]], ["product_name", "Tên sản phẩm", "producer"]),
     "duplicate_column"),
])
def test_bad_files_change_nothing(app_ctx, data, code):
    before = table_counts()
    with pytest.raises(FileError) as caught:
        import_producers(data, "bad")
    db.session.rollback()
    assert caught.value.code == code
    assert table_counts() == before


def test_missing_columns_are_named(app_ctx):
    with pytest.raises(FileError) as caught:
        import_producers(csv_bytes([["Chè", "4"]], ["product_name", "ocop_stars"]), "x.csv")
    assert caught.value.params == {"columns": "producer_organisation"}


def test_too_many_rows(app_ctx, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 3)
    rows = [[f"Chè {i}", "HTX Chè Thanh Đức", "", "4", "2023", "11"] for i in range(4)]
    with pytest.raises(FileError) as caught:
        import_producers(csv_bytes(rows), "big.csv")
    assert caught.value.code == "too_many_rows"
    assert import_producers(csv_bytes(rows[:3]), "ok.csv").count("imported") == 3


# --- rows -----------------------------------------------------------------------------------

def test_broken_rows_are_reported_and_the_others_imported(app_ctx):
    header = HEADER + ["hs_code", "price_min_vnd", "price_max_vnd", "tax_code", "phone", "unit"]
    good = ["Nước mắm Cửa Hội", "Công ty CP Thủy sản Nghệ An", "Cửa Lò", "4", "2023", "9",
            "2103", "80.000", "120.000 đ", "0100233488", "0238 3 844 555", "chai"]
    rows = [
        good,
        ["", "Công ty CP Thủy sản Nghệ An", "", "4", "2023", "9", "", "", "", "", "", ""],
        ["Chè xanh", "không rõ", "", "4", "2023", "11", "", "", "", "", "", ""],
        ["Chè xanh", "HTX Chè Thanh Đức", "", "7", "2023", "11", "", "", "", "", "", ""],
        ["Chè xanh", "HTX Chè Thanh Đức", "", "4", "20x3", "11", "", "", "", "", "", ""],
        ["Chè xanh", "HTX Chè Thanh Đức", "", "4", "2023", "99", "", "", "", "", "", ""],
        ["Chè xanh", "HTX Chè Thanh Đức", "", "4", "2023", "", "9999", "", "", "", "", ""],
        ["Chè xanh", "HTX Chè Thanh Đức", "", "4", "2023", "", "", "", "", "", "", ""],
        ["Chè xanh", "HTX Chè Thanh Đức", "", "4", "2023", "11", "", "1,5", "", "", "", ""],
        ["Chè xanh", "HTX Chè Thanh Đức", "", "4", "2023", "11", "", "90000", "50000", "", "",
         ""],
        ["Chè xanh", "HTX Chè Thanh Đức", "", "4", "2023", "11", "", "", "", "0100233481", "",
         ""],
        ["Chè xanh", "HTX Chè Thanh Đức", "", "4", "2023", "11", "", "", "", "", "12345", ""],
        ["Chè xanh " + "x" * 300, "HTX Chè Thanh Đức", "", "4", "2023", "11", "", "", "", "",
         "", ""],
        ["Chè xanh Thanh Chương", "HTX Chè Thanh Đức", "Thanh Chương", "★★★★", "2023.0",
         "I.5.a", "", "", "", "", "", "hộp"],
    ]
    result = run(csv_bytes(rows, header), default_province=NGHE_AN)
    outcomes = [(r.row_number, r.outcome, r.reason) for r in result.rows]
    assert outcomes == [
        (2, "imported", None),
        (3, "skipped", "missing_product"),
        (4, "skipped", "producer_not_stated"),
        (5, "skipped", "invalid_stars"),
        (6, "skipped", "invalid_year"),
        (7, "skipped", "unknown_product_set"),
        (8, "skipped", "unknown_hs_code"),
        (9, "skipped", "no_category"),
        (10, "skipped", "invalid_price"),
        (11, "skipped", "price_order"),
        (12, "skipped", "invalid_tax_code"),
        (13, "skipped", "invalid_phone"),
        (14, "skipped", "too_long"),
        (15, "imported", None),
    ]
    assert result.rows[3].detail == "7"
    sauce = db.session.get(Product, result.rows[0].product_id)
    assert (sauce.price_min_vnd, sauce.price_max_vnd, sauce.unit) == (80_000, 120_000, "chai")
    assert sauce.hs_category.code == "2103" and sauce.ocop_category.set_number == 9
    assert (sauce.organisation.tax_code, sauce.organisation.phone) == (
        "0100233488", "+842383844555")
    tea = db.session.get(Product, result.rows[-1].product_id)
    assert (tea.ocop_stars, tea.ocop_year, tea.unit) == (4, 2023, "hộp")
    assert tea.ocop_category.set_number == 11
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportRow)) == 14


def test_vietnamese_headers_semicolons_and_a_bom(app_ctx):
    header = ["Tên sản phẩm", "Chủ thể", "Địa chỉ", "Số sao", "Năm đánh giá",
              "Bộ sản phẩm OCOP", "Ghi chú", "Cột lạ"]
    rows = [["Nước mắm Cửa Lò", "Cty CP Thuỷ sản Nghệ An", "Phường Thu Thủy, TX Cửa Lò",
             "4 sao", "2021", "9", "", "x"]]
    data = b"\xef\xbb\xbf" + csv_bytes(rows, header, delimiter=";")
    result = run(data)
    assert result.rows[0].outcome == "imported", result.rows[0]
    assert result.ignored_columns == ("Cột lạ",)
    org = db.session.get(Organisation, result.rows[0].organisation_id)
    # No default province: the old address alone says Nghệ An.
    assert org.province_code == NGHE_AN
    assert org.address_line == "Phường Thu Thủy, TX Cửa Lò"


def _cp1258(text: str) -> bytes:
    # Windows-1258 has no precomposed toned vowels: the tone is a combining mark after the
    # vowel, as Excel writes it.
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, tone = _SPLIT_TONE[ch]
            out += base.encode("cp1258") + tone.encode("cp1258")
    return out


@pytest.mark.parametrize("encode", [_cp1258, lambda t: t.encode("utf-16")])
def test_windows_and_unicode_text_encodings(app_ctx, encode):
    text = ("product_name,producer_organisation,ocop_stars,suggested_ocop_product_set_no\n"
            "Rượu mú từn,Công ty TNHH Long Lưu,4,15\n")
    result = run(encode(text))
    assert result.rows[0].outcome == "imported"
    product = db.session.get(Product, result.rows[0].product_id)
    assert (product.name, product.organisation.name) == ("Rượu mú từn", "Công ty TNHH Long Lưu")


def test_place_and_default_province(app_ctx):
    rows = [["Mật ong", "HTX Ong mật Hoàng Mai", "Hoàng Mai", "3", "2022", "4"],
            ["Mật ong", "HTX Ong mật Quỳnh Lưu", "", "3", "2022", "4"],
            ["Mật ong", "HTX Ong mật Con Cuông", "Con Cuông", "3", "2022", "4"]]
    result = run(csv_bytes(rows))  # no default province
    ambiguous, nowhere, known = (db.session.get(Organisation, r.organisation_id)
                                 for r in result.rows)
    assert ambiguous.province_code is None and result.rows[0].reason == "location_ambiguous"
    assert "Hoàng Mai" in result.rows[0].detail
    assert nowhere.province_code is None and result.rows[1].reason is None
    assert known.province_code == NGHE_AN
    db.session.execute(sa.delete(ImportRow))
    db.session.execute(sa.delete(ProducerImport))
    db.session.execute(sa.delete(Product))
    db.session.execute(sa.delete(Organisation))
    db.session.commit()
    # With the list's province: the ambiguous district is the one in Nghệ An.
    result = run(csv_bytes(rows), default_province=NGHE_AN)
    assert {db.session.get(Organisation, r.organisation_id).province_code
            for r in result.rows} == {NGHE_AN}


def test_a_tax_code_decides_before_the_name(app_ctx):
    header = HEADER + ["tax_code"]
    rows = [["Chè xanh", "HTX Chè Thanh Đức", "", "4", "2023", "11", "2901000009"],
            ["Chè búp", "Hợp tác xã nông nghiệp chè Thanh Đức Thanh Chương", "", "3", "2023",
             "11", "2901000009"]]
    result = run(csv_bytes(rows, header))
    assert result.rows[0].organisation_id == result.rows[1].organisation_id
    assert result.rows[1].outcome == "imported"  # a new product of the same organisation
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_an_existing_distributor_with_the_same_name_becomes_both(app_ctx):
    buyer = factories.make_organisation("Công ty Cổ phần Thủy sản Nghệ An", Side.DISTRIBUTOR)
    result = run(csv_bytes([["Nước mắm", "Công ty CP thủy sản Nghệ An", "", "4", "2023", "9"]]))
    assert (result.rows[0].outcome, result.rows[0].organisation_id) == ("imported", buyer.id)
    db.session.refresh(buyer)
    assert buyer.side == Side.BOTH
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchReview)) == 0


def test_a_dry_run_records_nothing(app_ctx):
    before = table_counts()
    result = import_producers(NGHE_AN_FILE.read_bytes(), "x.csv", dry_run=True,
                              default_province=NGHE_AN)
    db.session.rollback()
    assert result.count("imported") == 31 and result.import_id is None
    assert table_counts() == before


# --- the command ----------------------------------------------------------------------------

def test_cli_prints_the_report_and_imports_once(app, app_ctx):
    runner = app.test_cli_runner()
    first = runner.invoke(import_command, [str(NGHE_AN_FILE), "--province", "Nghệ An"])
    assert first.exit_code == 0, first.output
    assert "39 rows: 31 imported, 1 merged, 0 unchanged, 7 skipped." in first.output
    assert "possible duplicates to review at /imports/reviews: 1." in first.output
    assert "Saved as import #" in first.output
    lines = first.output.splitlines()
    row_2 = next(line for line in lines if line.strip().startswith("2 "))
    assert "skipped" in row_2 and "producer_not_stated" in row_2 and "Hạt sen sấy" in row_2
    assert "The source does not name the producer." in first.output
    assert any("possible_duplicate" in line and "Vạn Phần" in line for line in lines)
    assert table_counts()["producer_imports"] == 1

    second = runner.invoke(import_command, [str(NGHE_AN_FILE), "--province", "nghe an"])
    assert second.exit_code == 0
    assert "0 imported, 0 merged, 32 unchanged, 7 skipped" in second.output
    assert "Nothing changed. This file was imported before (import #" in second.output
    assert table_counts()["producer_imports"] == 1


def test_cli_dry_run_and_refused_files(app, app_ctx, tmp_path):
    runner = app.test_cli_runner()
    dry = runner.invoke(import_command, [str(NGHE_AN_FILE), "--dry-run"])
    assert dry.exit_code == 0 and "Dry run: nothing was saved." in dry.output
    assert table_counts()["organisations"] == 0
    bad = tmp_path / "producers.csv"
    bad.write_bytes(csv_bytes([["Chè", "4"]], ["product_name", "ocop_stars"]))
    refused = runner.invoke(import_command, [str(bad)])
    assert refused.exit_code == 1
    assert "Required columns are missing: producer_organisation." in refused.output
    assert "Nothing was imported." in refused.output
    wrong = runner.invoke(import_command, [str(NGHE_AN_FILE), "--province", "Hoàng Mai"])
    assert wrong.exit_code == 2 and "is not one province" in wrong.output
    assert table_counts()["organisations"] == 0


def test_cli_shows_progress_for_large_files(app, app_ctx, tmp_path):
    rows = [[f"Chè số {i}", f"HTX Chè số {i}", "", "4", "2023", "11"] for i in range(250)]
    big = tmp_path / "big.csv"
    big.write_bytes(csv_bytes(rows))
    result = app.test_cli_runner().invoke(import_command, [str(big), "--province", "Nghệ An"])
    assert result.exit_code == 0, result.output
    assert "Importing" in result.output
    assert "250 rows: 250 imported" in result.output
    assert table_counts()["products"] == 250


def test_organisations_saved_under_older_key_rules_still_match(app_ctx):
    org = factories.make_organisation("Công ty Đầu tư và sản xuất ATC")
    db.session.execute(sa.update(Organisation).values(identity_key="cong ty dau tu va san xuat"))
    db.session.commit()
    result = run(csv_bytes([["Trà linh chi", "Cty Đầu tư & SX ATC", "", "4", "2019", "18"]]))
    assert result.rows[0].organisation_id == org.id
    db.session.refresh(org)
    assert org.identity_key == identity_key("Công ty Đầu tư và sản xuất ATC")


def test_every_reason_the_importer_gives_has_a_message():
    import re as _re

    from matchmaker.imports.reasons import REASONS
    from matchmaker.organisations import identity

    source = (ROOT / "matchmaker" / "imports" / "services.py").read_text(encoding="utf-8")
    codes = set(_re.findall(r'_Skip\("(\w+)"', source))
    codes |= set(_re.findall(r'notices\.(?:append|insert)\((?:0, )?\(\s*"(\w+)"', source))
    codes |= set(_re.findall(r'"(location_\w+)"', source))
    codes |= set(_re.findall(r'return "(producer_\w+)"', Path(identity.__file__).read_text(
        encoding="utf-8")))
    assert len(codes) > 15
    assert codes <= set(REASONS), codes - set(REASONS)
