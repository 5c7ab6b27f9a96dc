"""Where people see matches (issue 5 item 2).

* ``GET /suggestions/`` (members): a distributor sees suggested producers, a producer the
  distributors whose needs its products meet, an organisation on both sides both tabs
  (``?tab=producers|distributors``); ``?k=`` shows up to 50. Staff get 403 (they have no
  organisation; they use an event's pairs page).
* ``GET /events/<id>/suggestions``: the same among the event's approved participants of the
  other side, for a member whose organisation takes part (approved or checked in), each with
  "Request a meeting" or the pair's state instead (a meeting already asked for, accepted or
  scheduled; a cap reached: :mod:`matchmaker.meetings.request_states`); other members get
  403 with a page that says why (not registered, or the registration pending, waitlisted,
  rejected or cancelled) and links to register or to the registration (404 for an event
  that was never published); staff are sent to the pairs.
* ``GET /events/<id>/pairs`` (staff): every covering pair among the participants, filters,
  pages; exclude (with a reason), lift an exclusion, pin, unpin (POST).
* ``POST /suggestions/not-interested`` and ``/suggestions/undo-not-interested`` (members, for
  a pair with their own organisation on one end).

Statements per page once the catalogue is cached (:mod:`matchmaker.matching.loader`): the
user loader, the catalogue version, the viewer's decisions; at an event also its
participants and, last, the event with the meeting facts of the suggested pairs (one
statement: :func:`matchmaker.meetings.request_states.event_with_facts`).
"""

from math import ceil

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from matchmaker.events.models import Event, Registration
from matchmaker.extensions import db
from matchmaker.forms import flash_form_errors
from matchmaker.matching import loader, services
from matchmaker.matching.forms import EXCLUSION_REASON_LABELS, ExcludeForm, PairForm
from matchmaker.matching.reasons import fit_percent, pair_lines
from matchmaker.matching.services import DISTRIBUTOR, PRODUCER
from matchmaker.matching.views import bp
from matchmaker.meetings import request_states
from matchmaker.meetings.requests import event_and_registration, requests_open
from matchmaker.pagination import Page, int_arg, page_arg
from matchmaker.permissions import Role, is_staff, role_required
from matchmaker.redirects import is_safe_next
from matchmaker.timeutil import utcnow

STAFF = (Role.ORGANISER, Role.ADMIN)
PAIRS_PER_PAGE = 50
QUERY_MAX = 100
SHOW = ("all", "pinned", "excluded")
MEETING_ENDPOINT = "meetings.request_form"

ERRORS = {
    "same_organisation": _l("An organisation cannot be matched with itself."),
    "unknown_organisation": _l("This organisation no longer exists."),
    "not_participants": _l("Both organisations must be approved participants of this event, "
                           "one as producer and one as distributor."),
    "reason": _l("Choose a reason."),
}


def _organisation():
    organisation = current_user.organisation
    if organisation is None:
        abort(403)
    return organisation


def _k() -> int:
    return services.clamp_k(int_arg("k", services.DEFAULT_K, 1, services.MAX_K))


def _back(default: str, **values):
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for(default, **values))


def _render_helpers(cat) -> dict:
    return dict(lines=lambda match, viewer: pair_lines(match, cat, viewer), fit=fit_percent,
                meeting_endpoint=MEETING_ENDPOINT)


def _more(result: services.SuggestionList, endpoint: str, **values) -> str | None:
    """The "show more" link (ten more, up to MAX_K), or None when all are shown."""
    if not result.has_more or result.k >= services.MAX_K:
        return None
    values = {key: value for key, value in values.items() if value is not None}
    return url_for(endpoint, k=min(result.k + 10, services.MAX_K), **values)


@bp.get("/suggestions/")
@role_required(Role.MEMBER)
def suggestions():
    """The organisation's suggestions, platform-wide."""
    organisation = _organisation()
    sides = [side for side, on in ((DISTRIBUTOR, organisation.is_distributor),
                                   (PRODUCER, organisation.is_producer)) if on]
    tab = request.args.get("tab")
    side = {"producers": DISTRIBUTOR, "distributors": PRODUCER}.get(tab, sides[0])
    if side not in sides:
        side = sides[0]
    k = _k()
    cat = loader.catalogue()
    decisions = services.viewer_decisions(organisation.id)
    result = services.suggestions(cat, organisation.id, side, decisions, k)
    more = _more(result, ".suggestions", tab=tab if len(sides) > 1 else None)
    return render_template("matching/suggestions.html", organisation=organisation,
                           sides=sides, side=side, result=result, event=None, more_url=more,
                           **_render_helpers(cat))


