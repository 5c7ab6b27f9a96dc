"""Wiring for :func:`matchmaker.create_app`: extensions, blueprints, errors, Jinja, CLI."""

from pathlib import Path

import sqlalchemy as sa
from flask import Flask, abort, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix

from matchmaker.db import configure_engine
from matchmaker.extensions import babel, csrf, db, limiter, login_manager, migrate
from matchmaker.forms import use_app_translations
from matchmaker.i18n import LANGUAGE_NAMES, select_locale

PACKAGE_DIR = Path(__file__).resolve().parent

# Everything is served from this origin: no CDN, no inline script or style. Bootstrap's CSS
# draws a few icons from data: URIs.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def register_extensions(app: Flask) -> None:
    """Bind the extension singletons to ``app``."""
    from matchmaker.pagination import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    import matchmaker.models  # noqa: F401  (every table registered before the engine is used)

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR.parent / "migrations"))

    csrf.init_app(app)
    use_app_translations()
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"],
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )

    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter.init_app(app)

    # Talisman keeps its settings on the instance, so each app gets its own.
    Talisman(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["HSTS"],
        strict_transport_security_max_age=365 * 24 * 3600,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )

    _setup_login(app)


def _setup_login(app: Flask) -> None:
    from matchmaker.auth.models import LoginSession, User
    from matchmaker.notifications.models import Notification

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        ident, _sep, token = user_id.partition(":")
        if not ident.isdigit() or len(ident) > 12 or not token:
            return None
        # One statement: the user (with organisation, joined), its live login session and
        # the number of its unread notifications (for the bell in the navigation bar).
        unread = (sa.select(sa.func.count(Notification.id))
                  .where(Notification.user_id == User.id, Notification.read_at.is_(None))
                  .scalar_subquery())
        row = db.session.execute(
            sa.select(User, unread).join(LoginSession, LoginSession.user_id == User.id)
            .where(User.id == int(ident), LoginSession.id == token, User.active.is_(True))
        ).first()
        if row is None:
            return None
        user, user.unread_notifications = row
        user.login_session_id = token
        return user


def register_blueprints(app: Flask) -> None:
    """Attach every feature blueprint."""
    from matchmaker.admin import bp as admin_bp
    from matchmaker.api import bp as api_bp
    from matchmaker.auth import bp as auth_bp
    from matchmaker.catalogue import bp as catalogue_bp
    from matchmaker.core import bp as core_bp
    from matchmaker.deals.views import bp as deals_bp
    from matchmaker.events import bp as events_bp
    from matchmaker.imports import bp as imports_bp
    from matchmaker.matching.views import bp as matching_bp
    from matchmaker.meetings.views import bp as meetings_bp
    from matchmaker.notifications import bp as notifications_bp
    from matchmaker.organisations import bp as organisations_bp
    from matchmaker.reports.views import bp as reports_bp

    for blueprint in (core_bp, auth_bp, admin_bp, organisations_bp, catalogue_bp, imports_bp,
                      events_bp, notifications_bp, matching_bp, meetings_bp, deals_bp,
                      reports_bp, api_bp):
        app.register_blueprint(blueprint)


ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("Your account does not have access to this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or was moved.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    413: (
        _l("Too large"),
        _l("What you sent is larger than 10 MB, the most this site accepts. "
           "If you were uploading a file, choose a smaller one."),
    ),
    429: (
        _l("Too many attempts"),
        _l("You have tried too many times. Wait a few minutes, then try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An error on our side stopped this page. Nothing you saved was lost; try again."),
    ),
}
CSRF_TEXT = (
    _l("The form expired"),
    _l("For your security the form could not be sent. Reload the page and send it again."),
)


def _error_response(code: int, title, message):
    if request.path.startswith("/api/"):
        return jsonify(error={"code": code, "message": str(message)}), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def register_errors(app: Flask) -> None:
    """Friendly error pages in the user's language (JSON under ``/api/``), and the request
    guards whose refusals they render."""

    @app.before_request
    def refuse_nul_characters():
        # NUL cannot be stored in PostgreSQL text and has no place in any field or query:
        # refuse the request before it reaches a form or the database.
        values = [*request.args.values(), *request.form.values(), request.path]
        if any("\x00" in value for value in values):
            abort(400)

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return _error_response(400, *CSRF_TEXT)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        title, message = ERROR_TEXTS.get(error.code, (error.name, error.description))
        return _error_response(error.code, title, message)

    @app.errorhandler(InternalServerError)
    def server_error(_error):
        db.session.rollback()
        return _error_response(500, *ERROR_TEXTS[500])


def register_jinja(app: Flask) -> None:
    """Template globals and filters (money, local time, language names, roles)."""
    from matchmaker.money import format_vnd
    from matchmaker.permissions import Role, is_admin, is_staff
    from matchmaker.timeutil import format_local, format_local_date, format_local_short

    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES, Role=Role, is_staff=is_staff, is_admin=is_admin,
        get_locale=get_locale,
    )
    app.jinja_env.filters["vnd"] = lambda amount: format_vnd(amount, str(get_locale()))
    app.jinja_env.filters["local_datetime"] = lambda dt: format_local_short(
        dt, str(get_locale()))
    app.jinja_env.filters["local_time"] = lambda dt: format_local(dt, str(get_locale()), "HH:mm")
    app.jinja_env.filters["local_date"] = lambda dt: format_local_date(dt, str(get_locale()))


def register_cli(app: Flask) -> None:
    """``flask seed-demo``, ``flask create-user`` and later feature commands."""
    from matchmaker.cli import commands

    for command in commands:
        app.cli.add_command(command)
