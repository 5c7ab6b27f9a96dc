"""API v1 endpoints: product search, the category trees, the conversion report, and this
API's OpenAPI document.

Everything here is read-only (GET) and public, except ``/reports/conversion``: organisers
and admins only, authenticated by their logged-in session (401 without one, 403 for
members). Answers are JSON; bad parameters get
``400 {"error": {"code": 400, "message": ..., "fields": {parameter: message}}}`` with messages
in the visitor's language (Vietnamese unless they chose English). The contract is
``matchmaker/api/openapi.json``, served at ``/api/v1/openapi.json``.
"""

import json
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import Response, abort, jsonify, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from matchmaker.api import bp
from matchmaker.catalogue.models import Category
from matchmaker.catalogue.search import UnknownCategory, search
from matchmaker.catalogue.search_params import MESSAGES, parse_params
from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.permissions import is_staff
from matchmaker.reports.api import report_json
from matchmaker.reports.forms import parse_scope
from matchmaker.reports.queries import conversion_report

OPENAPI_FILE = Path(__file__).with_name("openapi.json")
#: Query parameters of ``GET /api/v1/categories``.
CATEGORY_PARAMETERS = ("scheme", "parent", "depth")
SCHEMES = ("ocop", "hs")
MAX_DEPTH = 4

BAD_PARAMETERS = _l("Some parameters are not valid.")
CATEGORY_MESSAGES = {
    "scheme": _l("The scheme must be ocop or hs."),
    "parent": _l("This category does not exist. Choose one from the list."),
    "depth": _l("The depth must be a whole number from 1 to 4."),
}


def _bad_request(fields: dict) -> tuple[Response, int]:
    return jsonify(error={"code": 400, "message": str(BAD_PARAMETERS),
                          "fields": {name: str(message) for name, message in fields.items()}}), 400


def _category_json(category: Category, locale: str) -> dict:
    return {"scheme": category.scheme, "code": category.code, "path": category.path,
            "name": category.name(locale), "name_vi": category.name_vi,
            "name_en": category.name_en}


def _product_json(hit, locale: str) -> dict:
    product = hit.product
    thumbnail = None
    if hit.cover_image_id is not None:
        thumbnail = url_for("catalogue.product_image", product_id=product.id,
                            image_id=hit.cover_image_id, variant="thumb", _external=True)
    return {
        "id": product.id,
        "name": product.name,
        "producer": {"id": product.organisation.id, "name": product.organisation.name},
        "categories": [_category_json(c, locale) for c in product.categories],
        "unit": product.unit,
        "price_min_vnd": product.price_min_vnd,
        "price_max_vnd": product.price_max_vnd,
        "ocop_stars": product.ocop_stars,
        "province_code": product.organisation.province_code,
        "url": url_for("catalogue.product", product_id=product.id, _external=True),
        "thumbnail_url": thumbnail,
    }


@bp.get("/products")
def products():
    """Search active products; the parameters and ranking of the browse page.

    Answers ``{"items": [...], "total": N, "page": P, "per_page": K}``; ``per_page`` above
    100 is capped at 100. Unknown parameters are ignored. Two SQL statements (three with an
    HS category filter).
    """
    params, errors = parse_params(request.args)
    if errors:
        return _bad_request(errors)
    try:
        result = search(params, strict=True)
    except UnknownCategory:
        return _bad_request({"category": MESSAGES["category"]})
    locale = str(get_locale())
    return jsonify(items=[_product_json(hit, locale) for hit in result.hits],
                   total=result.total, page=result.page, per_page=result.per_page)


def _depth(text: str | None) -> int | None:
    text = (text or "1").strip()
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_DEPTH:
        return int(text)
    return None


@bp.get("/categories")
def categories():
    """Category trees: ``{"items": [...], "total": N}``, parents before children.

    ``scheme`` (ocop|hs) picks one tree (default both); ``parent`` (a path) starts below that
    category instead of at the roots; ``depth`` (1-4, default 1) is how many levels to return.
    Each item has scheme, code, path, level, parent_path, name_vi, name_en and, for the 26 OCOP
    product sets, set_number. One SQL statement.
    """
    errors: dict = {}
    scheme = (request.args.get("scheme") or "").strip() or None
    if scheme is not None and scheme not in SCHEMES:
        errors["scheme"] = CATEGORY_MESSAGES["scheme"]
    parent = (request.args.get("parent") or "").strip() or None
    if parent is not None and (parent.split("/", 1)[0] not in SCHEMES
                               or (scheme and not parent.startswith(scheme + "/"))):
        errors["parent"] = CATEGORY_MESSAGES["parent"]
    depth = _depth(request.args.get("depth"))
    if depth is None:
        errors["depth"] = CATEGORY_MESSAGES["depth"]
    if errors:
        return _bad_request(errors)

    if parent:
        top = parent.count("/")  # the parent's level: "ocop/I" is level 1
        stmt = sa.select(Category).where(sa.or_(
            Category.path == parent,
            sa.and_(Category.subtree_filter(Category.path, parent),
                    Category.level.between(top + 1, top + depth))))
    else:
        stmt = sa.select(Category).where(Category.level <= depth)
        if scheme:
            stmt = stmt.where(Category.scheme == scheme)
    stmt = stmt.order_by(sa.case((Category.scheme == "ocop", 0), else_=1), Category.level,
                         Category.sort_order, Category.code)
    found = db.session.scalars(stmt).all()
    if parent and not any(c.path == parent for c in found):
        return _bad_request({"parent": CATEGORY_MESSAGES["parent"]})
    items = [{
        "scheme": c.scheme, "code": c.code, "path": c.path, "level": c.level,
        "parent_path": c.path.rsplit("/", 1)[0] if c.level > 1 else None,
        "name_vi": c.name_vi, "name_en": c.name_en, "set_number": c.set_number,
    } for c in found if c.path != parent]
    return jsonify(items=items, total=len(items))


LOGIN_NEEDED = _l("Log in as an organiser to use this endpoint.")
STAFF_ONLY = _l("Only organisers and admins may see reports.")


@bp.get("/reports/conversion")
def reports_conversion():
    """The conversion report of an event (``?event=ID``) or a period (``?from=YYYY-MM-DD&
    to=YYYY-MM-DD``), as :func:`matchmaker.reports.api.report_json` — the page's figures.

    Organisers and admins only, by their logged-in session: 401 without one, 403 for
    members; 400 for bad parameters, 404 for an unknown event. Five statements for an event
    (the user, the event, the report, and the matching engine's catalogue version and the
    participants), two for a period.
    """
    if not current_user.is_authenticated:
        return jsonify(error={"code": 401, "message": str(LOGIN_NEEDED)}), 401
    if not is_staff(current_user):
        return jsonify(error={"code": 403, "message": str(STAFF_ONLY)}), 403
    scope, errors = parse_scope(request.args)
    if errors:
        return _bad_request(errors)
    event = None
    if scope.is_event:
        event = db.session.get(Event, scope.event_id)
        if event is None:
            abort(404)
    report = conversion_report(scope)
    response = jsonify(report_json(report, event, str(get_locale())))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@cache
def _openapi_text() -> str:
    # Parsed and re-serialised once, so a broken file fails loudly on first use.
    return json.dumps(json.loads(OPENAPI_FILE.read_text(encoding="utf-8")), ensure_ascii=False)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API (``matchmaker/api/openapi.json``)."""
    return Response(_openapi_text(), mimetype="application/json")
