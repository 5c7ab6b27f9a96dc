"""The report as tables: the same cells for the page, the XLSX and the CSV exports.

A :class:`Table` has typed columns (:data:`KINDS`) and rows of plain values: ``str`` for
text, ``int`` for counts and đồng, ``float`` for percentages (already ×100 and rounded to one
decimal) and days, ``None`` for "not applicable" (shown as "—", an empty cell in exports).
Columns of kind ``mixed`` hold ``(value, kind)`` pairs (the summary's figures). Each table
may carry a chart description for ``static/js/reports.js`` (:func:`chart`).

Call these inside a request: titles are in the visitor's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.deals.labels import REASON_LABELS
from matchmaker.money import format_vnd
from matchmaker.organisations.divisions import province_name
from matchmaker.organisations.forms import BUYER_TYPE_LABELS
from matchmaker.reports.queries import (
    ConversionReport,
    Figures,
    GroupRow,
    Programme,
    YearRow,
)

KINDS = ("text", "count", "vnd", "percent", "days", "mixed")
DASH = "—"

FUNNEL_LABELS = {
    "registered": _l("Registered organisations"),
    "approved": _l("Approved participants"),
    "matched": _l("Matched participants (at least one suggestion)"),
    "requested": _l("Meetings requested"),
    "accepted": _l("Meetings accepted"),
    "held": _l("Meetings held"),
    "mous": _l("MOUs signed"),
    "contracts": _l("Supply contracts"),
}
OUTCOME_LABELS = {
    "converted": _l("Converted to a supply contract"),
    "open": _l("Open (signed or negotiating)"),
    "lapsed": _l("Lapsed"),
    "cancelled": _l("Cancelled"),
}


@dataclass(frozen=True)
class Column:
    """A column title and the kind of its cells (one of :data:`KINDS`)."""

    title: str
    kind: str = "text"


@dataclass
class Table:
    """One report table. ``name`` is stable (export URLs, test ids); ``total`` an optional
    last row shown apart (bold on the page)."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list]
    note: str | None = None
    chart: dict | None = None
    total: list | None = None

    def all_rows(self) -> list[list]:
        return self.rows + ([self.total] if self.total is not None else [])


# --- cells -------------------------------------------------------------------------------

def percent(rate: float | None) -> float | None:
    """A 0…1 rate as a percentage rounded to one decimal (None stays None)."""
    return None if rate is None else round(rate * 100, 1)


def share(part: int | None, whole: int | None) -> float | None:
    """``part`` as a percentage of ``whole`` (one decimal), None when either is missing."""
    if part is None or not whole:
        return None
    return round(part * 100 / whole, 1)


def format_cell(value, kind: str, locale: str) -> str:
    """A cell as the page shows it: "1.234" / "1,234", "1.500.000 ₫", "33,3%", "—"."""
    if kind == "mixed" and isinstance(value, tuple):
        value, kind = value
    if value is None:
        return DASH
    if kind == "count":
        return format_decimal(value, locale=locale)
    if kind == "vnd":
        return format_vnd(int(value), locale)
    if kind == "percent":
        return format_decimal(value, format="#,##0.0", locale=locale) + "%"
    if kind == "days":
        return format_decimal(value, format="#,##0.#", locale=locale)
    return str(value)


def plain(value):
    """A cell's value without its kind (exports)."""
    return value[0] if isinstance(value, tuple) else value


# --- labels ------------------------------------------------------------------------------

def group_label(row: GroupRow, dimension: str, locale: str) -> str:
    """What a breakdown row is called on the page and in exports."""
    key = row.key
    if dimension in ("ocop", "hs"):
        if key is None:
            return _("No OCOP category") if dimension == "ocop" else _("No HS code")
        return f"{key.rsplit('/', 1)[-1]} · {row.name(locale)}"
    if dimension == "province":
        return (province_name(int(key)) or key) if key is not None else _("Province not given")
    if dimension == "buyer_type":
        return str(BUYER_TYPE_LABELS.get(key, key)) if key is not None else \
            _("Buyer type not given")
    if dimension == "stars":
        return _("%(stars)s stars", stars=key) if key is not None else \
            _("No OCOP-rated product")
    if dimension == "time":
        year, _sep, part = key.partition("-")
        if part.startswith("Q"):
            return _("Q%(quarter)s %(year)s", quarter=part[1:], year=year)
        return f"{part}/{year}"
    return key or DASH


