"""Bulk import of producers and their products from CSV/XLSX files."""

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports")

from matchmaker.imports import routes  # noqa: E402,F401
