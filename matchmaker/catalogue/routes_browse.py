"""Browse and search products (/products/), open to everyone.

A GET form: the text query, filters (category, province, certification, OCOP stars, price
range), sort and page all live in the query string, so every result page can be bookmarked and
works without JavaScript. The search itself is :mod:`matchmaker.catalogue.search`.
"""

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from matchmaker.catalogue import bp
from matchmaker.catalogue.forms import CERTIFICATION_KIND_LABELS
from matchmaker.catalogue.search import search
from matchmaker.catalogue.search_params import MESSAGES, parse_params
from matchmaker.organisations.divisions import province_name

SORT_LABELS = {
    "relevance": _l("Relevance"),
    "name": _l("Name (A to Z)"),
    "newest": _l("Newest"),
}


@bp.route("/products/")
def browse():
    """Search and browse active products: ranked results, facet counts, pagination.

    Bad parameters are shown as messages next to their field and left out of the search;
    the rest still applies. Two SQL statements (three with an HS category filter), plus the
    login loader.
    """
    params, errors = parse_params(request.args)
    result = search(params, with_facets=True)
    if result.unknown_category:
        errors["category"] = MESSAGES["category"]
    return render_template(
        "catalogue/browse.html", params=params, result=result, errors=errors,
        sort_labels=SORT_LABELS, cert_labels=CERTIFICATION_KIND_LABELS,
        province_name=province_name,
    )
