"""Import producers and their products from a CSV/XLSX file, all or nothing.

:func:`import_producers` reads the file (:mod:`matchmaker.imports.parsing`), checks every
row, and writes organisations, products and review flags in the caller's transaction,
together with a :class:`~matchmaker.imports.models.ProducerImport` and one
:class:`~matchmaker.imports.models.ImportRow` per row. It flushes and never commits: the
caller commits once, or rolls back (dry runs, errors), so a file is never half imported.

Rules (the README's "Importing producers" section says the same for users):

* One organisation per identity (:func:`matchmaker.organisations.identity.identity_key`), or
  per tax code when the row gives one. A name that an organiser merged into another
  organisation keeps meaning that organisation.
* A new organisation whose name is close to an existing one
  (:func:`~matchmaker.organisations.identity.match_score` ≥ ``CLOSE_MATCH``) is created
  and flagged with a pending :class:`~matchmaker.imports.models.MatchReview`, never merged
  silently.
* Placeholder producers ("(not stated…)", "(household business – name withheld)") are not
  organisations: the row is skipped with the reason.
* One product per organisation and folded name; when several rows name it (evaluations of
  different years) the latest evaluation's stars, year and decision win. Other fields only
  fill what is empty, so an import never overwrites what a producer typed.
* Running the same file again changes nothing: every row reports ``unchanged`` and no
  import is recorded.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from matchmaker.catalogue.models import Category, Product
from matchmaker.extensions import db
from matchmaker.imports.models import MERGED, ImportRow, MatchReview, ProducerImport
from matchmaker.imports.parsing import Table, read_table
from matchmaker.money import InvalidAmount, parse_vnd
from matchmaker.organisations.addresses import resolve_address
from matchmaker.organisations.identifiers import (
    InvalidPhone,
    InvalidTaxCode,
    normalise_phone,
    normalise_tax_code,
)
from matchmaker.organisations.identity import (
    CloseMatchIndex,
    identity_key,
    legal_form_of,
    placeholder_reason,
)
from matchmaker.organisations.models import Organisation, Side
from matchmaker.permissions import is_staff, view_rule
from matchmaker.text import fold, normalise
from matchmaker.timeutil import to_local, utcnow

__all__ = ["DEFAULT_UNIT", "ImportResult", "RowReport", "import_producers"]

#: Unit given to products when the file has no unit column or leaves it empty.
DEFAULT_UNIT = "sản phẩm"
#: The first year an evaluation may carry (OCOP began in 2018; older lists exist).
MIN_YEAR = 2000
#: Most review flags one new organisation gets (the closest candidates).
MAX_CANDIDATES = 3
# PostgreSQL advisory lock taken for the transaction: two imports never interleave, so both
# cannot create the same organisation. SQLite gets the same from BEGIN IMMEDIATE.
IMPORT_LOCK_KEY = 0x4D4D_494D
_STARS_RE = re.compile(r"(\d)(?:[.,]0+)?\s*(?:sao|stars?|\*|★)?")
_YEAR_RE = re.compile(r"(\d{4})(?:[.,]0+)?")
_SET_NUMBER_RE = re.compile(r"(\d{1,2})(?:[.,]0+)?")
_NOMINATED = ("nominat", "de cu", "de nghi")
_LIMITS = {"product_name": 255, "producer_organisation": 255, "decision_ref": 80,
           "address": 255, "unit": 20}


@view_rule(ProducerImport)
def _can_view_import(user, _run: ProducerImport) -> bool:
    # Reports name organisations that have not joined the platform: staff only.
    return is_staff(user)


@dataclass
class RowReport:
    """What happened to one row (see :class:`~matchmaker.imports.models.ImportRow`).

    ``product_name`` / ``producer_name`` are the row's text; ``organisation_name`` is the
    name of the organisation the row went to (it may be written differently).
    """

    row_number: int
    outcome: str = "skipped"
    reason: str | None = None
    detail: str = ""
    product_name: str = ""
    producer_name: str = ""
    organisation_id: int | None = None
    product_id: int | None = None
    organisation_name: str = ""


@dataclass
class ImportResult:
    """The report of one import.

    ``import_id`` is the recorded :class:`ProducerImport` (None for a dry run or when nothing
    changed); ``previous_import_id`` the last earlier import of a file with the same content.
    ``unit_defaulted`` counts products given :data:`DEFAULT_UNIT`.
    """

    filename: str
    sha256: str
    rows: list[RowReport]
    ignored_columns: tuple[str, ...] = ()
    kind: str = "csv"
    import_id: int | None = None
    previous_import_id: int | None = None
    organisations_created: int = 0
    products_created: int = 0
    reviews_created: int = 0
    unit_defaulted: int = 0
    dry_run: bool = False
    reviews: list[MatchReview] = field(default_factory=list, repr=False)

    def count(self, outcome: str) -> int:
        """Rows with this outcome."""
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def changed(self) -> bool:
        """True when the import added or changed anything."""
        return self.reviews_created > 0 or any(
            r.outcome in ("imported", "merged") for r in self.rows)


class _Skip(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass
class _Row:
    """A row that passed the checks, values cleaned."""

    product_name: str
    producer_name: str
    key: str
    legal_form: str | None
    stars: int | None
    year: int | None
    decision: str | None
    ocop_category_id: int | None
    hs_category_id: int | None
    unit: str | None
    price_min: int | None
    price_max: int | None
    tax_code: str | None
    phone: str | None
    description: str | None
    address_line: str | None
    location_as_written: str | None
    province_code: int | None
    ward_code: int | None
    notices: list[tuple[str, str]] = field(default_factory=list)


class _Importer:
    """One import run: caches of what the database holds and what this run created."""

    def __init__(self, table: Table, default_province: int | None) -> None:
        self.table = table
        self.default_province = default_province
        self.this_year = to_local(utcnow()).year
        self.ocop_by_number: dict[int, int] = {}
        self.ocop_by_code: dict[str, int] = {}
        self.hs_by_code: dict[str, int] = {}
        self.org_ids_by_key: dict[str, list[int]] = {}
        self.org_names: dict[int, str] = {}
        self.org_ids_by_tax: dict[str, int] = {}
        self.aliases: dict[str, int] = {}
        self.close = CloseMatchIndex()
        self.new_orgs: dict[str, Organisation] = {}
        self.new_orgs_by_tax: dict[str, Organisation] = {}
        self.products: dict[Organisation, dict[str, Product]] = {}
        self.created_products: set[Product] = set()
        self.reviews: list[MatchReview] = []
        self.unit_defaulted = 0

    # --- loading ---------------------------------------------------------------------------

    def load(self) -> None:
        for cat_id, scheme, code, number in db.session.execute(
                sa.select(Category.id, Category.scheme, Category.code, Category.set_number)
                .where(sa.or_(Category.set_number.is_not(None), Category.code.in_(
                    self._hs_codes_wanted())))):
            if number is not None:
                self.ocop_by_number[number] = cat_id
                self.ocop_by_code[fold(code).replace(" ", "")] = cat_id
            elif scheme == "hs":
                self.hs_by_code[code] = cat_id
        stale = []
        for org_id, name, stored_key, tax_code in db.session.execute(
                sa.select(Organisation.id, Organisation.name, Organisation.identity_key,
                          Organisation.tax_code)):
            # Keys are computed here, not read from the column: rows saved before the key's
            # rules last changed still match (and their column is brought up to date).
            key = identity_key(name)
            if key != stored_key:
                stale.append({"id": org_id, "identity_key": key})
            self.org_ids_by_key.setdefault(key, []).append(org_id)
            self.org_names[org_id] = name
            if tax_code:
                self.org_ids_by_tax[tax_code] = org_id
            self.close.add(key, org_id)
        if stale:
            db.session.execute(sa.update(Organisation), stale)
        for key, candidate_id in db.session.execute(
                sa.select(MatchReview.organisation_key, MatchReview.candidate_id)
                .where(MatchReview.status == MERGED, MatchReview.organisation_key.is_not(None))):
            self.aliases.setdefault(key, candidate_id)

    def _hs_codes_wanted(self) -> list[str]:
        codes = set()
        for _number, values in self.table.rows:
            code = re.sub(r"[.\s]", "", values.get("hs_code", ""))
            if code:
                codes.add(code)
        return sorted(codes)

    # --- checking one row ------------------------------------------------------------------

    def check(self, values: dict[str, str]) -> _Row:
        for name, limit in _LIMITS.items():
            if len(normalise(values.get(name))) > limit:
                raise _Skip("too_long", f"{name}: {values[name][:60]}…")
        product_name = normalise(values.get("product_name"))
        if not product_name:
            raise _Skip("missing_product")
        producer = normalise(values.get("producer_organisation"))
        placeholder = placeholder_reason(producer)
        if placeholder:
            raise _Skip(placeholder, producer)
        notices: list[tuple[str, str]] = []
        stars = self._stars(values.get("ocop_stars"))
        if stars == 5 and any(w in fold(values.get("status")) for w in _NOMINATED):
            # A province may only propose 5 stars; the national council grants them
            # (Decision 148/QĐ-TTg, 2023). Until then the product holds 4.
            stars = 4
            notices.append(("nominated_5_star", values.get("status", "")))
        ocop_id = self._ocop_set(values.get("ocop_product_set"))
        hs_id = self._hs(values.get("hs_code"))
        if ocop_id is None and hs_id is None:
            raise _Skip("no_category")
        price_min, price_max = self._price(values, "price_min_vnd"), self._price(
            values, "price_max_vnd")
        if price_min is not None and price_max is not None and price_max < price_min:
            raise _Skip("price_order", f"{price_min} > {price_max}")
        legal_form = legal_form_of(producer)
        province, ward, location, address = self._location(values, notices)
        return _Row(
            product_name=product_name, producer_name=producer, key=identity_key(producer),
            legal_form=legal_form, stars=stars, year=self._year(values.get("evaluation_year")),
            decision=normalise(values.get("decision_ref")) or None,
            ocop_category_id=ocop_id, hs_category_id=hs_id,
            unit=normalise(values.get("unit")) or None, price_min=price_min,
            price_max=price_max, tax_code=self._tax_code(values.get("tax_code"), legal_form),
            phone=self._phone(values.get("phone")),
            description=(values.get("description") or "").strip() or None,
            address_line=address, location_as_written=location, province_code=province,
            ward_code=ward, notices=notices)

    @staticmethod
    def _stars(text: str | None) -> int | None:
        text = (text or "").strip()
        if not text:
            return None
        if set(text) <= {"★", "☆", " "}:
            stars = text.count("★")
        else:
            match = _STARS_RE.fullmatch(fold(text))
            stars = int(match.group(1)) if match else 0
        if not 3 <= stars <= 5:
            raise _Skip("invalid_stars", text)
        return stars

    def _year(self, text: str | None) -> int | None:
        text = (text or "").strip()
        if not text:
            return None
        match = _YEAR_RE.fullmatch(text)
        if not match or not MIN_YEAR <= int(match.group(1)) <= self.this_year + 1:
            raise _Skip("invalid_year", text)
        return int(match.group(1))

    def _ocop_set(self, text: str | None) -> int | None:
        text = (text or "").strip()
        if not text:
            return None
        match = _SET_NUMBER_RE.fullmatch(text)
        found = (self.ocop_by_number.get(int(match.group(1))) if match
                 else self.ocop_by_code.get(fold(text).replace(" ", "")))
        if found is None:
            raise _Skip("unknown_product_set", text)
        return found

    def _hs(self, text: str | None) -> int | None:
        code = re.sub(r"[.\s]", "", text or "")
        if not code:
            return None
        found = self.hs_by_code.get(code)
        if found is None:
            raise _Skip("unknown_hs_code", text or "")
        return found

    @staticmethod
    def _price(values: dict[str, str], name: str) -> int | None:
        try:
            return parse_vnd(values.get(name))
        except InvalidAmount:
            raise _Skip("invalid_price", values.get(name, "")) from None

    @staticmethod
    def _tax_code(text: str | None, legal_form: str | None) -> str | None:
        if not (text or "").strip():
            return None
        try:
            return normalise_tax_code(text, allow_personal_id=legal_form == "household")
        except InvalidTaxCode:
            raise _Skip("invalid_tax_code", text or "") from None

    @staticmethod
    def _phone(text: str | None) -> str | None:
        if not (text or "").strip():
            return None
        try:
            return normalise_phone(text)
        except InvalidPhone:
            raise _Skip("invalid_phone", text or "") from None

    def _location(self, values: dict[str, str], notices: list[tuple[str, str]]):
        address = normalise(values.get("address")) or None
        parts = [p for p in (address, normalise(values.get("district")),
                             normalise(values.get("province"))) if p]
        written = ", ".join(parts) or None
        if not parts:
            return self.default_province, None, None, None
        found = resolve_address(written)
        if found.province_code is not None:
            return found.province_code, found.ward_code, written, address
        codes = [code for code, _label in found.candidates]
        if self.default_province is not None and (
                self.default_province in codes or not codes):
            # The file's own province settles an ambiguous or unrecognised name.
            return self.default_province, None, written, address
        notices.append(("location_ambiguous" if codes else "location_unknown", found.note))
        return None, None, written, address

    # --- writing ---------------------------------------------------------------------------

    def organisation(self, row: _Row) -> tuple[Organisation, str, bool]:
        """The row's organisation: ``(org, state, changed)``; state is ``existing``, ``run``
        (created earlier in this import) or ``new``. A tax code decides before the name."""
        if row.tax_code:
            org = self.new_orgs_by_tax.get(row.tax_code)
            if org is not None:
                return org, "run", self._fill(org, row)
            if row.tax_code in self.org_ids_by_tax:
                org = db.session.get(Organisation, self.org_ids_by_tax[row.tax_code])
                return org, "existing", self._fill(org, row)
        org = self.new_orgs.get(row.key)
        state = "run"
        if org is None:
            ids = self.org_ids_by_key.get(row.key) or (
                [self.aliases[row.key]] if row.key in self.aliases else [])
            # Two organisations may share a key until an organiser merges them: the oldest.
            org = db.session.get(Organisation, min(ids)) if ids else None
            state = "existing"
        if org is not None:
            if row.tax_code and org.tax_code and org.tax_code != row.tax_code:
                raise _Skip("tax_code_mismatch", row.tax_code)
            return org, state, self._fill(org, row)
        org = Organisation(name=row.producer_name, side=Side.PRODUCER, source="imported")
        self._fill(org, row)
        db.session.add(org)
        self.new_orgs[row.key] = org
        if row.tax_code:
            self.new_orgs_by_tax[row.tax_code] = org
        self._flag_close_matches(org, row)
        self.close.add(row.key, org)
        return org, "new", True

    def _fill(self, org: Organisation, row: _Row) -> bool:
        """Fill the organisation's empty fields from the row; True if any changed."""
        changed = False
        for name in ("legal_form", "province_code", "address_line", "phone", "tax_code"):
            value = getattr(row, name)
            if value is not None and getattr(org, name) is None:
                setattr(org, name, value)
                changed = True
        if org.address_as_written is None and row.location_as_written is not None:
            org.address_as_written = row.location_as_written
            changed = True
        if (org.ward_code is None and row.ward_code is not None
                and org.province_code == row.province_code):
            org.ward_code = row.ward_code
            changed = True
        if org.side == Side.DISTRIBUTOR:
            org.side = Side.BOTH
            changed = True
        return changed

    def _flag_close_matches(self, org: Organisation, row: _Row) -> None:
        """Flag a new organisation against the closest known ones (see match_score)."""
        scored = [(score, other.name if isinstance(other, Organisation)
                   else self.org_names[other], other)
                  for score, other in self.close.close_to(row.key)]
        scored.sort(key=lambda item: (-item[0], item[1]))
        for score, _name, other in scored[:MAX_CANDIDATES]:
            candidate = other if isinstance(other, Organisation) else db.session.get(
                Organisation, other)
            review = MatchReview(organisation=org, candidate=candidate,
                                 similarity=round(score, 3), status="pending",
                                 organisation_name=org.name, organisation_key=row.key)
            db.session.add(review)
            self.reviews.append(review)
        if scored:
            row.notices.insert(0, ("possible_duplicate", scored[0][1]))

    def product(self, org: Organisation, row: _Row) -> tuple[Product, str, bool]:
        """The row's product: ``(product, state, changed)``; state as for organisations."""
        by_name = self.products.get(org)
        if by_name is None:
            by_name = {}
            if org.id is not None:
                for product in db.session.scalars(
                        sa.select(Product).where(Product.organisation_id == org.id)):
                    by_name.setdefault(product.name_key, product)
            self.products[org] = by_name
        name_key = fold(row.product_name)
        product = by_name.get(name_key)
        if product is None:
            if row.unit is None:
                self.unit_defaulted += 1
            product = Product(
                organisation=org, name=row.product_name, unit=row.unit or DEFAULT_UNIT,
                description=row.description, ocop_category_id=row.ocop_category_id,
                hs_category_id=row.hs_category_id, price_min_vnd=row.price_min,
                price_max_vnd=row.price_max, ocop_stars=row.stars, ocop_year=row.year,
                ocop_decision=row.decision)
            db.session.add(product)
            by_name[name_key] = product
            self.created_products.add(product)
            return product, "new", True
        state = "run" if product in self.created_products else "existing"
        return product, state, self._update(product, row)

    def _update(self, product: Product, row: _Row) -> bool:
        changed = False
        theirs = (product.ocop_year or 0, product.ocop_stars or 0)
        ours = (row.year or 0, row.stars or 0)
        if ours > theirs:
            for name, value in (("ocop_year", row.year), ("ocop_stars", row.stars),
                                ("ocop_decision", row.decision)):
                if value is not None and getattr(product, name) != value:
                    setattr(product, name, value)
                    changed = True
        elif ours < theirs:
            row.notices.append(("older_evaluation", str(row.year or "")))
        for name, value in (("ocop_category_id", row.ocop_category_id),
                            ("hs_category_id", row.hs_category_id),
                            ("description", row.description)):
            if value is not None and getattr(product, name) is None:
                setattr(product, name, value)
                changed = True
        if row.price_min is not None or row.price_max is not None:
            if product.price_min_vnd is None and product.price_max_vnd is None:
                product.price_min_vnd, product.price_max_vnd = row.price_min, row.price_max
                changed = True
        if row.unit and product.unit == DEFAULT_UNIT:
            product.unit = row.unit
            changed = True
        return changed


