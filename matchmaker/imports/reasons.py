"""What import codes mean, in the user's language.

Row reasons and file errors are stored and passed around as stable codes; these tables turn
them into text when a page or the CLI shows them (lazy strings: translated at display time).
"""

from flask_babel import lazy_gettext as _l

#: Why a row was skipped, or (on rows that were not) what the organiser should know.
REASONS = {
    # skipped
    "missing_product": _l("No product name."),
    "producer_missing": _l("No producer named."),
    "producer_not_stated": _l("The source does not name the producer."),
    "producer_withheld": _l("The producer's name was withheld (a household business)."),
    "invalid_stars": _l("OCOP stars must be 3, 4 or 5."),
    "invalid_year": _l("The evaluation year is not a year between 2000 and next year."),
    "unknown_product_set": _l("No OCOP product set with this number or code (1 to 26)."),
    "unknown_hs_code": _l("No HS code like this (2, 4 or 6 digits of HS 2022)."),
    "no_category": _l("Neither an OCOP product set nor an HS code: a product needs one."),
    "invalid_price": _l("A price is not a whole amount of đồng."),
    "price_order": _l("The highest price is below the lowest."),
    "invalid_tax_code": _l("The tax code is not valid."),
    "tax_code_mismatch": _l("The organisation with this name has another tax code."),
    "invalid_phone": _l("The phone number is not valid."),
    "too_long": _l("A value is too long."),
    # notices on imported, merged or unchanged rows
    "possible_duplicate": _l("Looks like another organisation: waiting for an organiser to "
                             "merge or keep apart."),
    "older_evaluation": _l("An older evaluation of a product already listed: the newer one is "
                           "kept."),
    "location_ambiguous": _l("The place fits several provinces: the province was left empty."),
    "location_unknown": _l("The place was not recognised: the province was left empty."),
    "nominated_5_star": _l("Nominated for 5 stars, not yet recognised: recorded as 4 stars."),
}

#: Why a whole file was refused (nothing was imported).
FILE_ERRORS = {
    "empty": _l("The file is empty."),
    "too_large": _l("The file is too large: at most %(limit)s MB."),
    "old_excel": _l("This is an old Excel file (.xls). Save it as .xlsx or CSV (UTF-8) and "
                    "upload that."),
    "not_table": _l("This is not a CSV or XLSX file."),
    "bad_xlsx": _l("The file looks like an Excel workbook but cannot be read. Open it in "
                   "Excel and save it again as .xlsx."),
    "encoding": _l("The text encoding of this CSV file is not recognised. Save it as "
                   "\"CSV UTF-8\" and upload it again."),
    "no_header": _l("No header row was found. The first row must name the columns, at least "
                    "%(columns)s."),
    "missing_columns": _l("Required columns are missing: %(columns)s."),
    "duplicate_column": _l("Two columns mean the same thing: %(columns)s."),
    "no_rows": _l("The file has a header row but no data rows."),
    "too_many_rows": _l("The file has more than %(limit)s rows. Split it into smaller files."),
}

#: Outcome names for reports.
OUTCOME_LABELS = {
    "imported": _l("imported"),
    "merged": _l("merged"),
    "unchanged": _l("unchanged"),
    "skipped": _l("skipped"),
}


def file_error_message(code: str, params: dict) -> str:
    """The translated message for a :class:`~matchmaker.imports.parsing.FileError`."""
    message = FILE_ERRORS.get(code)
    if message is None:
        return code
    return str(message) % params if params else str(message)
