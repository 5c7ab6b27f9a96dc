"""Notification pages: the reader's own messages, newest first.

* ``GET /notifications/``: any logged-in user; only their own notifications, unread ones
  highlighted, 20 a page.
* ``POST /notifications/<id>/open``: marks it read and goes to its link (only a path inside
  the site; otherwise back to the list). Another user's notification is a 404, for admins
  too: notifications are private, so the admin's "may see everything" does not apply.
* ``POST /notifications/read-all``: marks every unread one read.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.extensions import db
from matchmaker.notifications import bp, services
from matchmaker.notifications.messages import render
from matchmaker.pagination import page_arg

PER_PAGE = 20


@bp.get("/notifications/")
@login_required
def index():
    """The user's notifications, newest first (paginated)."""
    page = db.paginate(services.user_notifications(current_user.id), page=page_arg(),
                       per_page=PER_PAGE, error_out=False)
    return render_template("notifications/index.html", page=page, render=render)


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """Mark the notification read and follow its link."""
    notification = services.get_own(current_user.id, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(notification)
    link = services.safe_link(notification.link)
    db.session.commit()
    return redirect(link or url_for(".index"))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    """Mark every unread notification of the user read."""
    count = services.mark_all_read(current_user.id)
    db.session.commit()
    if count:
        flash(_("All notifications marked as read."), "success")
    return redirect(url_for(".index"))
