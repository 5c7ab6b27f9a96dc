"""Emails that accompany notifications, sent only once the change is committed.

:func:`queue_notification_emails` renders each email at once, in its recipient's language,
and parks it in the database session (``db.session.info``). A listener on the session sends
the parked emails after the transaction **commits** and drops them when it rolls back, so
a change that is rolled back never emails anyone. Emails queued inside a savepoint that is
rolled back are dropped too.

Delivery: with ``MAIL_SERVER`` set, through Flask-Mail (SMTP settings from ``MAIL_*``
config, see ``config.py``); without it (development, tests) each email is written to the
``matchmaker.mail`` logger at INFO: recipient, subject and body. A failing mail server is
logged (ERROR) and never breaks the request that caused the email: the change is already
committed by then.

Flask-Mail is set up lazily: the SMTP settings are read from the current app's config at
each sending, so no ``init_app`` call is needed (and tests may change ``MAIL_*`` freely).
``mail`` is the Flask-Mail object; tests use ``mail.record_messages()``.
"""

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Connection, Mail, Message

from matchmaker.extensions import db
from matchmaker.notifications.messages import render_text

log = logging.getLogger("matchmaker.mail")
# Without this, INFO records would be dropped unless the app runs in debug mode (the parent
# "matchmaker" logger then inherits the root's WARNING): development relies on the log.
log.setLevel(logging.INFO)

mail = Mail()

PENDING = "matchmaker.pending_emails"
MARKS = "matchmaker.pending_email_marks"
SUPPRESSED = "matchmaker.emails_suppressed"


@dataclass(frozen=True)
class Email:
    """A rendered email waiting for the commit: one recipient, plain-text body."""

    to: str
    subject: str
    body: str


def absolute_url(link: str | None) -> str:
    """``link`` (a path inside the site) as an absolute URL: from the request's host when
    there is a request, else from the ``SITE_URL`` setting. ``None`` gives the site root."""
    if has_request_context():
        base = request.host_url
    else:
        base = current_app.config.get("SITE_URL") or "http://localhost:5000"
    return base.rstrip("/") + (link or "/")


def _compose(user, kind: str, params: dict, link: str | None) -> Email:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = render_text(kind, params)
        subject = _("Matchmaker: %(text)s", text=text)
        lines = [_("Hello %(name)s,", name=user.full_name), "", text, ""]
        lines.append(_("See the details: %(url)s", url=absolute_url(link)))
        lines += ["", "—", _("Matchmaker: business matching for trade-promotion events"),
                  _("You receive this email because you have an account on Matchmaker.")]
    # Header fields must not carry newlines (a reason may hold several lines).
    return Email(to=user.email, subject=" ".join(subject.split())[:200], body="\n".join(lines))


def queue(email: Email) -> None:
    """Send ``email`` once the current transaction commits (nothing if it rolls back)."""
    if db.session.info.get(SUPPRESSED):
        return
    db.session.info.setdefault(PENDING, []).append(email)


def queue_notification_emails(user_ids: Iterable[int], kind: str, params: dict,
                              link: str | None) -> int:
    """Render the email of a notification for each active user in ``user_ids``, each in
    the user's own language, and queue it (see :func:`queue`). One SQL statement. Returns
    the number queued."""
    from matchmaker.auth.models import User

    ids = list(user_ids)
    if not ids or db.session.info.get(SUPPRESSED):
        return 0
    users = db.session.execute(
        sa.select(User.email, User.full_name, User.locale)
        .where(User.id.in_(ids), User.active.is_(True)).order_by(User.id)).all()
    for user in users:
        queue(_compose(user, kind, params, link))
    return len(users)


@contextmanager
def suppressed() -> Iterator[None]:
    """Queue no email inside the block (the demo seed registers organisations without
    writing to their members)."""
    info = db.session.info
    before = info.get(SUPPRESSED)
    info[SUPPRESSED] = True
    try:
        yield
    finally:
        info[SUPPRESSED] = before


def _message(email: Email) -> Message:
    config = current_app.config
    return Message(subject=email.subject, recipients=[email.to], body=email.body,
                   sender=config.get("MAIL_DEFAULT_SENDER") or "noreply@localhost")


def deliver(emails: list[Email]) -> None:
    """Send ``emails`` now (SMTP when ``MAIL_SERVER`` is set, else the log). Never raises:
    a failure is logged with the recipients it concerns."""
    if not emails:
        return
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        for email in emails:
            log.info("Email to %s\nSubject: %s\n\n%s", email.to, email.subject, email.body)
        return
    try:
        state = mail.init_mail(config, current_app.debug, current_app.testing)
        with Connection(state) as connection:
            for email in emails:
                connection.send(_message(email))
    except Exception:
        log.exception("Could not send %d email(s) through %s to %s", len(emails),
                      config.get("MAIL_SERVER"), ", ".join(e.to for e in emails))


# The session's events (the listeners apply to every Flask-SQLAlchemy session):
# a savepoint notes how many emails were queued before it; rolling it back drops those queued
# since; the outermost commit sends the queue; the end of the outermost transaction, however
# it ends (commit, rollback, close), empties it.

@sa.event.listens_for(db.session, "after_transaction_create")
def _mark_savepoint(session, transaction) -> None:
    if transaction.nested:
        pending = session.info.get(PENDING)
        session.info.setdefault(MARKS, {})[transaction] = len(pending) if pending else 0


@sa.event.listens_for(db.session, "after_commit")
def _send_after_commit(session) -> None:
    # Also called when a savepoint is released: its emails wait for the outer commit.
    if session.in_nested_transaction():
        return
    emails = session.info.pop(PENDING, None)
    if emails:
        deliver(emails)


@sa.event.listens_for(db.session, "after_soft_rollback")
def _drop_after_savepoint_rollback(session, previous_transaction) -> None:
    if previous_transaction.nested:
        mark = session.info.get(MARKS, {}).get(previous_transaction)
        pending = session.info.get(PENDING)
        if mark is not None and pending:
            del pending[mark:]


@sa.event.listens_for(db.session, "after_transaction_end")
def _forget(session, transaction) -> None:
    # Savepoints' marks stay until the outer transaction ends: a rolled-back savepoint ends
    # before its "after_soft_rollback" event, which still needs the mark.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(PENDING, None)
        session.info.pop(MARKS, None)
