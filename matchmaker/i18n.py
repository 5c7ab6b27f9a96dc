"""Interface language: Vietnamese by default, English second; remembered per user.

The choice is read, in order, from the logged-in user's saved ``locale``, then the session
(anonymous visitors who switched), then the default ``vi``. Browsers' Accept-Language is not
consulted: the platform is Vietnamese-first even on an English-language office PC.
"""

from flask import current_app, session
from flask_login import current_user

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def select_locale() -> str:
    """Flask-Babel locale selector; returns ``"vi"`` or ``"en"``."""
    languages = current_app.config["LANGUAGES"]
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str:
    """The language of the current request (same rules as :func:`select_locale`)."""
    return select_locale()
