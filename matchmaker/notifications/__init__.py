"""Notifications: in-app messages and their e-mails."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
