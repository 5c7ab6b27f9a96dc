"""Matchmaker: business matching for Vietnamese trade-promotion events.

``create_app`` builds the Flask application; see ``../DESIGN.md``-style layout in the README.
"""

from pathlib import Path

from flask import Flask

from config import Config, get_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | str | None = None, **overrides) -> Flask:
    """Build the app.

    Args:
        config: a config class, an environment name (``development``, ``testing``,
            ``production``) or None for ``$MATCHMAKER_ENV``.
        overrides: config keys to set after the class (tests use this).

    Raises:
        RuntimeError: production without ``SECRET_KEY``.
    """
    config_class = config if isinstance(config, type) else get_config(config)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    app.config["ENV_NAME"] = config_class.ENV_NAME
    if config_class.ENV_NAME == "production":
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY is not set. Production refuses to start without it: "
                "export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        app.debug = False
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # Reading app.logger gives the "matchmaker" logger Flask's stderr handler now, not on the
    # first error: our module loggers (e.g. matchmaker.mail, which prints the e-mails in
    # development) propagate to it.
    app.logger.debug("Matchmaker app created (%s)", config_class.ENV_NAME)

    from matchmaker.setup import (
        register_blueprints,
        register_cli,
        register_errors,
        register_extensions,
        register_jinja,
    )

    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_jinja(app)
    register_cli(app)
    return app
