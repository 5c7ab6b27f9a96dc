"""Registration capacity under real concurrent HTTP requests (issue 4, "Done when").

The app is served by werkzeug's threaded server on a loopback port and hit from a thread
pool, each request a separate connection logged in as a member of a different producer
organisation, exactly as browsers would. Runs on SQLite by default and on PostgreSQL when
``TEST_DATABASE_URL`` is set (see ``tests/conftest.py``). The members and their login
sessions are inserted in bulk and their cookies signed with the app's own session
serializer, so setting up 200 people takes well under a second.
"""

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

import tests.access  # noqa: F401  (loads every access_* module, in order)
from matchmaker.auth.models import LoginSession, User
from matchmaker.db import write_transaction
from matchmaker.events import registration as registrations
from matchmaker.events.models import HOLDS_PLACE, Registration, RegistrationStatus
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject
from matchmaker.organisations.models import Organisation, Side
from matchmaker.permissions import Role
from tests import factories
from tests.access_events import make_event

S = RegistrationStatus
THREADS = 40


@pytest.fixture
def server(app, no_csrf):
    """``(host, port)`` of the app served with one thread per request."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.host, server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def make_members(app, count: int, prefix: str) -> list[tuple[int, str]]:
    """``count`` producer organisations, one member each, logged in: ``[(organisation id,
    session cookie)]``. Bulk inserts, one commit."""
    orgs = [Organisation(name=f"{prefix} số {i:03d}", side=Side.PRODUCER)
            for i in range(count)]
    db.session.add_all(orgs)
    db.session.flush()
    users = [User(email=f"{prefix.lower().replace(' ', '')}{i}@example.vn",
                  full_name=f"Đại diện {i:03d}", role=Role.MEMBER, organisation_id=org.id,
                  locale="en", password_hash=factories._password_hash())
             for i, org in enumerate(orgs)]
    db.session.add_all(users)
    db.session.flush()
    logins = [LoginSession(user_id=user.id) for user in users]
    db.session.add_all(logins)
    db.session.flush()
    serializer = app.session_interface.get_signing_serializer(app)
    members = [(org.id, serializer.dumps({"_user_id": f"{user.id}:{login.id}",
                                          "_fresh": True}))
               for org, user, login in zip(orgs, users, logins, strict=True)]
    db.session.commit()
    return members


def post(address, path: str, cookie: str, form: dict) -> tuple[int, str | None]:
    """One POST on its own connection; ``(status, Location)``."""
    host, port = address
    connection = http.client.HTTPConnection(host, port, timeout=90)
    try:
        connection.request("POST", path, urlencode(form), {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"session={cookie}"})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        connection.close()


def run_all(jobs) -> tuple[list, float]:
    """Run ``jobs`` (callables) from a thread pool; returns results (in job order) and the
    wall time in seconds."""
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(lambda job: job(), jobs))
    return results, time.perf_counter() - start


def register_form(name: str) -> dict:
    return {"delegates-0-full_name": name, "delegates-0-job_title": "Giám đốc",
            "delegates-0-phone": "0912 345 678"}


def event_registrations(event_id: int) -> list[Registration]:
    """The event's registrations in queue order (``queued_at``, then id)."""
    db.session.rollback()
    return list(db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event_id)
        .order_by(Registration.queued_at, Registration.id)))


def test_200_concurrent_registrations_for_50_places(app, app_ctx, server, capsys):
    event = make_event(producer_capacity=50, requires_approval=False)
    event_id = sa.inspect(event).identity[0]
    members = make_members(app, 200, "HTX Sản xuất")
    path = f"/events/{event_id}/register"
    jobs = [lambda cookie=cookie, i=i: post(server, path, cookie, register_form(f"Người {i}"))
            for i, (_org, cookie) in enumerate(members)]

    results, seconds = run_all(jobs)
    with capsys.disabled():
        print(f"\n200 concurrent registrations on {db.engine.dialect.name}: {seconds:.2f} s")

    assert [status for status, _location in results] == [302] * 200
    assert all(location and "/registrations/" in location for _s, location in results)
    rows = event_registrations(event_id)
    assert len(rows) == 200
    assert {row.organisation_id for row in rows} == {org for org, _c in members}
    statuses = [row.status for row in rows]
    assert statuses.count(S.APPROVED) == 50 and statuses.count(S.WAITLISTED) == 150
    # Places went in the order registrations were recorded: the first 50 in the queue hold
    # them, and the queue order is the insertion order.
    assert statuses == [S.APPROVED] * 50 + [S.WAITLISTED] * 150
    assert [row.id for row in rows] == sorted(row.id for row in rows)
    changes = db.session.scalar(sa.select(sa.func.count(StatusChange.id)).where(
        StatusChange.subject_type == Subject.REGISTRATION.value))
    assert changes == 200


def test_cancellations_racing_registrations_never_exceed_capacity(app, app_ctx, server):
    capacity = 10
    event = make_event(producer_capacity=capacity, requires_approval=False)
    event_id = sa.inspect(event).identity[0]
    early = make_members(app, 25, "HTX Đến sớm")
    late = make_members(app, 30, "HTX Đến muộn")
    with write_transaction():
        for org_id, _cookie in early:
            registrations.register(event_id, db.session.get(Organisation, org_id), "producer",
                                   [registrations.Delegate("Đại biểu")])
        db.session.commit()
    before = {row.organisation_id: row for row in event_registrations(event_id)}
    assert sum(row.status == S.APPROVED for row in before.values()) == capacity
    cookies = dict(early)
    # Cancel the 10 holding a place and 5 of the 15 waiting, while 30 others register.
    leaving = [org for org, row in before.items() if row.status == S.APPROVED] + \
        [org for org, row in before.items() if row.status == S.WAITLISTED][:5]
    jobs = [lambda org=org: post(server, f"/registrations/{before[org].id}/cancel",
                                 cookies[org], {"confirm": "y", "reason": "Bận"})
            for org in leaving]
    jobs += [lambda cookie=cookie: post(server, f"/events/{event_id}/register", cookie,
                                        register_form("Đại biểu"))
             for _org, cookie in late]
    jobs = jobs[::2] + jobs[1::2]  # mix cancellations and registrations

    results, _seconds = run_all(jobs)

    assert [status for status, _location in results] == [302] * len(jobs)
    rows = event_registrations(event_id)
    assert len(rows) == 55
    holders = [row for row in rows if row.status in HOLDS_PLACE]
    waiting = [row for row in rows if row.status == S.WAITLISTED]
    assert sum(row.status == S.CANCELLED for row in rows) == 15
    assert len(holders) == capacity  # never more, and no place left empty while some wait
    assert len(waiting) == 55 - 15 - capacity
    # Nobody was passed over: every holder is ahead of everyone still waiting.
    key = {row.id: (row.queued_at, row.id) for row in rows}
    assert max(key[row.id] for row in holders) < min(key[row.id] for row in waiting)
    # Each status is the last one its history recorded.
    last = dict(db.session.execute(
        sa.select(StatusChange.subject_id, StatusChange.to_status)
        .where(StatusChange.subject_type == Subject.REGISTRATION.value)
        .order_by(StatusChange.changed_at, StatusChange.id)).all())
    assert {row.id: row.status for row in rows} == last
