"""Notifications: in-app messages and their e-mails."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from matchmaker.notifications import routes  # noqa: E402,F401
