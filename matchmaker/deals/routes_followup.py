"""The organisers' follow-up list of open MOUs (placeholder: being built)."""

from flask import abort

from matchmaker.deals.views import bp


@bp.get("/mous/follow-up")
def follow_up():
    """Open MOUs with no contract after 30 / 60 / 90 days."""
    abort(404)