def _outcome(org_state: str, org_changed: bool, product_state: str,
             product_changed: bool) -> str:
    if product_state == "new":
        return "imported"
    if product_state == "run" or product_changed or org_changed or org_state != "existing":
        return "merged"
    return "unchanged"


def import_producers(data: bytes, filename: str, *, default_province: int | None = None,
                     imported_by_id: int | None = None, dry_run: bool = False,
                     progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import a producers file (CSV or XLSX bytes) in the current transaction.

    Args:
        data: the file's content; ``filename`` is only recorded.
        default_province: current province code for rows that name no place, or whose
            place is ambiguous between it and others (a province's own list).
        imported_by_id: the user doing it (None from the CLI).
        dry_run: check and report only; the caller must roll back (nothing is recorded).
        progress: called as ``progress(rows done, rows in the file)`` after each row (the
            CLI's progress bar).

    Returns:
        An :class:`ImportResult`: one :class:`RowReport` per data row and the counts. The
        import and its rows are recorded (``import_id``) only when something changed.

    Raises:
        matchmaker.imports.parsing.FileError: the file as a whole cannot be imported
            (not CSV/XLSX, missing required columns, …); nothing was touched.
        Any database error: the caller rolls back; nothing is kept.
    """
    table = read_table(data)
    sha256 = hashlib.sha256(data).hexdigest()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(IMPORT_LOCK_KEY)))
    importer = _Importer(table, default_province)
    importer.load()
    reports: list[RowReport] = []
    landed: list[tuple[RowReport, Organisation, Product]] = []
    for done, (number, values) in enumerate(table.rows, start=1):
        report = RowReport(number, product_name=normalise(values.get("product_name")),
                           producer_name=normalise(values.get("producer_organisation")))
        reports.append(report)
        try:
            row = importer.check(values)
            org, org_state, org_changed = importer.organisation(row)
            product, product_state, product_changed = importer.product(org, row)
        except _Skip as skip:
            report.outcome, report.reason, report.detail = "skipped", skip.reason, skip.detail
        else:
            landed.append((report, org, product))
            report.outcome = _outcome(org_state, org_changed, product_state, product_changed)
            if row.notices:
                report.reason, report.detail = row.notices[0]
        if progress is not None:
            progress(done, len(table.rows))
    db.session.flush()
    for report, org, product in landed:  # plain values: the objects expire on commit
        report.organisation_id, report.product_id = org.id, product.id
        report.organisation_name = org.name
    result = ImportResult(
        filename=filename, sha256=sha256, rows=reports, ignored_columns=table.ignored,
        kind=table.kind, organisations_created=len(importer.new_orgs),
        products_created=len(importer.created_products), reviews_created=len(importer.reviews),
        unit_defaulted=importer.unit_defaulted, dry_run=dry_run, reviews=importer.reviews)
    result.previous_import_id = db.session.scalar(
        sa.select(ProducerImport.id).where(ProducerImport.file_sha256 == sha256)
        .order_by(ProducerImport.id.desc()).limit(1))
    if result.changed and not dry_run:
        result.import_id = _record(result, imported_by_id)
    return result


def _record(result: ImportResult, imported_by_id: int | None) -> int:
    run = ProducerImport(
        filename=normalise(result.filename)[:255] or "-", file_sha256=result.sha256,
        imported_by_id=imported_by_id, rows_total=len(result.rows),
        rows_imported=result.count("imported"), rows_merged=result.count("merged"),
        rows_skipped=result.count("skipped"))
    db.session.add(run)
    db.session.flush()
    for review in result.reviews:
        review.import_id = run.id
    db.session.execute(sa.insert(ImportRow), [
        {"import_id": run.id, "row_number": r.row_number, "outcome": r.outcome,
         "reason": r.reason, "detail": (r.detail or None) and r.detail[:500],
         "organisation_id": r.organisation_id, "product_id": r.product_id,
         "product_name": r.product_name[:255] or None,
         "producer_name": r.producer_name[:255] or None}
        for r in result.rows
    ])
    db.session.flush()
    return run.id
