"""The conversion report as JSON (``GET /api/v1/reports/conversion``).

The same :class:`~matchmaker.reports.queries.ConversionReport` as the page: counts and đồng
as integers, rates as fractions (0…1, four decimals; value conversion may exceed 1), ``null``
where a figure does not apply (no MOUs, no conversion yet, *matched* for a period).
"""

from matchmaker.events.models import Event
from matchmaker.organisations.divisions import province_name
from matchmaker.organisations.forms import BUYER_TYPE_LABELS
from matchmaker.reports.queries import ConversionReport, Figures, GroupRow


def rate(value: float | None) -> float | None:
    """A rate rounded to four decimals (None stays None)."""
    return None if value is None else round(value, 4)


def figures_json(f: Figures) -> dict:
    return {"mous": f.mous, "converted": f.converted, "open": f.open, "lapsed": f.lapsed,
            "cancelled": f.cancelled, "mou_value_vnd": f.mou_value_vnd,
            "contract_value_vnd": f.contract_value_vnd,
            "conversion_rate": rate(f.conversion_rate),
            "value_conversion_rate": rate(f.value_conversion_rate)}


def _group_json(row: GroupRow, dimension: str, locale: str) -> dict:
    name = None
    if row.key is not None:
        if dimension in ("ocop_group", "hs_chapter"):
            name = row.name(locale)
        elif dimension == "province":
            name = province_name(int(row.key)) or None
        elif dimension == "buyer_type":
            label = BUYER_TYPE_LABELS.get(row.key)
            name = str(label) if label is not None else None
    key = int(row.key) if dimension in ("province", "ocop_stars") and row.key else row.key
    return {"key": key, "name": name, **figures_json(row.figures)}


def report_json(report: ConversionReport, event: Event | None, locale: str) -> dict:
    """The report as a JSON-ready dict (see ``matchmaker/api/openapi.json``)."""
    t = report.totals
    scope = report.scope
    out = {
        "scope": ({"event": {"id": event.id, "title": event.title}} if scope.is_event else
                  {"from": scope.start.isoformat(), "to": scope.end.isoformat(),
                   "events": report.events}),
        "mous_signed": t.mous,
        "mous_converted": t.converted,
        "mous_open": t.open,
        "mous_lapsed": t.lapsed,
        "mous_cancelled": t.cancelled,
        "conversion_rate": rate(t.conversion_rate),
        "mou_value_vnd": t.mou_value_vnd,
        "contract_value_vnd": t.contract_value_vnd,
        "value_conversion_rate": rate(t.value_conversion_rate),
        "median_days_to_conversion": report.median_days,
        "agency_mous": report.agency_mous,
        "contracts": {"count": report.contracts, "value_vnd": report.contract_value_all_vnd,
                      "without_mou": {"count": report.unlinked_contracts,
                                      "value_vnd": report.unlinked_value_vnd}},
        "funnel": [{"step": step, "count": count} for step, count in report.funnel.items()],
        "closed_reasons": [{"reason": r.reason, "lapsed": r.lapsed, "cancelled": r.cancelled,
                            "mou_value_vnd": r.value_vnd} for r in report.reasons],
        "breakdowns": {
            dimension: [_group_json(row, dimension, locale) for row in rows]
            for dimension, rows in (("ocop_group", report.by_ocop),
                                    ("hs_chapter", report.by_hs),
                                    ("province", report.by_province),
                                    ("buyer_type", report.by_buyer_type),
                                    ("ocop_stars", report.by_stars))},
        "over_time": {"granularity": report.granularity,
                      "items": [{"period": r.key, **figures_json(r.figures)}
                                for r in report.over_time]},
    }
    return out
