"""The organisers' follow-up of open MOUs, and the "next step" of an MOU (staff only).

* ``GET /mous/follow-up`` (``deals.follow_up``): open business MOUs with no counted contract,
  at least 30 (default), 60 or 90 days after signing (``?age=0|30|60|90``; 0 = all open),
  of one event (``?event=ID``, or ``?event=none`` for MOUs signed outside any event),
  largest estimated value first, 50 a page. Four SQL statements with the login.
* ``POST /mous/<id>/next-step`` (``deals.next_step``): set or clear (``clear`` button) the
  next-step note and its due date, naming the ``version`` the organiser saw. Someone else's
  save in between (:class:`~matchmaker.deals.services.StaleEdit`) or a bad value shows the
  form again on its own page, with the organiser's input and the MOU as it is now; nothing
  is saved. Success goes back to ``next`` (a local path) or the list.

Members get 403 on both (the parties see an MOU's next step on its page, not here).
"""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from matchmaker.deals import followup
from matchmaker.deals import rules as _rules  # noqa: F401  (registers the view/edit rules)
from matchmaker.deals.labels import MOU_STATUS_BADGES, MOU_STATUS_SHORT
from matchmaker.deals.models import Mou
from matchmaker.deals.remind import vietnam_today
from matchmaker.deals.services import StaleEdit, lock_mou, set_next_step
from matchmaker.deals.views import bp
from matchmaker.events.forms_events import OptionalDateField
from matchmaker.extensions import db
from matchmaker.pagination import page_arg
from matchmaker.permissions import Role, role_required
from matchmaker.redirects import is_safe_next
from matchmaker.text import strip_invisible

STAFF = (Role.ORGANISER, Role.ADMIN)
PER_PAGE = 50
NEXT_STEP_MAX = 1000


def _multi_line(value: str | None) -> str | None:
    return strip_invisible(value).strip() if value is not None else None


class NextStepForm(FlaskForm):
    """The next step of an MOU: what to do (text) and by when (a Vietnam calendar day,
    typed ``31/12/2026`` or picked), with the ``version`` of the MOU the organiser saw.
    A due date needs a text; ``clear`` empties both."""

    next_step = TextAreaField(
        _l("Next step"), filters=[_multi_line],
        description=_l("What should happen next, e.g. “Call the buyer about the sample "
                       "price”."),
        validators=[Optional(), Length(max=NEXT_STEP_MAX, message=_l(
            "Keep the next step to %(max)d characters or fewer.", max=NEXT_STEP_MAX))])
    next_step_on = OptionalDateField(
        _l("Due on"), format=["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"],
        description=_l("Both parties are reminded on this day (Vietnam time)."))
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1)])
    next = HiddenField()
    save = SubmitField(_l("Save next step"))
    clear = SubmitField(_l("Clear next step"))

    def validate_next_step_on(self, field) -> None:
        if field.data is not None and not self.clear.data and not self.next_step.data:
            raise ValidationError(_l("Say what the next step is, or leave the date empty."))


@bp.app_context_processor
def _next_step_helpers() -> dict:
    # For templates/deals/_next_step.html, which other pages include with only ``mou``.
    def next_step_state(mou) -> str | None:
        return followup.next_step_state(mou, vietnam_today())

    return {"next_step_state": next_step_state, "NEXT_STEP_MAX": NEXT_STEP_MAX}



@bp.get("/mous/follow-up")
@role_required(*STAFF)
def follow_up():
    """Open MOUs with no contract after 30 / 60 / 90 days, largest estimated value first."""
    today = vietnam_today()
    filters = followup.Filters.from_args(request.args)
    buckets = followup.bucket_counts(today, filters)
    page = followup.open_page(today, filters, page_arg(), PER_PAGE, buckets[filters.age].count)
    return render_template(
        "deals/follow_up.html", page=page, buckets=buckets, filters=filters, today=today,
        ages=followup.AGES, events=followup.events_with_open_mous(),
        no_event=followup.NO_EVENT, age_bucket=followup.age_bucket,
        status_labels=MOU_STATUS_SHORT, status_badges=MOU_STATUS_BADGES)


def _back(target: str | None):
    if is_safe_next(target):
        return redirect(target)
    return redirect(url_for("deals.follow_up"))


def _again(mou, form: NextStepForm, stale: bool):
    """The form once more, on its own page, with the organiser's input (status 409 when
    someone else saved first)."""
    form.version.data = mou.version  # a new save overwrites what the organiser now sees
    return render_template("deals/follow_up_next_step.html", mou=mou, next_step_form=form,
                           stale=stale, today=vietnam_today()), 409 if stale else 200


@bp.post("/mous/<int:mou_id>/next-step")
@role_required(*STAFF)
def next_step(mou_id: int):
    """Set or clear the MOU's next step and due date (optimistic version check)."""
    mou = lock_mou(mou_id)
    if mou is None:
        abort(404)
    form = NextStepForm()
    if not form.validate():
        return _again(mou, form, stale=False)
    clearing = bool(form.clear.data)
    text: str | None = None if clearing else form.next_step.data
    due: date | None = None if clearing else form.next_step_on.data
    try:
        set_next_step(mou, form.version.data, text, due)
        db.session.commit()
    except (StaleEdit, StaleDataError):
        db.session.rollback()
        return _again(db.get_or_404(Mou, mou_id), form, stale=True)
    if text or due:
        flash(_("Next step saved."), "success")
    else:
        flash(_("Next step cleared."), "success")
    return _back(form.next.data)

