"""PLACEHOLDER (being written): notification pages. Endpoints fixed by the plan."""
from flask import abort

from matchmaker.notifications import bp


@bp.get("/notifications/")
def index():
    abort(501)


@bp.post("/notifications/<int:notification_id>/open")
def open_notification(notification_id: int):
    abort(501)


@bp.post("/notifications/read-all")
def read_all():
    abort(501)
