"""The meetings blueprint: requests, unavailability, the schedule and agendas."""

from flask import Blueprint

bp = Blueprint("meetings", __name__)

from matchmaker.meetings import routes_requests, routes_schedule  # noqa: E402,F401
