"""Shared fixtures.

The schema is built by running the real migrations (so a model change without a migration
fails), once per session, on ``TEST_DATABASE_URL`` (PostgreSQL in CI) or a temporary SQLite
file. Tables are emptied after every test, which keeps real commits possible: concurrency
tests need them.
"""

import contextvars
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from matchmaker import create_app
from matchmaker.catalogue.taxonomy import load_categories
from matchmaker.extensions import db, limiter
from tests import factories

REFERENCE_TABLES = {"categories"}
NON_QUERY = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.I)


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _reset_schema(url: str) -> None:
    if url.startswith("sqlite"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose requests never share the test's app context.

    Flask reuses an app context already pushed (by a fixture) for requests, so ``g`` and the
    database session would leak between a test and its requests, and between requests. A real
    server has neither: each request here runs in an empty ``contextvars`` context.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    _reset_schema(url)
    uploads = tmp_path_factory.mktemp("uploads")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(uploads))
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        load_categories()  # reference data: loaded once, kept across tests
        db.session.commit()
    yield app
    # Close pooled connections now: left to the garbage collector at exit, psycopg warns.
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    conn.execute(table.delete())
        limiter.reset()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def no_csrf(app):
    app.config["WTF_CSRF_ENABLED"] = False
    yield
    app.config["WTF_CSRF_ENABLED"] = True


def log_in(client, user) -> None:
    """Log ``user`` in on ``client`` without the form (fast): a server-side login session
    plus the cookie that names it."""
    from matchmaker.auth.models import LoginSession

    # The identity, not ``user.id``: reading an expired attribute would open a read
    # transaction in the test's session, and SQLite then refuses that session's next write.
    user_id = sa.inspect(user).identity[0]
    with client.application.app_context():
        login_session = LoginSession(user_id=user_id)
        db.session.add(login_session)
        db.session.commit()
        token = login_session.id
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{token}"
        session["_fresh"] = True


def csrf_token(client, path: str = "/login") -> str:
    """GET ``path`` and return the CSRF token from its first form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class QueryCounter:
    """Counts SQL statements (not BEGIN/COMMIT/PRAGMA) run on the app's engine."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        if not NON_QUERY.match(statement):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app) -> Iterator:
    @contextmanager
    def counting():
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)

    return counting


@pytest.fixture
def users(app_ctx):
    """One of each kind: members of organisations A and B, an organiser, an admin."""
    from matchmaker.organisations.models import Side
    from matchmaker.permissions import Role

    org_a = factories.make_organisation("Công ty CP Thực phẩm Nghệ An", Side.PRODUCER)
    org_b = factories.make_organisation("Siêu thị Đô Lương", Side.DISTRIBUTOR)
    return {
        "member_a": factories.make_user(organisation=org_a, email="a@example.vn"),
        "member_b": factories.make_user(organisation=org_b, email="b@example.vn"),
        "organiser": factories.make_user(Role.ORGANISER, email="organiser@example.vn"),
        "admin": factories.make_user(Role.ADMIN, email="admin@example.vn"),
    }


@pytest.fixture
def world(users):
    """Objects for the access matrix and page budgets (see ``tests/access.py``)."""
    from tests.access import build_world

    return build_world(users)


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """This test's own upload folder (files written by one test are not seen by another)."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def use_english(client, user=None) -> None:
    """Show ``client``'s pages in English (saved on ``user``'s account when given)."""
    from matchmaker.auth.models import User

    if user is not None:
        db.session.rollback()  # a stale read snapshot may not write on SQLite
        db.session.get(User, sa.inspect(user).identity[0]).locale = "en"
        db.session.commit()
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})


def client_for(app, user, lang: str = "en"):
    """A test client logged in as ``user``, in English unless ``lang`` is ``"vi"``."""
    client = app.test_client()
    log_in(client, user)
    if lang == "en":
        use_english(client, user)
    return client