def _event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


@bp.get("/events/<int:event_id>/suggestions")
@login_required
def event_suggestions(event_id: int):
    """Suggestions among the event's participants, for a participant, each with a "Request a
    meeting" button or the state of the pair (see
    :mod:`matchmaker.meetings.request_states`). A member whose organisation does not take part
    (not registered, or its registration not approved) gets 403 with a page that says why
    and what to do."""
    if is_staff(current_user):
        return redirect(url_for(".event_pairs", event_id=event_id))
    organisation = _organisation()
    # The participants first: the event itself is read last, with the meeting facts of the
    # suggested pairs in the same statement (five statements in all).
    participants = loader.event_participants(event_id)
    mine = next((p for p in participants if p.organisation_id == organisation.id), None)
    if mine is None:
        return _not_taking_part(event_id, organisation.id)
    k = _k()
    cat = loader.catalogue()
    index = loader.event_index(cat, participants)
    decisions = services.viewer_decisions(organisation.id, event_id)
    result = services.suggestions(cat, organisation.id, mine.side, decisions, k,
                                  event_id=event_id, index=index, participants=participants)
    event, facts = request_states.event_with_facts(
        event_id, organisation.id, (s.registration_id for s in result.suggestions
                                    if s.registration_id is not None))
    if event is None or not event.is_public:
        abort(404)
    is_open = requests_open(event)
    states = {s.registration_id: request_states.request_state(
        facts, s.registration_id, my_side=mine.side, cap=event.meeting_cap,
        requests_open=is_open, schedule_published=event.schedule_status == "published")
        for s in result.suggestions if s.registration_id is not None}
    more = _more(result, ".event_suggestions", event_id=event.id)
    return render_template("matching/suggestions.html", organisation=organisation,
                           sides=[mine.side], side=mine.side, result=result, event=event,
                           more_url=more, states=states, **_render_helpers(cat))


def _not_taking_part(event_id: int, organisation_id: int):
    """403 with the reason: the organisation is not registered at the event, or its
    registration is pending, waitlisted, rejected or cancelled (404 for an unknown or
    never-published event)."""
    event, registration = event_and_registration(event_id, organisation_id)
    if event is None or not event.is_public:
        abort(404)
    return render_template("meetings/not_participant.html", event=event,
                           registration=registration, page_title=_("Suggestions"),
                           registration_open=event.registration_open(utcnow())), 403


def _side_of(organisation_id: int, form: PairForm) -> str:
    if form.producer_id.data == organisation_id:
        return PRODUCER
    if form.distributor_id.data == organisation_id:
        return DISTRIBUTOR
    abort(403)


def _member_decision(undo: bool):
    organisation = _organisation()
    form = PairForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(".suggestions")
    side = _side_of(organisation.id, form)
    event_id = form.event_id.data
    if event_id is not None:
        _event_or_404(event_id)
        taking_part = db.session.scalar(sa.select(Registration.id).where(
            Registration.event_id == event_id, Registration.organisation_id == organisation.id,
            Registration.status.in_(loader.TAKING_PART)))
        if taking_part is None:
            abort(403)
    pair = (event_id, form.producer_id.data, form.distributor_id.data, side)
    try:
        if undo:
            services.undo_not_interested(*pair)
        else:
            services.mark_not_interested(*pair, current_user.id)
    except services.MatchingError as error:
        db.session.rollback()
        flash(str(ERRORS[error.code]), "error")
        return _back(".suggestions")
    db.session.commit()
    if undo:
        flash(_("The suggestion is back in your list."), "success")
    else:
        flash(_("Hidden from your suggestions. You can show it again under “Hidden "
                "suggestions”."), "success")
    return _back(".suggestions")


@bp.post("/suggestions/not-interested")
@role_required(Role.MEMBER)
def not_interested():
    """The member's organisation does not want this suggestion (hidden from its side)."""
    return _member_decision(undo=False)


@bp.post("/suggestions/undo-not-interested")
@role_required(Role.MEMBER)
def undo_not_interested():
    """Show a hidden suggestion again."""
    return _member_decision(undo=True)


