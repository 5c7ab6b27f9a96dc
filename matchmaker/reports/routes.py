"""Report pages (placeholder: being built)."""

from flask import abort

from matchmaker.reports.views import bp


@bp.get("/")
def index():
    """The reports' front page."""
    abort(404)
