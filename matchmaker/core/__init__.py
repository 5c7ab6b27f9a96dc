"""Site-wide pages: home, language switch, health check."""

from flask import Blueprint

bp = Blueprint("core", __name__)

from matchmaker.core import routes  # noqa: E402,F401
