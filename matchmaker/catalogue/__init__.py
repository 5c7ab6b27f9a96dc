"""Catalogue: categories (OCOP and HS trees), products, sourcing needs, browse and search."""

from flask import Blueprint

bp = Blueprint("catalogue", __name__)

from matchmaker.catalogue import routes_browse, routes_needs, routes_products  # noqa: E402,F401
