"""PLACEHOLDER (being written): organiser tools. Endpoints fixed by the plan."""
from flask import abort

from matchmaker.events import bp


@bp.get("/events/<int:event_id>/registrations")
def registrations(event_id: int):
    abort(501)


@bp.post("/events/<int:event_id>/registrations/approve")
def bulk_approve(event_id: int):
    abort(501)


@bp.post("/registrations/<int:registration_id>/approve")
def approve_registration(registration_id: int):
    abort(501)


@bp.post("/registrations/<int:registration_id>/reject")
def reject_registration(registration_id: int):
    abort(501)


@bp.get("/events/<int:event_id>/check-in")
def check_in_page(event_id: int):
    abort(501)


@bp.post("/registrations/<int:registration_id>/check-in")
def check_in(registration_id: int):
    abort(501)


@bp.post("/registrations/<int:registration_id>/undo-check-in")
def undo_check_in(registration_id: int):
    abort(501)


@bp.get("/events/<int:event_id>/badges")
def badges(event_id: int):
    abort(501)


@bp.get("/events/<int:event_id>/participants.<any(xlsx, csv):fmt>")
def export_participants(event_id: int, fmt: str):
    abort(501)
