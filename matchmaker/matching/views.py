"""The matching blueprint: suggestions for producers and distributors, the organiser's pairs."""

from flask import Blueprint

bp = Blueprint("matching", __name__)

from matchmaker.matching import routes  # noqa: E402,F401
