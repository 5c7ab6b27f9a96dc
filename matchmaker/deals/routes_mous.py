"""MOU pages (placeholder: being built)."""

from flask import abort

from matchmaker.deals.views import bp


@bp.get("/mous/")
def index():
    """The MOUs and contracts the user may see."""
    abort(404)
