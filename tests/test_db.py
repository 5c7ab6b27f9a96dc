"""Schema and transaction groundwork: migrations match the models, constraints hold,
write transactions take the lock up front, concurrent check-then-insert cannot race."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from matchmaker.auth.models import User
from matchmaker.catalogue.search_index import include_name
from matchmaker.db import write_transaction
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation
from matchmaker.timeutil import utcnow
from tests import factories
from tests.conftest import csrf_token, log_in


def test_migrations_match_the_models(app_ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_check_and_foreign_key_constraints_are_enforced(app_ctx):
    db.session.add(User(email="x@x.vn", full_name="X", password_hash="h", role="member"))
    with pytest.raises(IntegrityError):
        db.session.flush()  # a member must belong to an organisation
    db.session.rollback()
    db.session.add(User(email="x@x.vn", full_name="X", password_hash="h", role="member",
                        organisation_id=987654))
    with pytest.raises(IntegrityError):
        db.session.flush()  # no such organisation (PRAGMA foreign_keys=ON on SQLite)
    db.session.rollback()
    db.session.add(Organisation(name="HTX Diễn Châu", side="seller"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_timestamps_are_aware_utc_and_naive_datetimes_are_refused(app_ctx):
    user = factories.make_user()
    db.session.expire_all()
    assert user.created_at.utcoffset().total_seconds() == 0
    assert abs((utcnow() - user.created_at).total_seconds()) < 60
    user.last_login_at = datetime(2026, 1, 1, 8, 0)  # naive: whose 8 o'clock?
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


@pytest.fixture
def begins(app):
    """The BEGIN statements the app's engine emits."""
    seen = []

    def listener(_conn, _cursor, statement, *_args):
        if statement.upper().startswith("BEGIN"):
            seen.append(statement.upper())

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is SQLite's; PostgreSQL uses row locks and constraints")
    sa.event.listen(engine, "before_cursor_execute", listener)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", listener)


def test_sqlite_write_requests_begin_immediate_and_reads_do_not(app, client, begins, app_ctx):
    log_in(client, factories.make_user())
    token = csrf_token(client, "/")
    begins.clear()
    client.get("/account/")
    assert begins and set(begins) == {"BEGIN"}
    begins.clear()
    client.post("/language", data={"lang": "en", "csrf_token": token})
    assert begins and set(begins) == {"BEGIN IMMEDIATE"}
    begins.clear()
    with write_transaction():
        db.session.rollback()
        db.session.scalar(sa.select(sa.func.count()).select_from(User))
        db.session.rollback()
    assert begins == ["BEGIN IMMEDIATE"]


def test_concurrent_registrations_with_one_email_make_one_account(app, no_csrf, app_ctx):
    def attempt(i: int) -> int:
        client = app.test_client()
        response = client.post("/register", data={
            "full_name": f"Người thứ {i}", "email": "Cung.Cau@Example.vn",
            "password": "mot-mat-khau-dai", "confirm": "mot-mat-khau-dai",
            "organisation_name": f"HTX Yên Thành {i}", "side": "producer"})
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(8)))
    assert sorted(statuses) == [200] * 7 + [302]  # one created, seven told "already exists"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    # The losers' organisations were rolled back with them.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1
