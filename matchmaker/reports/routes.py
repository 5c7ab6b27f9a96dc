"""Conversion reports for organisers and admins (issue 6 item 4; DESIGN §5).

* ``GET /reports/`` — choose an event (searchable list) or a period, or the programme view.
* ``GET /reports/conversion?event=ID`` or ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` — the report:
  funnel, conversion, outcomes and reasons, over time, breakdowns; a chart beside each table
  (drawn by ``static/js/reports.js`` from a JSON script tag; the tables read without it).
* ``GET /reports/conversion.xlsx`` (every table, or ``&table=NAME``) and
  ``GET /reports/conversion.csv?…&table=NAME`` — the same cells.
* ``GET /reports/programme?from_year=2021&to_year=2025`` — per year and the total;
  ``/reports/programme.xlsx|csv``.

Members get 403, anonymous visitors are sent to log in. Statements per page: the user, then
for an event the event, the report (one ``UNION ALL``), the catalogue version and the
participants (the matching engine's cached index, for *matched*); for a period or the
programme the report alone.
"""

from datetime import date

import sqlalchemy as sa
from babel.dates import format_date
from flask import Response, abort, render_template, request, url_for
from flask_babel import get_locale

from matchmaker.deals.models import Mou, MouKind
from matchmaker.events.forms_events import EVENT_STATUS_LABELS
from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.matching.loader import local_today
from matchmaker.pagination import Page, page_arg
from matchmaker.permissions import Role, role_required
from matchmaker.reports import exports
from matchmaker.reports.forms import parse_date, parse_scope, parse_years
from matchmaker.reports.queries import Scope, conversion_report, programme
from matchmaker.reports.tables import (
    ChartData,
    Table,
    conversion_tables,
    format_cell,
    percent,
    programme_table,
)
from matchmaker.reports.views import bp
from matchmaker.text import fold

STAFF = (Role.ORGANISER, Role.ADMIN)
EVENTS_PER_PAGE = 20
QUERY_MAX = 100


def _locale() -> str:
    return str(get_locale())


def _day(value: date) -> str:
    return format_date(value, "dd/MM/yyyy", locale=_locale())


def scope_title(scope: Scope, event: Event | None) -> str:
    """"Hội nghị …" or "01/01/2025 – 31/12/2025"."""
    if event is not None:
        return event.title
    return f"{_day(scope.start)} – {_day(scope.end)}"


def _scope_args(scope: Scope) -> dict:
    if scope.is_event:
        return {"event": scope.event_id}
    return {"from": scope.start.isoformat(), "to": scope.end.isoformat()}


def _events_page(q: str, page: int) -> Page:
    """One page of events, newest first, with each one's business MOUs; one statement
    (the total rides along as a window count)."""
    mous = (sa.select(sa.func.count(Mou.id))
            .where(Mou.event_id == Event.id, Mou.kind == MouKind.BUSINESS)
            .scalar_subquery())
    stmt = sa.select(Event, mous.label("mous"), sa.func.count().over().label("total"))
    key = fold(q)
    if key:
        stmt = stmt.where(Event.title_key.contains(key, autoescape=True))
    rows = db.session.execute(
        stmt.order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(EVENTS_PER_PAGE).offset((page - 1) * EVENTS_PER_PAGE)).all()
    total = rows[0].total if rows else 0
    return Page([(row.Event, row.mous) for row in rows], page, EVENTS_PER_PAGE, total)


def _chooser(errors: dict | None = None):
    q = (request.args.get("q") or "").strip()[:QUERY_MAX]
    page = _events_page(q, page_arg())
    today = local_today()
    years = list(range(today.year, today.year - 5, -1))
    return render_template(
        "reports/index.html", page=page, q=q, errors=errors or {}, today=today, years=years,
        args=request.args, date_value=_date_value, status_labels=EVENT_STATUS_LABELS)


def _date_value(text: str | None) -> str:
    """A typed date for ``<input type="date">`` (which only takes ``YYYY-MM-DD``)."""
    found = parse_date(text)
    return found.isoformat() if found else ""


