"""Events (business-matching conferences) and registrations."""

from flask import Blueprint

bp = Blueprint("events", __name__)

from matchmaker.events import (  # noqa: E402,F401
    routes_events,
    routes_organiser,
    routes_registrations,
)
