"""Import of past MOUs and contracts (staff only; the rules are in
:mod:`matchmaker.deals.importing`).

* ``GET /mous/import`` (``deals.import_results``): the upload form, the column mapping and
  the template to download.
* ``POST /mous/import``: checks the file and, when every row is fine, saves it all in one
  transaction (or only reports, with "check only"). The row-by-row report is shown on the
  response itself: there is no stored import run for deals (a reload re-posts the file,
  which is harmless: importing again adds nothing).
* ``GET /mous/import/template.xlsx`` (``deals.import_template``): an XLSX file with the
  headers (in the page's language) and example rows.
"""

from flask import Response, flash, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.routing import BuildError
from wtforms import BooleanField

from matchmaker.deals import import_columns, import_report, importing
from matchmaker.deals.views import bp
from matchmaker.extensions import db
from matchmaker.imports.parsing import MAX_FILE_BYTES, FileError
from matchmaker.imports.reasons import file_error_message
from matchmaker.permissions import Role, role_required

STAFF = (Role.ORGANISER, Role.ADMIN)
#: Most rows shown in a report: rows with errors or notices, and rows without any (the
#: command line prints every row).
ISSUE_ROWS_SHOWN = 1000
PLAIN_ROWS_SHOWN = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: What each column holds, for the page (the README has the same table).
COLUMN_HELP = {
    "type": _l("MOU or contract (Biên bản ghi nhớ / Hợp đồng). Empty: a contract when the "
               "row has a contract number, else an MOU."),
    "producer": _l("The selling organisation (producer), as named in your records."),
    "producer_tax_code": _l("Its tax code (MST): decides before the name."),
    "distributor": _l("The buying organisation (distributor)."),
    "distributor_tax_code": _l("Its tax code (MST)."),
    "signed_on": _l("Date signed: 31/12/2023 or 2023-12-31."),
    "mou_reference": _l("On an MOU row its number; on a contract row the number of the MOU "
                        "it follows (in the file or already on the platform)."),
    "contract_number": _l("The contract's number (contract rows; required there)."),
    "event": _l("The event's title as on the platform; empty for none."),
    "value_vnd": _l("Estimated value (MOU) or value (contract, required) in đồng: "
                    "1.500.000.000, 1500000000, 1,5 tỷ, 500 triệu."),
    "value_million_vnd": _l("The same in millions of đồng (1.500 or 1,5)."),
    "volume": _l("Quantity: 2.000 or 2,5."),
    "unit": _l("kg, tấn, lít, hộp …"),
    "status": _l("MOU: Đã ký, Đang đàm phán, Đã ký hợp đồng, Không tiến triển, Đã hủy. "
                 "Contract: Đã ký, Đang giao hàng, Hoàn thành, Chấm dứt, Đã hủy. English "
                 "words work too. Empty: signed."),
    "status_date": _l("When the MOU or contract reached that status (default: the "
                      "delivery dates, “valid until”, or the signing date)."),
    "close_reason": _l("Lapsed or cancelled MOU: Giá, Sản lượng, Thiếu chứng nhận, Vận "
                       "chuyển, Điều kiện thanh toán, Chất lượng, Không phản hồi, Khác (other "
                       "text is kept as “other”). Terminated or cancelled contract: any text."),
    "valid_until": _l("MOU rows: valid until."),
    "delivery_from": _l("Contract rows: delivery starts."),
    "delivery_to": _l("Contract rows: delivery ends."),
    "products": _l("Product names separated by “;”: those the producer lists are linked, "
                   "the others kept in the notes."),
    "ocop_product_set": _l("MOU rows: OCOP product set number or code (9, I.4.a); several "
                           "separated by “;”."),
    "hs_code": _l("MOU rows: HS code (0902, 2103.90)."),
    "notes": _l("Anything else."),
}


class DealsUploadForm(FlaskForm):
    """A file of past MOUs and contracts, and whether only to check it."""

    file = FileField(
        _l("File of past MOUs and contracts (CSV or XLSX)"),
        description=_l("A header row, then one MOU or contract per row; at most 10 MB."),
        validators=[FileRequired(_l("Choose a file to upload."))])
    dry_run = BooleanField(_l("Check only: show the report, save nothing"))


def deal_url(kind: str, record_id: int | None) -> str | None:
    """The MOU's or contract's page, when that page exists."""
    if record_id is None:
        return None
    try:
        if kind == "mou":
            return url_for("deals.mou", mou_id=record_id)
        return url_for("deals.contract", contract_id=record_id)
    except BuildError:
        return None


def _shown_rows(result: import_report.DealImportResult) -> tuple[list, int]:
    shown, hidden, with_issues, plain = [], 0, 0, 0
    for row in result.rows:
        if row.issues and with_issues < ISSUE_ROWS_SHOWN:
            with_issues += 1
        elif not row.issues and plain < PLAIN_ROWS_SHOWN:
            plain += 1
        else:
            hidden += 1
            continue
        shown.append(row)
    return shown, hidden


def _columns() -> list[tuple[str, str, bool, str]]:
    """(documented name, Vietnamese header, required, help) for every column."""
    vietnamese = dict(import_columns.TEMPLATE_COLUMNS)
    vietnamese["value_million_vnd"] = "Giá trị (triệu đồng)"
    return [(aliases[0].replace(" ", "_"), vietnamese.get(name, ""),
             name in import_columns.REQUIRED, str(COLUMN_HELP.get(name, "")))
            for name, aliases in import_columns.FIELDS.items()]


def _page(form: DealsUploadForm, result: import_report.DealImportResult | None = None):
    shown, hidden = _shown_rows(result) if result is not None else ([], 0)
    return render_template(
        "deals/import.html", form=form, result=result, rows=shown, hidden_rows=hidden,
        columns=_columns(), outcome_labels=import_report.OUTCOME_LABELS,
        kind_labels=import_report.KIND_LABELS, deal_url=deal_url)


@bp.route("/mous/import", methods=["GET", "POST"])
@role_required(*STAFF)
def import_results():
    """The upload form and the column mapping; a posted file is checked and, when every
    row is fine, saved; the report follows."""
    form = DealsUploadForm()
    if not form.validate_on_submit():
        return _page(form)
    upload = form.file.data
    data = upload.stream.read(MAX_FILE_BYTES + 1)
    try:
        result = importing.import_deals(data, upload.filename or "",
                                        imported_by_id=current_user.id,
                                        dry_run=form.dry_run.data)
    except FileError as exc:
        db.session.rollback()
        form.file.errors.append(_("%(message)s Nothing was imported.",
                                  message=file_error_message(exc.code, exc.params)))
        return _page(form)
    if result.can_save:
        db.session.commit()
        result.saved = True
        flash(_("Saved: %(mous)d MOUs and %(contracts)d contracts imported, %(orgs)d new "
                "organisations.", mous=result.mous_created,
                contracts=result.contracts_created, orgs=result.organisations_created),
              "success")
    else:
        db.session.rollback()
    return _page(form, result)


@bp.get("/mous/import/template.xlsx")
@role_required(*STAFF)
def import_template():
    """An XLSX template: the headers (in the page's language) and example rows."""
    vietnamese = str(get_locale()) != "en"
    data = import_columns.template_workbook(vietnamese=vietnamese)
    name = "mau-nhap-mou-hop-dong.xlsx" if vietnamese else "past-mous-and-contracts.xlsx"
    return Response(data, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