class _Filters:
    """The pairs page's filters from a query string or form."""

    def __init__(self, args) -> None:
        self.producer = (args.get("producer") or "").strip()[:QUERY_MAX]
        self.distributor = (args.get("distributor") or "").strip()[:QUERY_MAX]
        show = args.get("show") or "all"
        self.show = show if show in SHOW else "all"

    def to_args(self, **extra) -> dict:
        args = {"producer": self.producer, "distributor": self.distributor,
                "show": "" if self.show == "all" else self.show, **extra}
        return {key: value for key, value in args.items() if value not in ("", None)}


def _render_pairs(event: Event, filters: _Filters, page: int, exclude_form=None,
                  failed_pair=None, status: int = 200):
    participants = loader.event_participants(event.id)
    cat = loader.catalogue()
    index = loader.event_index(cat, participants)
    decisions = services.event_decisions(event.id)
    pairs = services.event_pairs(index, participants, decisions, filters.producer,
                                 filters.distributor, filters.show)
    pages = max(1, ceil(len(pairs) / PAIRS_PER_PAGE))
    page = min(page, pages)
    shown = pairs[(page - 1) * PAIRS_PER_PAGE:page * PAIRS_PER_PAGE]
    counts = {"producers": sum(p.side == PRODUCER for p in participants),
              "distributors": sum(p.side == DISTRIBUTOR for p in participants)}
    return render_template(
        "matching/event_pairs.html", event=event, filters=filters,
        page=Page(shown, page, PAIRS_PER_PAGE, len(pairs)), counts=counts,
        reason_labels=EXCLUSION_REASON_LABELS, exclude_form=exclude_form,
        failed_pair=failed_pair, **_render_helpers(cat)), status


@bp.get("/events/<int:event_id>/pairs")
@role_required(*STAFF)
def event_pairs(event_id: int):
    """All covering pairs among the event's approved participants."""
    event = _event_or_404(event_id)
    return _render_pairs(event, _Filters(request.args), page_arg())


def _pairs_url(event_id: int):
    filters = _Filters(request.form)
    raw = request.form.get("page", "")
    page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 and int(raw) > 1 \
        else None
    return url_for(".event_pairs", event_id=event_id, **filters.to_args(page=page))


def _organiser_decision(event_id: int, action: str):
    event = _event_or_404(event_id)
    form = ExcludeForm() if action == "exclude" else PairForm()
    if not form.validate_on_submit():
        if action == "exclude" and form.producer_id.data and form.distributor_id.data:
            raw = request.form.get("page", "")
            page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 1
            return _render_pairs(event, _Filters(request.form), max(page, 1), form,
                                 (form.producer_id.data, form.distributor_id.data), 422)
        flash(str(ERRORS["not_participants"]), "error")
        return redirect(_pairs_url(event.id))
    producer_id, distributor_id = form.producer_id.data, form.distributor_id.data
    try:
        if action == "exclude":
            services.exclude_pair(event.id, loader.event_participants(event.id), producer_id,
                                  distributor_id, form.reason.data, form.note.data,
                                  current_user.id)
            message = _("Pair excluded: neither side will see it at this event.")
        elif action == "unexclude":
            services.unexclude_pair(event.id, producer_id, distributor_id)
            message = _("Exclusion lifted.")
        elif action == "pin":
            services.pin_pair(event.id, loader.event_participants(event.id), producer_id,
                              distributor_id, current_user.id)
            message = _("Pair pinned: it comes first in both sides' suggestions.")
        else:
            services.unpin_pair(event.id, producer_id, distributor_id)
            message = _("Pin removed.")
    except services.MatchingError as error:
        db.session.rollback()
        flash(str(ERRORS[error.code]), "error")
        return redirect(_pairs_url(event.id))
    db.session.commit()
    flash(message, "success")
    return redirect(_pairs_url(event.id))


@bp.post("/events/<int:event_id>/pairs/exclude")
@role_required(*STAFF)
def exclude(event_id: int):
    """Exclude a pair at the event (reason: competitors, already partners, other + note)."""
    return _organiser_decision(event_id, "exclude")


@bp.post("/events/<int:event_id>/pairs/unexclude")
@role_required(*STAFF)
def unexclude(event_id: int):
    """Lift an exclusion."""
    return _organiser_decision(event_id, "unexclude")


@bp.post("/events/<int:event_id>/pairs/pin")
@role_required(*STAFF)
def pin(event_id: int):
    """Pin a pair: first in both sides' suggestions at the event."""
    return _organiser_decision(event_id, "pin")


@bp.post("/events/<int:event_id>/pairs/unpin")
@role_required(*STAFF)
def unpin(event_id: int):
    """Remove a pin."""
    return _organiser_decision(event_id, "unpin")
