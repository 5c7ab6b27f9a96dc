"""Events (business-matching conferences) and registrations."""

from flask import Blueprint

bp = Blueprint("events", __name__)
