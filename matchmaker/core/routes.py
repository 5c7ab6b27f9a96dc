"""Home page, language switch and health check."""

import sqlalchemy as sa
from flask import abort, current_app, jsonify, render_template, request, session
from flask_login import current_user

from matchmaker.core import bp
from matchmaker.extensions import db
from matchmaker.redirects import redirect_next


@bp.route("/")
def home():
    """Public landing page; logged-in people see where to go next."""
    return render_template("core/home.html")


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language; saved on the account when logged in."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return redirect_next()


@bp.route("/healthz")
def healthz():
    """Liveness and database check for load balancers: 200 ``{"status": "ok"}``."""
    db.session.execute(sa.text("SELECT 1"))
    return jsonify(status="ok")
