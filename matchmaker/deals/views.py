"""The deals blueprint: MOUs, supply contracts, the organisers' follow-up and past results."""

from flask import Blueprint

bp = Blueprint("deals", __name__)

from matchmaker.deals import (  # noqa: E402,F401
    routes_contracts,
    routes_followup,
    routes_import,
    routes_mous,
)
