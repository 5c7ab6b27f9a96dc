"""The columns of a file of past MOUs and contracts: their names, how the file is read, and
the template to download.

:data:`FIELDS` maps each field to the column names accepted for it (English or Vietnamese,
folded like :func:`matchmaker.imports.parsing.header_key`); :data:`REQUIRED` names the
columns a file must have; :data:`LIMITS` the longest text a column holds.
:func:`read_deals_table` reads a CSV/XLSX file with them (the producer import's reader), and
:func:`template_workbook` writes the XLSX template with :data:`TEMPLATE_COLUMNS` and example
rows. The rules for the rows are in :mod:`matchmaker.deals.importing`.
"""

import io
from datetime import date

from flask_babel import gettext as _

from matchmaker.imports import parsing
from matchmaker.imports.parsing import Table

__all__ = ["FIELDS", "LIMITS", "REQUIRED", "TEMPLATE_COLUMNS", "documented_name",
           "read_deals_table", "template_workbook"]

#: Field -> accepted column names (folded: lower case, no accents, words joined by one
#: space; see :func:`matchmaker.imports.parsing.header_key`). The first is the documented
#: English name (written with underscores).
FIELDS: dict[str, tuple[str, ...]] = {
    "type": ("type", "record type", "kind", "loai", "loai van ban", "loai ho so",
             "mou hay hop dong"),
    "producer": ("producer", "producer organisation", "producer organization", "seller",
                 "supplier", "ben ban", "ben cung cap", "ben cung ung", "nha san xuat",
                 "nha cung cap", "doanh nghiep san xuat", "co so san xuat", "chu the",
                 "chu the san xuat", "don vi san xuat", "doanh nghiep ban"),
    "producer_tax_code": ("producer tax code", "seller tax code", "mst ben ban",
                          "ma so thue ben ban", "mst nha san xuat", "ma so thue nha san xuat",
                          "mst ben cung cap", "mst ben cung ung"),
    "distributor": ("distributor", "distributor organisation", "distributor organization",
                    "buyer", "ben mua", "ben tieu thu", "ben thu mua", "nha phan phoi",
                    "doanh nghiep phan phoi", "don vi thu mua", "don vi tieu thu",
                    "doanh nghiep thu mua", "doanh nghiep mua"),
    "distributor_tax_code": ("distributor tax code", "buyer tax code", "mst ben mua",
                             "ma so thue ben mua", "mst nha phan phoi",
                             "ma so thue nha phan phoi"),
    "signed_on": ("signed on", "date signed", "signing date", "signed", "ngay ky",
                  "ngay ki", "ngay ky ket", "ngay ki ket", "thoi gian ky"),
    "mou_reference": ("mou reference", "mou number", "mou no", "mou ref", "so bbgn",
                      "so bien ban", "so bien ban ghi nho", "bbgn so", "so hieu bbgn",
                      "ma bbgn", "bien ban ghi nho so", "so mou"),
    "contract_number": ("contract number", "contract no", "so hop dong", "so hd",
                        "hop dong so", "so hieu hop dong", "ma hop dong"),
    "event": ("event", "event title", "su kien", "ten su kien", "hoi nghi", "ten hoi nghi",
              "hoi nghi ket noi", "hoi cho"),
    "value_vnd": ("value vnd", "value", "estimated value vnd", "estimated value",
                  "contract value", "gia tri", "gia tri vnd", "gia tri dong",
                  "gia tri d", "tri gia", "gia tri uoc tinh", "gia tri hop dong"),
    "value_million_vnd": ("value million vnd", "value millions vnd", "gia tri trieu dong",
                          "gia tri trieu d", "gia tri tr dong", "gia tri trieu",
                          "tri gia trieu dong", "gia tri uoc tinh trieu dong",
                          "gia tri hop dong trieu dong"),
    "volume": ("volume", "quantity", "san luong", "khoi luong", "so luong"),
    "unit": ("unit", "don vi tinh", "dvt"),
    "status": ("status", "trang thai", "tinh trang", "ket qua"),
    "status_date": ("status date", "status on", "ngay trang thai", "ngay cap nhat",
                    "ngay ket thuc"),
    "close_reason": ("close reason", "reason", "end reason", "ly do", "nguyen nhan",
                     "ly do khong thanh cong", "ly do cham dut", "ly do huy"),
    "valid_until": ("valid until", "hieu luc den", "co hieu luc den", "thoi han",
                    "ngay het han", "het han"),
    "delivery_from": ("delivery from", "giao hang tu", "giao hang tu ngay",
                      "thoi gian giao hang tu"),
    "delivery_to": ("delivery to", "giao hang den", "giao hang den ngay",
                    "thoi gian giao hang den"),
    "products": ("products", "product", "product names", "san pham", "ten san pham",
                 "mat hang"),
    # The same names as the producer import.
    "ocop_product_set": parsing.FIELDS["ocop_product_set"],
    "hs_code": parsing.FIELDS["hs_code"],
    "notes": ("notes", "note", "ghi chu"),
}
#: The columns a file must have.
REQUIRED = ("producer", "distributor", "signed_on")
#: Longest text per field (the columns' widths).
LIMITS = {"producer": 255, "distributor": 255, "mou_reference": 80, "contract_number": 80,
          "unit": 20}


