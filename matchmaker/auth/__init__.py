"""Accounts: registration, login, logout, password change, language preference."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from matchmaker.auth import routes  # noqa: E402,F401  (registers the views on bp)
