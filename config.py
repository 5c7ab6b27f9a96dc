"""Configuration classes, chosen by ``MATCHMAKER_ENV`` (development, testing, production).

Environment variables:
    DATABASE_URL   SQLAlchemy URL; default ``sqlite:///<repo>/instance/matchmaker.db``.
    SECRET_KEY     signs sessions and CSRF tokens; required in production.
    REDIS_URL      optional; shared storage for rate limits across worker processes.
    PROXY_COUNT    reverse proxies to trust for the client address (default 0).
    SITE_URL       the site's address for links in e-mails sent outside a request
                   (default ``http://localhost:5000``).
    MAIL_SERVER    SMTP host; when unset, e-mails are written to the log instead.
    MAIL_PORT, MAIL_USE_TLS, MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER
                   the rest of the SMTP settings (port 587 with TLS is usual).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _flag(name: str) -> bool:
    """An on/off environment variable: ``1``, ``true``, ``yes``, ``on`` (any case) are on."""
    return (os.environ.get(name) or "").strip().lower() in {"1", "true", "yes", "on"}


def _default_sqlite_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'matchmaker.db'}"


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _default_sqlite_url()
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Number of reverse proxies in front of gunicorn whose X-Forwarded-* headers to trust;
    # without it every client behind nginx shares the proxy's address for rate limits.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT") or 0)

    # Uploads (certificates, MOU scans, product images) are small documents, not media.
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 14

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; expiry annoys users.

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    # Login throttling. Per client address; see README for the per-process caveat without Redis.
    LOGIN_RATE_LIMIT = "5 per minute; 30 per hour"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "matchmaker")

    FORCE_HTTPS = False
    HSTS = False

    # E-mail (Flask-Mail). Without MAIL_SERVER e-mails go to the "matchmaker.mail" log.
    SITE_URL = os.environ.get("SITE_URL") or "http://localhost:5000"
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT") or 25)
    MAIL_USE_TLS = _flag("MAIL_USE_TLS")
    MAIL_USE_SSL = _flag("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or "Matchmaker <noreply@localhost>"


class DevelopmentConfig(Config):
    """Local use with ``make run``: SQLite in ``instance/``, readable errors."""

    ENV_NAME = "development"


class TestingConfig(Config):
    """pytest: ``TEST_DATABASE_URL`` (PostgreSQL in CI) or a temporary SQLite file."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    MAIL_SERVER = None  # e-mails to the log; tests that want SMTP set it themselves


class ProductionConfig(Config):
    """Behind gunicorn and an HTTPS proxy. ``SECRET_KEY`` must come from the environment."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    FORCE_HTTPS = os.environ.get("FORCE_HTTPS", "1") != "0"
    HSTS = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    """Return the config class for ``name`` or ``$MATCHMAKER_ENV`` (default development).

    Raises:
        KeyError: for an unknown environment name, listing the valid ones.
    """
    name = (name or os.environ.get("MATCHMAKER_ENV") or "development").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise KeyError(f"MATCHMAKER_ENV={name!r}; expected one of {sorted(CONFIGS)}") from None
