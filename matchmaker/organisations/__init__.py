"""Organisations: producers, distributors, or both; profiles and certifications."""

from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/organisations")

from matchmaker.organisations import routes  # noqa: E402,F401