# --- charts ------------------------------------------------------------------------------

def chart(chart_type: str, labels: list[str], datasets: list[dict], horizontal: bool = False,
          title: str = "") -> dict:
    """A chart for ``static/js/reports.js``: ``type`` bar or doughnut, ``labels``, and
    ``datasets`` of ``{"label", "data", "kind" (count|vnd|percent), "line": bool}``."""
    return {"type": chart_type, "labels": labels, "datasets": datasets,
            "horizontal": horizontal, "title": title}


def dataset(label, data, kind: str = "count", line: bool = False) -> dict:
    return {"label": str(label), "data": data, "kind": kind, "line": line}


# --- the conversion report ---------------------------------------------------------------

def _figure_columns(first: str) -> list[Column]:
    return [Column(first), Column(_("MOUs"), "count"), Column(_("Converted"), "count"),
            Column(_("Still open"), "count"), Column(_("Lapsed"), "count"),
            Column(_("Cancelled"), "count"), Column(_("Conversion rate (%)"), "percent"),
            Column(_("MOU estimated value (₫)"), "vnd"),
            Column(_("Contract value (₫)"), "vnd"), Column(_("Value conversion (%)"), "percent")]


def _figure_cells(label: str, f: Figures) -> list:
    return [label, f.mous, f.converted, f.open, f.lapsed, f.cancelled,
            percent(f.conversion_rate), f.mou_value_vnd, f.contract_value_vnd,
            percent(f.value_conversion_rate)]


def _breakdown(name: str, title: str, dimension: str, rows: list[GroupRow], locale: str,
               note: str | None = None, value_chart: bool = False) -> Table:
    labels = [group_label(r, dimension, locale) for r in rows]
    if value_chart:
        graph = chart("bar", labels, [
            dataset(_("MOU estimated value (₫)"), [r.figures.mou_value_vnd for r in rows], "vnd"),
            dataset(_("Contract value (₫)"), [r.figures.contract_value_vnd for r in rows],
                    "vnd")], title=title)
    else:
        graph = chart("bar", labels, [
            dataset(_("MOUs"), [r.figures.mous for r in rows]),
            dataset(_("Converted"), [r.figures.converted for r in rows])], title=title)
    return Table(name, title, _figure_columns(_group_title(dimension)),
                 [_figure_cells(label, r.figures) for label, r in zip(labels, rows, strict=True)],
                 note=note, chart=graph if rows else None)


def _group_title(dimension: str) -> str:
    return {"ocop": _("OCOP group"), "hs": _("HS chapter"), "province": _("Province"),
            "buyer_type": _("Buyer type"), "stars": _("OCOP stars")}[dimension]


def summary_table(report: ConversionReport) -> Table:
    """Key figures: Figure | Value (each value with its own kind)."""
    t = report.totals
    rows = [
        [_("MOUs signed (business)"), (t.mous, "count")],
        [_("Converted to a supply contract"), (t.converted, "count")],
        [_("Conversion rate (%)"), (percent(t.conversion_rate), "percent")],
        [_("Open (signed or negotiating)"), (t.open, "count")],
        [_("Lapsed"), (t.lapsed, "count")],
        [_("Cancelled"), (t.cancelled, "count")],
        [_("MOU estimated value (₫)"), (t.mou_value_vnd, "vnd")],
        [_("Value of these MOUs' contracts (₫)"), (t.contract_value_vnd, "vnd")],
        [_("Value conversion (%)"), (percent(t.value_conversion_rate), "percent")],
        [_("Median days from MOU to first contract"), (report.median_days, "days")],
        [_("Supply contracts (with or without an MOU)"), (report.contracts, "count")],
        [_("Value of these contracts (₫)"), (report.contract_value_all_vnd, "vnd")],
        [_("Contracts without an MOU"), (report.unlinked_contracts, "count")],
        [_("Value of contracts without an MOU (₫)"), (report.unlinked_value_vnd, "vnd")],
        [_("Agency MOUs (counted apart)"), (report.agency_mous, "count")],
    ]
    if not report.scope.is_event:
        rows.append([_("Events in the period"), (report.events, "count")])
    return Table("summary", _("Key figures"), [Column(_("Figure")), Column(_("Value"), "mixed")],
                 rows)


