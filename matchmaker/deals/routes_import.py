"""Import of past MOUs and contracts (placeholder: being built)."""

from flask import abort

from matchmaker.deals.views import bp


@bp.get("/mous/import")
def import_results():
    """Upload a file of past MOUs and contracts."""
    abort(404)
