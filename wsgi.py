"""WSGI entry point: ``gunicorn wsgi:app`` (and ``FLASK_APP=wsgi`` for the CLI)."""

from matchmaker import create_app

app = create_app()