def funnel_table(report: ConversionReport) -> Table:
    """Step | Number | % of the step before (the step before that when one is missing)."""
    rows, before = [], None
    for step, count in report.funnel.items():
        rows.append([str(FUNNEL_LABELS[step]), count, share(count, before)])
        if count is not None:
            before = count
    shown = [(r[0], r[1]) for r in rows if r[1] is not None]
    note = None if report.scope.is_event else _(
        "Matched is left out of a period's funnel: it is worked out per event.")
    return Table("funnel", _("Funnel"),
                 [Column(_("Step")), Column(_("Number"), "count"),
                  Column(_("% of the step before"), "percent")], rows, note=note,
                 chart=chart("bar", [step[0] for step in shown],
                             [dataset(_("Number"), [step[1] for step in shown])],
                             horizontal=True, title=_("Funnel")))


def outcomes_table(report: ConversionReport) -> Table:
    """Converted / open / lapsed / cancelled: MOUs, share, estimated and contract value."""
    s = report.by_status
    groups = {
        "converted": s.get("converted", Figures()),
        "open": s.get("signed", Figures()) + s.get("negotiating", Figures()),
        "lapsed": s.get("lapsed", Figures()),
        "cancelled": s.get("cancelled", Figures()),
    }
    total = report.totals
    rows = [[str(OUTCOME_LABELS[key]), f.mous, share(f.mous, total.mous), f.mou_value_vnd,
             f.contract_value_vnd] for key, f in groups.items()]
    return Table(
        "outcomes", _("Open, converted, lapsed and cancelled MOUs"),
        [Column(_("Outcome")), Column(_("MOUs"), "count"), Column(_("Share (%)"), "percent"),
         Column(_("MOU estimated value (₫)"), "vnd"), Column(_("Contract value (₫)"), "vnd")],
        rows, total=[_("Total"), total.mous, share(total.mous, total.mous),
                     total.mou_value_vnd, total.contract_value_vnd],
        chart=chart("doughnut", [r[0] for r in rows],
                    [dataset(_("MOUs"), [r[1] for r in rows])], title=_("Outcomes"))
        if total.mous else None)


def reasons_table(report: ConversionReport) -> Table:
    """Why MOUs lapsed or were cancelled: reason | lapsed | cancelled | total | value."""
    rows = [[str(REASON_LABELS.get(r.reason, r.reason)), r.lapsed, r.cancelled, r.total,
             r.value_vnd] for r in report.reasons]
    return Table(
        "reasons", _("Why MOUs lapsed or were cancelled"),
        [Column(_("Reason")), Column(_("Lapsed"), "count"), Column(_("Cancelled"), "count"),
         Column(_("Total"), "count"), Column(_("MOU estimated value (₫)"), "vnd")], rows,
        chart=chart("bar", [r[0] for r in rows],
                    [dataset(_("Lapsed"), [r[1] for r in rows]),
                     dataset(_("Cancelled"), [r[2] for r in rows])],
                    horizontal=True, title=_("Reasons")) if rows else None)