def documented_name(field_name: str) -> str:
    """The documented English header of a field (``"mou_reference"``): its first name in
    :data:`FIELDS`, words joined by underscores."""
    return FIELDS[field_name][0].replace(" ", "_")


def read_deals_table(data: bytes) -> Table:
    """Read a deals file (CSV or XLSX bytes) with :mod:`matchmaker.imports.parsing` and
    :data:`FIELDS`.

    Raises:
        FileError: the file as a whole cannot be used (codes as for the producer import).
    """
    return parsing.read_table(data, FIELDS, REQUIRED)


# --- the template file -----------------------------------------------------------------------

#: Columns of the downloadable template, in order: (field, Vietnamese header).
TEMPLATE_COLUMNS = (
    ("type", "Loại"), ("mou_reference", "Số BBGN"), ("contract_number", "Số hợp đồng"),
    ("producer", "Bên bán"), ("producer_tax_code", "MST bên bán"),
    ("distributor", "Bên mua"), ("distributor_tax_code", "MST bên mua"),
    ("signed_on", "Ngày ký"), ("event", "Sự kiện"), ("value_vnd", "Giá trị (VNĐ)"),
    ("volume", "Sản lượng"), ("unit", "Đơn vị tính"), ("products", "Sản phẩm"),
    ("ocop_product_set", "Bộ sản phẩm OCOP"), ("hs_code", "Mã HS"),
    ("valid_until", "Hiệu lực đến"), ("delivery_from", "Giao hàng từ"),
    ("delivery_to", "Giao hàng đến"), ("status", "Trạng thái"),
    ("status_date", "Ngày trạng thái"), ("close_reason", "Lý do"), ("notes", "Ghi chú"),
)
#: Example rows of the template (fictional organisations).
TEMPLATE_EXAMPLES = (
    {"type": "Biên bản ghi nhớ", "mou_reference": "12/2023/BBGN", "producer":
     "HTX Nông nghiệp Ví dụ Thanh Chương", "distributor": "Công ty TNHH Phân phối Ví dụ",
     "signed_on": date(2023, 9, 15), "event": "", "value_vnd": 1_500_000_000,
     "volume": 20000, "unit": "kg", "products": "Chè xanh", "ocop_product_set": "9",
     "valid_until": date(2024, 9, 15), "status": "Đã ký hợp đồng"},
    {"type": "Hợp đồng", "mou_reference": "12/2023/BBGN", "contract_number": "05/2023/HĐMB",
     "producer": "HTX Nông nghiệp Ví dụ Thanh Chương",
     "distributor": "Công ty TNHH Phân phối Ví dụ", "signed_on": date(2023, 11, 2),
     "value_vnd": 600_000_000, "volume": 8000, "unit": "kg",
     "delivery_from": date(2023, 11, 15), "delivery_to": date(2024, 3, 31),
     "status": "Hoàn thành"},
    {"type": "Biên bản ghi nhớ", "producer": "Cơ sở sản xuất Ví dụ Diễn Châu",
     "distributor": "Công ty TNHH Phân phối Ví dụ", "signed_on": date(2022, 6, 1),
     "value_vnd": 300_000_000, "status": "Không tiến triển", "close_reason": "Giá"},
)


def template_workbook(vietnamese: bool = True) -> bytes:
    """An XLSX file with the column headers (Vietnamese, or the documented English names),
    three example rows and a second sheet explaining the columns. Every header is one the
    import recognises."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "MOU-HĐ" if vietnamese else "MOUs-contracts"
    headers = [vi if vietnamese else documented_name(name) for name, vi in TEMPLATE_COLUMNS]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for example in TEMPLATE_EXAMPLES:
        sheet.append([example.get(name, "") for name, _vi in TEMPLATE_COLUMNS])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "dd/mm/yyyy"
            elif isinstance(cell.value, int):
                cell.number_format = "#,##0"
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 18
    guide = workbook.create_sheet(_("Columns"))
    guide.append([_("Column"), _("Vietnamese"), _("Required")])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for name, vi in TEMPLATE_COLUMNS:
        guide.append([documented_name(name), vi, _("yes") if name in REQUIRED else ""])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 24
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

