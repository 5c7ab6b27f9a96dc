"""PLACEHOLDER (being written): event pages. Endpoints fixed by the plan."""
from flask import abort

from matchmaker.events import bp


@bp.get("/events/")
def index():
    abort(501)


@bp.get("/events/<int:event_id>")
def event(event_id: int):
    abort(501)


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    abort(501)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    abort(501)


@bp.post("/events/<int:event_id>/<any('publish', 'close-registration', "
         "'reopen-registration', 'finish', 'cancel'):action>")
def change_event_status(event_id: int, action: str):
    abort(501)
