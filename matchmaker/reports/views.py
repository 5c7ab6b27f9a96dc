"""The reports blueprint (``/reports/``), organisers only."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from matchmaker.reports import routes  # noqa: E402,F401
