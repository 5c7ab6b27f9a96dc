"""Notifications: written on registration changes, shown in the reader's language, opened
and marked read; their emails leave only after the commit, in the recipient's language."""

import logging
import re
import smtplib

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

import tests.access  # noqa: F401  (loads the access modules in order; see access_events)
from matchmaker.events import registration as reg
from matchmaker.events.models import Registration
from matchmaker.extensions import db
from matchmaker.notifications import mail, services
from matchmaker.notifications.messages import render_text
from matchmaker.notifications.models import Notification
from tests import factories
from tests.access_events import make_event
from tests.access_notifications import make_notification
from tests.conftest import client_for, csrf_token, log_in

TITLE = "Hội nghị kết nối cung cầu OCOP Nghệ An"
MAIL_LOG = "matchmaker.mail"


def ident(obj) -> int:
    return sa.inspect(obj).identity[0]


def notifications_of(user) -> list[Notification]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Notification).where(
        Notification.user_id == ident(user)).order_by(Notification.id)))


@pytest.fixture
def smtp(app, monkeypatch):
    """Flask-Mail configured (sending suppressed, as under TESTING): yields the outbox."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.vn")
    with mail.mail.record_messages() as outbox:
        yield outbox


def register(event, org, user, side="producer", **kwargs) -> Registration:
    registration = reg.register(
        ident(event), org, side, [reg.Delegate("Nguyễn Văn An", "Giám đốc")],
        by_user_id=ident(user), **kwargs)
    db.session.commit()
    return registration


# --- messages ----------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "params", "en", "vi"), [
    ("registration.approved", {}, "Your registration for “T” was approved.",
     "Đăng ký tham dự “T” của doanh nghiệp bạn đã được duyệt."),
    ("registration.approved", {"from_status": "waitlisted"},
     "You have a place at “T” (moved up from the waitlist).", "danh sách chờ"),
    ("registration.rejected", {"note": "Thiếu hồ sơ OCOP"},
     "Your registration for “T” was rejected: Thiếu hồ sơ OCOP", "bị từ chối: Thiếu hồ sơ OCOP"),
    ("registration.waitlisted", {}, "you are on the waitlist", "danh sách chờ"),
    ("registration.cancelled", {}, "Your registration for “T” was cancelled.", "đã bị hủy"),
    ("registration.pending", {}, "awaits the organiser's approval", "chờ ban tổ chức duyệt"),
    ("registration.checked_in", {}, "checked in at “T”", "đã check-in tại"),
    ("event.cancelled", {"note": "Bão lớn"}, "The event “T” was cancelled: Bão lớn",
     "Sự kiện “T” đã bị hủy: Bão lớn"),
    ("meeting.unknown", {}, "You have a new notification.", "Bạn có thông báo mới."),
])
def test_each_kind_reads_well_in_both_languages(app, kind, params, en, vi):
    params = {"event_title": "T", **params}
    with app.test_request_context():
        with force_locale("en"):
            assert en in render_text(kind, params)
        with force_locale("vi"):
            assert vi in render_text(kind, params)


def test_a_notification_without_a_title_names_the_event_by_number(app):
    with app.test_request_context(), force_locale("en"):
        assert render_text("registration.approved", {"event_id": 7}) == \
            "Your registration for “event no. 7” was approved."


# --- written by the registration rules ----------------------------------------------------

def test_status_changes_notify_colleagues_but_not_the_acting_member(app_ctx, users):
    actor = users["member_a"]
    org = actor.organisation
    colleague = factories.make_user(organisation=org, email="colleague@example.vn")
    inactive = factories.make_user(organisation=org, email="left@example.vn", active=False)
    event = make_event(TITLE)
    registration = register(event, org, actor)
    reg.approve(registration, ident(users["organiser"]))
    db.session.commit()

    assert notifications_of(inactive) == []
    # The member who registered is not told of their own registration, only of the
    # organiser's approval; the colleague hears of both.
    assert [n.kind for n in notifications_of(actor)] == ["registration.approved"]
    pending, approved = notifications_of(colleague)
    assert pending.kind == "registration.pending"
    assert approved.kind == "registration.approved"
    assert approved.params["event_title"] == TITLE
    assert approved.params["from_status"] == "pending"
    assert approved.params["registration_id"] == ident(registration)
    assert approved.link == f"/registrations/{ident(registration)}"
    registration = db.session.get(Registration, ident(registration))
    reg.cancel(registration, ident(colleague), "Trùng lịch")
    db.session.commit()
    cancelled = notifications_of(actor)[-1]
    assert cancelled.kind == "registration.cancelled"
    assert cancelled.params["note"] == "Trùng lịch"
    assert [n.kind for n in notifications_of(colleague)][-1] == "registration.approved"


def test_promotion_from_the_waitlist_says_so(app_ctx, users):
    event = make_event(TITLE, producer_capacity=1, requires_approval=False)
    first = register(event, users["member_a"].organisation, users["member_a"])
    other = factories.make_organisation()
    waiting_member = factories.make_user(organisation=other)
    register(event, other, users["organiser"])
    reg.cancel(db.session.get(Registration, ident(first)), ident(users["member_a"]))
    db.session.commit()
    kinds = [(n.kind, n.params["from_status"]) for n in notifications_of(waiting_member)]
    assert kinds == [("registration.waitlisted", None), ("registration.approved", "waitlisted")]
    with force_locale("en"):
        text = render_text("registration.approved", notifications_of(waiting_member)[-1].params)
    assert text == f"You have a place at “{TITLE}” (moved up from the waitlist)."


def test_event_cancellation_names_the_event(app_ctx, users):
    event = make_event(TITLE)
    register(event, users["member_a"].organisation, users["organiser"])
    event.status, event.cancel_reason = "cancelled", "Bão lớn"
    services.event_cancelled(event)
    db.session.commit()
    note = notifications_of(users["member_a"])[-1]
    assert note.kind == "event.cancelled"
    assert note.params == {"event_id": ident(event), "event_title": TITLE, "note": "Bão lớn"}


# --- pages ---------------------------------------------------------------------------------

def test_the_list_shows_only_ones_own_newest_first_unread_highlighted(app, app_ctx, users):
    member = users["member_a"]
    make_notification(member, params={"event_title": "Hội nghị cũ"}, link=None)
    make_notification(member, "registration.rejected",
                      {"event_title": "Hội nghị mới", "note": "Hết chỗ"})
    make_notification(users["member_b"], params={"event_title": "Của người khác"})
    html = client_for(app, member).get("/notifications/").get_data(as_text=True)
    assert "Của người khác" not in html
    newer = html.index("Your registration for “Hội nghị mới” was rejected: Hết chỗ")
    older = html.index("Your registration for “Hội nghị cũ” was approved.")
    assert newer < older
    assert html.count('data-unread="1"') == 2
    assert "Mark all as read" in html
    assert re.search(r'<span class="badge[^"]*">2<span class="visually-hidden"> unread', html)


def test_the_list_is_in_vietnamese_by_default(app, app_ctx, users):
    make_notification(users["member_a"], params={"event_title": "Hội nghị"})
    html = client_for(app, users["member_a"], "vi").get("/notifications/").get_data(
        as_text=True)
    assert "Đăng ký tham dự “Hội nghị” của doanh nghiệp bạn đã được duyệt." in html


def test_the_list_is_paginated(app, app_ctx, users):
    member = users["member_a"]
    for i in range(25):
        make_notification(member, params={"event_title": f"Sự kiện số {i}"})
    client = client_for(app, member)
    first = client.get("/notifications/").get_data(as_text=True)
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert first.count('data-testid="notification"') == 20 and "Page 1 of 2" in first
    assert second.count('data-testid="notification"') == 5
    assert "“Sự kiện số 24”" in first and "“Sự kiện số 0”" in second
    empty = client.get("/notifications/?page=9").get_data(as_text=True)
    assert "No notification on this page." in empty


def test_opening_marks_read_follows_the_link_and_lowers_the_count(app, app_ctx, users):
    member = users["member_a"]
    first = make_notification(member, link="/notifications/?page=1")
    make_notification(member)
    client = client_for(app, member)
    assert re.search(r">2<span class=\"visually-hidden\"> unread", client.get("/").get_data(
        as_text=True))
    response = client.post(f"/notifications/{ident(first)}/open",
                           data={"csrf_token": csrf_token(client, "/notifications/")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications/?page=1"
    html = client.get("/").get_data(as_text=True)
    assert re.search(r">1<span class=\"visually-hidden\"> unread", html)
    read = notifications_of(member)[0]
    assert read.read_at is not None
    # Opening it again keeps the first reading time.
    client.post(f"/notifications/{ident(first)}/open",
                data={"csrf_token": csrf_token(client, "/notifications/")})
    assert notifications_of(member)[0].read_at == read.read_at


@pytest.mark.parametrize("link", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                  "javascript:alert(1)", None, ""])
def test_a_link_outside_the_site_is_never_followed(app, app_ctx, users, link):
    note = make_notification(users["member_a"], link=link)
    client = client_for(app, users["member_a"])
    response = client.post(f"/notifications/{ident(note)}/open",
                           data={"csrf_token": csrf_token(client, "/notifications/")})
    assert response.status_code == 302 and response.headers["Location"] == "/notifications/"
    assert notifications_of(users["member_a"])[0].read_at is not None


def test_another_users_notification_cannot_be_opened(app, app_ctx, users, no_csrf):
    note = make_notification(users["member_a"])
    for role in ("member_b", "organiser", "admin"):
        client = app.test_client()
        log_in(client, users[role])
        assert client.post(f"/notifications/{ident(note)}/open").status_code == 404
    assert notifications_of(users["member_a"])[0].read_at is None


def test_opening_needs_the_csrf_token(app, app_ctx, users):
    note = make_notification(users["member_a"])
    client = client_for(app, users["member_a"])
    assert client.post(f"/notifications/{ident(note)}/open").status_code == 400
    assert notifications_of(users["member_a"])[0].read_at is None


def test_mark_all_as_read_touches_only_ones_own(app, app_ctx, users):
    for _ in range(3):
        make_notification(users["member_a"])
    make_notification(users["member_b"])
    client = client_for(app, users["member_a"])
    response = client.post("/notifications/read-all",
                           data={"csrf_token": csrf_token(client, "/notifications/")})
    assert response.status_code == 302
    html = client.get("/notifications/").get_data(as_text=True)
    assert "All notifications marked as read." in html
    assert 'data-unread="1"' not in html and "Mark all as read" not in html
    assert all(n.read_at for n in notifications_of(users["member_a"]))
    assert notifications_of(users["member_b"])[0].read_at is None


def test_an_empty_list_explains_itself(app, users):
    html = client_for(app, users["organiser"]).get("/notifications/").get_data(as_text=True)
    assert "No notifications yet." in html


# --- email --------------------------------------------------------------------------------

def test_without_a_mail_server_emails_go_to_the_log(app, app_ctx, users, caplog):
    caplog.set_level(logging.INFO, logger=MAIL_LOG)
    event = make_event(TITLE)
    register(event, users["member_a"].organisation, users["organiser"])
    records = [r for r in caplog.records if r.name == MAIL_LOG]
    assert len(records) == 1
    text = records[0].getMessage()
    assert "Email to a@example.vn" in text
    assert f"Subject: Matchmaker: Đăng ký tham dự “{TITLE}” của doanh nghiệp bạn" in text
    # Outside a request the link is built on SITE_URL.
    assert re.search(r"http://localhost:5000/registrations/\d+", text)


def test_emails_go_out_in_each_recipients_language(app, app_ctx, users, smtp):
    org = users["member_a"].organisation
    factories.make_user(organisation=org, email="en@example.vn", full_name="Trần Thị Bình",
                        locale="en")
    event = make_event(TITLE)
    register(event, org, users["organiser"])
    by_recipient = {m.recipients[0]: m for m in smtp}
    assert set(by_recipient) == {"a@example.vn", "en@example.vn"}
    vi, en = by_recipient["a@example.vn"], by_recipient["en@example.vn"]
    assert vi.subject.startswith(f"Matchmaker: Đăng ký tham dự “{TITLE}”")
    assert "Xin chào Nguyễn Thị Hoà," in vi.body and "Xem chi tiết:" in vi.body
    assert en.subject == (f"Matchmaker: Your registration for “{TITLE}” was received and "
                          "awaits the organiser's approval.")
    assert "Hello Trần Thị Bình," in en.body and "See the details: http://" in en.body
    assert vi.sender == app.config["MAIL_DEFAULT_SENDER"]


def test_nothing_is_emailed_before_the_commit_or_after_a_rollback(app, app_ctx, users, smtp):
    event = make_event(TITLE)
    reg.register(ident(event), users["member_a"].organisation, "producer",
                 [reg.Delegate("Lê Văn Cường")], by_user_id=ident(users["organiser"]))
    assert smtp == []
    db.session.rollback()
    db.session.commit()  # a later commit does not send what was rolled back
    assert smtp == []
    assert notifications_of(users["member_a"]) == []
    # Closing the session without a commit is a rollback too.
    services.notify([ident(users["member_a"])], "registration.approved", {}, None)
    db.session.close()
    db.session.commit()
    assert smtp == [] and notifications_of(users["member_a"]) == []


def test_a_rolled_back_savepoint_drops_only_its_own_emails(app, app_ctx, users, smtp):
    member = ident(users["member_a"])
    services.notify([member], "registration.approved", {"event_title": "Ngoài"}, None)
    with db.session.begin_nested():
        services.notify([member], "registration.approved", {"event_title": "Giữ lại"}, None)
    savepoint = db.session.begin_nested()
    services.notify([member], "registration.approved", {"event_title": "Bỏ đi"}, None)
    savepoint.rollback()
    assert smtp == []  # releasing a savepoint is not the commit
    db.session.commit()
    assert ["Ngoài" in m.subject or "Giữ lại" in m.subject for m in smtp] == [True, True]


def test_a_check_in_is_not_emailed(app, app_ctx, users, smtp):
    event = make_event(TITLE, requires_approval=False)
    registration = register(event, users["member_a"].organisation, users["organiser"])
    sent = len(smtp)
    reg.check_in(registration, ident(users["organiser"]))
    db.session.commit()
    assert len(smtp) == sent
    assert notifications_of(users["member_a"])[-1].kind == "registration.checked_in"


def test_a_failing_mail_server_never_breaks_the_request(app, app_ctx, users, monkeypatch,
                                                        caplog):
    def refuse(*_args, **_kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(smtplib, "SMTP", refuse)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.vn")
    monkeypatch.setitem(app.config, "MAIL_SUPPRESS_SEND", False)
    # Opening a notification sends no email; make it send one, within the real request.
    mark_read = services.mark_read

    def mark_read_and_email(notification):
        mark_read(notification)
        services.notify([notification.user_id], "registration.approved",
                        {"event_title": TITLE}, "/notifications/")

    monkeypatch.setattr(services, "mark_read", mark_read_and_email)
    note = make_notification(users["member_a"])
    client = client_for(app, users["member_a"])
    token = csrf_token(client, "/notifications/")
    caplog.set_level(logging.INFO, logger=MAIL_LOG)
    response = client.post(f"/notifications/{ident(note)}/open", data={"csrf_token": token})
    assert response.status_code == 302
    errors = [r for r in caplog.records if r.name == MAIL_LOG and r.levelno == logging.ERROR]
    assert len(errors) == 1 and "a@example.vn" in errors[0].getMessage()
    assert "SMTP down" in caplog.text
    # The change itself was committed: the notification is read, the new one is there.
    mine = notifications_of(users["member_a"])
    assert mine[0].read_at is not None and len(mine) == 2


def test_in_a_request_the_email_links_to_the_requests_host(app, app_ctx, users, smtp):
    with app.test_request_context(base_url="https://matchmaker.nghean.vn/"):
        services.notify([ident(users["member_a"])], "registration.approved",
                        {"event_title": TITLE}, "/registrations/5")
        db.session.commit()
    assert "https://matchmaker.nghean.vn/registrations/5" in smtp[0].body


def test_a_reason_on_several_lines_stays_out_of_the_subject_header(app, app_ctx, users, smtp):
    services.notify([ident(users["member_a"])], "registration.rejected",
                    {"event_title": TITLE, "note": "Thiếu giấy tờ.\nBổ sung sau."}, None)
    db.session.commit()
    assert "\n" not in smtp[0].subject and "Bổ sung sau." in smtp[0].body


def test_suppressed_queues_no_email(app, app_ctx, users, smtp):
    with mail.suppressed():
        services.notify([ident(users["member_a"])], "registration.approved",
                        {"event_title": TITLE}, None)
    db.session.commit()
    assert smtp == [] and len(notifications_of(users["member_a"])) == 1


def test_logged_emails_reach_the_terminal_of_a_fresh_process(tmp_path):
    """In development the e-mails are printed by the log: a new process (like `make run`)
    must show them on stderr before anything else has used the app's logger."""
    import os
    import subprocess
    import sys

    script = (
        "from matchmaker import create_app\n"
        "from matchmaker.notifications.mail import Email, deliver\n"
        f"app = create_app('development', SQLALCHEMY_DATABASE_URI='sqlite:///{tmp_path}/x.db')\n"
        "with app.app_context():\n"
        "    deliver([Email(to='an@example.vn', subject='Chào', body='Nội dung')])\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "MAIL_SERVER": ""})
    assert "Email to an@example.vn" in result.stderr, result.stderr
