"""PLACEHOLDER (being written): member registration pages. Endpoints fixed by the plan."""
from flask import abort

from matchmaker.events import bp


@bp.route("/events/<int:event_id>/register", methods=["GET", "POST"])
def register(event_id: int):
    abort(501)


@bp.get("/registrations/")
def my_registrations():
    abort(501)


@bp.get("/registrations/<int:registration_id>")
def registration(registration_id: int):
    abort(501)


@bp.route("/registrations/<int:registration_id>/edit", methods=["GET", "POST"])
def edit_registration(registration_id: int):
    abort(501)


@bp.post("/registrations/<int:registration_id>/cancel")
def cancel_registration(registration_id: int):
    abort(501)