@bp.get("/")
@role_required(*STAFF)
def index():
    """Choose an event, a period or the programme view."""
    return _chooser()


def _report_or_errors():
    """``((scope, event, report, tables), None)`` for the query string, or ``(None,
    errors)`` for bad parameters; 404 for an unknown event."""
    scope, errors = parse_scope(request.args)
    if errors:
        return None, errors
    event = None
    if scope.is_event:
        event = db.session.get(Event, scope.event_id)
        if event is None:
            abort(404)
    report = conversion_report(scope)
    return (scope, event, report, conversion_tables(report, _locale())), None


@bp.get("/conversion")
@role_required(*STAFF)
def conversion():
    """The conversion report of an event or a period."""
    found, errors = _report_or_errors()
    if errors:
        return _chooser(errors)
    scope, event, report, tables = found
    charts = ChartData.of(tables)
    return render_template(
        "reports/conversion.html", scope=scope, event=event, report=report, tables=tables,
        title=scope_title(scope, event), scope_args=_scope_args(scope), pct=percent,
        period=None if event else (_day(scope.start), _day(scope.end)),
        chart_data={"locale": _locale(), "charts": charts.charts}, cell=format_cell,
        locale=_locale(), export_endpoint="reports.conversion_export")


def _download(body: bytes, fmt: str, names: tuple[str, str]) -> Response:
    response = Response(body, mimetype=exports.XLSX_MIMETYPE if fmt == "xlsx"
                        else exports.CSV_MIMETYPE)
    response.headers["Content-Disposition"] = exports.content_disposition(*names)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _pick(tables: list[Table], fmt: str) -> list[Table]:
    """The table(s) ``?table=NAME`` asks for: every one for XLSX without it; 404 for an
    unknown name, or a CSV without one."""
    name = (request.args.get("table") or "").strip()
    if not name and fmt == "xlsx":
        return tables
    chosen = [t for t in tables if t.name == name]
    if not chosen:
        abort(404)
    return chosen


@bp.get("/conversion.<any(xlsx, csv):fmt>")
@role_required(*STAFF)
def conversion_export(fmt: str):
    """The report's tables as XLSX (all, or ``table=NAME``) or one as CSV; 400 for bad
    parameters, 404 for an unknown event or table."""
    found, errors = _report_or_errors()
    if errors:
        abort(400)
    scope, event, _report, tables = found
    chosen = _pick(tables, fmt)
    body = exports.to_xlsx(chosen) if fmt == "xlsx" else exports.to_csv(chosen[0])
    table = chosen[0].name if len(chosen) == 1 else None
    subject = event.title if event is not None else f"{scope.start}-{scope.end}"
    return _download(body, fmt, exports.download_name(subject, table, fmt))


def _programme_or_errors():
    (first, last), errors = parse_years(request.args, local_today().year)
    return programme(first, last), errors


@bp.get("/programme", endpoint="programme")
@role_required(*STAFF)
def programme_view():
    """MOUs, contracts and their value per year, with the total."""
    view, errors = _programme_or_errors()
    table = programme_table(view)
    return render_template(
        "reports/programme.html", view=view, table=table, errors=errors,
        args=request.args, cell=format_cell, locale=_locale(),
        chart_data={"locale": _locale(), "charts": ChartData.of([table]).charts},
        scope_args={"from_year": view.first, "to_year": view.last},
        export_endpoint="reports.programme_export")


@bp.get("/programme.<any(xlsx, csv):fmt>")
@role_required(*STAFF)
def programme_export(fmt: str):
    """The programme table as XLSX or CSV."""
    view, errors = _programme_or_errors()
    if errors:
        abort(400)
    table = programme_table(view)
    body = exports.to_xlsx([table]) if fmt == "xlsx" else exports.to_csv(table)
    name = f"programme-{view.first}-{view.last}.{fmt}"
    return _download(body, fmt, (name, name))


def report_url(scope: Scope) -> str:
    """The page of ``scope``'s report (for links from elsewhere)."""
    return url_for("reports.conversion", **_scope_args(scope))