def over_time_table(report: ConversionReport, locale: str) -> Table:
    """MOUs by month (or quarter) of signing, how many converted and the values."""
    first = _("Quarter signed") if report.granularity == "quarter" else _("Month signed")
    labels = [group_label(r, "time", locale) for r in report.over_time]
    rows = [[label, r.figures.mous, r.figures.converted, percent(r.figures.conversion_rate),
             r.figures.mou_value_vnd, r.figures.contract_value_vnd]
            for label, r in zip(labels, report.over_time, strict=True)]
    return Table(
        "over_time", _("Conversion over time"),
        [Column(first), Column(_("MOUs"), "count"), Column(_("Converted"), "count"),
         Column(_("Conversion rate (%)"), "percent"),
         Column(_("MOU estimated value (₫)"), "vnd"), Column(_("Contract value (₫)"), "vnd")],
        rows, note=_("MOUs are counted in the month they were signed, converted or not yet."),
        chart=chart("bar", labels, [
            dataset(_("MOUs"), [r[1] for r in rows]),
            dataset(_("Converted"), [r[2] for r in rows]),
            dataset(_("Conversion rate (%)"), [r[3] for r in rows], "percent", line=True)],
            title=_("Conversion over time")) if rows else None)


def conversion_tables(report: ConversionReport, locale: str) -> list[Table]:
    """Every table of the conversion report, in page order."""
    category_note = _(
        "An MOU counts in every group its categories and products fall in: an MOU covering "
        "two groups is counted fully in both, so the rows add up to more than the total.")
    return [
        summary_table(report),
        funnel_table(report),
        outcomes_table(report),
        reasons_table(report),
        over_time_table(report, locale),
        _breakdown("ocop", _("By OCOP group"), "ocop", report.by_ocop, locale,
                   note=category_note, value_chart=True),
        _breakdown("hs", _("By HS chapter"), "hs", report.by_hs, locale,
                   note=category_note, value_chart=True),
        _breakdown("province", _("By province of the producer"), "province",
                   report.by_province, locale),
        _breakdown("buyer_type", _("By buyer type of the distributor"), "buyer_type",
                   report.by_buyer_type, locale),
        _breakdown("stars", _("By OCOP stars"), "stars", report.by_stars, locale,
                   note=_("The highest OCOP rating among the MOU's products.")),
    ]


# --- the programme view ------------------------------------------------------------------

def _year_cells(label: str, y: YearRow) -> list:
    f = y.figures
    return [label, y.events, f.mous, f.converted, percent(f.conversion_rate), f.mou_value_vnd,
            y.contracts, y.contract_value_vnd, y.agency_mous]


def programme_table(view: Programme) -> Table:
    """Year | events | MOUs | converted | rate | MOU value | contracts | value | agency MOUs,
    and the total row ("2021–2025")."""
    rows = [_year_cells(str(y.year), y) for y in view.years]
    return Table(
        "programme", _("Programme %(first)d–%(last)d", first=view.first, last=view.last),
        [Column(_("Year")), Column(_("Events"), "count"), Column(_("MOUs signed"), "count"),
         Column(_("Converted"), "count"), Column(_("Conversion rate (%)"), "percent"),
         Column(_("MOU estimated value (₫)"), "vnd"), Column(_("Supply contracts"), "count"),
         Column(_("Contract value (₫)"), "vnd"), Column(_("Agency MOUs"), "count")],
        rows, total=_year_cells(f"{view.first}–{view.last}", view.total),
        note=_("MOUs are counted in the year they were signed (converted: by now); contracts "
               "in the year they were signed, with or without an MOU."),
        chart=chart("bar", [r[0] for r in rows], [
            dataset(_("MOUs signed"), [r[2] for r in rows]),
            dataset(_("Supply contracts"), [r[6] for r in rows])],
            title=_("MOUs and contracts per year")))


@dataclass
class ChartData:
    """Everything ``static/js/reports.js`` draws, keyed by table name."""

    charts: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def of(cls, tables: list[Table]) -> ChartData:
        return cls({t.name: t.chart for t in tables if t.chart is not None})
