"""JSON API, version 1 (``/api/v1``), described by ``/api/v1/openapi.json``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from matchmaker.api import routes  # noqa: E402,F401
