"""The event form (create and edit) and the cancel form (Flask-WTF; CSRF included).

Times are typed in Vietnam's wall-clock time (``<input type="datetime-local">`` for the
event and its registration window; a day and two times for each meeting session) and turned
into UTC by :meth:`EventForm.fields_for_service`. The form runs the service's own checks
(:func:`matchmaker.events.services.event_problems`) so that every mistake is shown next to
its field at once, in the user's language.
"""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from matchmaker.catalogue.forms import CHOOSE_FROM_LIST, MultiCheckbox, Select
from matchmaker.events.models import Event, EventStatus, RegistrationSide
from matchmaker.events.services import MAX_SESSIONS, EventError, EventFields, event_problems
from matchmaker.text import normalise
from matchmaker.timeutil import local_to_utc, to_local

EVENT_STATUS_LABELS = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.REGISTRATION_CLOSED: _l("Registration closed"),
    EventStatus.FINISHED: _l("Finished"),
    EventStatus.CANCELLED: _l("Cancelled"),
}
ACTION_LABELS = {
    "publish": _l("Publish"),
    "close-registration": _l("Close registration"),
    "reopen-registration": _l("Reopen registration"),
    "finish": _l("Mark as finished"),
    "cancel": _l("Cancel the event"),
}
TRANSITION_MESSAGES = {
    "publish": _l("The event is published: everyone can see it now."),
    "close-registration": _l("Registration is closed."),
    "reopen-registration": _l("Registration is open again."),
    "finish": _l("The event is marked as finished."),
    "cancel": _l("The event is cancelled. Every organisation still registered is notified."),
}

SESSION_MESSAGES = {
    "session_order": _l("A session must end after it starts."),
    "session_outside": _l("A session must lie within the event's start and end."),
    "session_overlap": _l("This session overlaps another session."),
    "session_short": _l("This session is shorter than one meeting."),
}
# code -> (field name, message); session codes go to their row, capacity ones to their side.
FIELD_MESSAGES = {
    "title": ("title", _l("Enter the event's title.")),
    "province": ("province", CHOOSE_FROM_LIST),
    "ends_before_start": ("ends_at", _l("The end must be after the start.")),
    "registration_order": ("registration_closes_at",
                           _l("Registration must close after it opens.")),
    "registration_after_end": ("registration_closes_at",
                               _l("Registration must close by the end of the event.")),
    "capacity": (None, _l("Enter a number of places between 1 and 100000.")),
    "tables": ("table_count", _l("Enter a number of tables between 1 and 1000.")),
    "meeting_minutes": ("meeting_minutes",
                        _l("A meeting lasts between 5 and 240 minutes.")),
    "break_minutes": ("break_minutes", _l("A break lasts between 0 and 120 minutes.")),
    "category": ("categories", CHOOSE_FROM_LIST),
    "no_sessions": ("sessions", _l("Add at least one meeting session.")),
    "too_many_sessions": ("sessions", _l("Too many sessions.")),
}
_TIME_CODES = {"ends_before_start", "registration_order", "registration_after_end"}
# Dates outside these years are typing mistakes; year 1 would not even convert to UTC.
YEARS = (2000, 2099)
YEAR_MESSAGE = _l("Enter a date between the year 2000 and the year 2099.")
_ANY_TIME = datetime(2000, 1, 1, 8, 0)  # stands in for a time that was not typed


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_int(value) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def capacity_message(side: str, taken: int) -> str:
    """Why a capacity cannot go below the places already taken, in the user's language."""
    if side == RegistrationSide.PRODUCER:
        return ngettext(
            "%(num)d producer already holds a place: the capacity cannot be lower.",
            "%(num)d producers already hold a place: the capacity cannot be lower.", taken)
    return ngettext(
        "%(num)d distributor already holds a place: the capacity cannot be lower.",
        "%(num)d distributors already hold a place: the capacity cannot be lower.", taken)


def _check_year(field) -> None:
    """Refuse (and forget) a parsed date outside :data:`YEARS`."""
    if field.data is not None and not YEARS[0] <= field.data.year <= YEARS[1]:
        field.data = None
        raise ValueError(YEAR_MESSAGE)


class _BlankOrParsed:
    """Field mixin: blank input is ``None``; text the parent field cannot parse gets
    ``invalid_message``; parsed dates outside :data:`YEARS` are refused when
    ``check_year``."""

    invalid_message = _l("Enter a valid value.")
    check_year = False

    def _joined(self, valuelist) -> list[str]:
        return [v.strip() for v in valuelist]

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata(self._joined(valuelist))
        except ValueError:
            self.data = None
            raise ValueError(self.invalid_message) from None
        if self.check_year:
            _check_year(self)


class LocalDateTimeField(_BlankOrParsed, DateTimeLocalField):
    """Vietnam wall time from ``<input type="datetime-local">``; ``data`` is naive local
    time. Also takes ``31/12/2026 08:30`` from browsers without a picker."""

    invalid_message = _l("Enter a date and time, e.g. 31/12/2026 08:30.")
    check_year = True

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                                     "%d/%m/%Y %H:%M"])
        super().__init__(*args, **kwargs)

    def _joined(self, valuelist) -> list[str]:
        return [" ".join(valuelist).strip()]


class OptionalDateField(_BlankOrParsed, DateField):
    """A day from ``<input type="date">``; empty is None."""

    invalid_message = _l("Enter a valid date, e.g. 31/12/2026.")
    check_year = True


class OptionalTimeField(_BlankOrParsed, TimeField):
    """A time of day from ``<input type="time">`` (``08:30``); empty is None."""

    invalid_message = _l("Enter a time, e.g. 08:30.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%H:%M", "%H:%M:%S", "%H.%M", "%Hh%M"])
        super().__init__(*args, **kwargs)


class WholeNumberField(IntegerField):
    """A whole number with our own message for text that is not one."""

    def process_formdata(self, valuelist) -> None:
        text = "".join(valuelist or []).strip().replace(".", "").replace(" ", "")
        if not text:
            self.data = None
            return
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a whole number, e.g. 20.")) from None
        if abs(self.data) > 2**31 - 1:
            self.data = None
            raise ValueError(_l("This number is too large."))


class SubForm(Form):
    """A row of a ``FieldList(FormField(...))``: a plain WTForms form (no CSRF field of its
    own) whose built-in messages ("Field cannot be longer than …") are translated like every
    FlaskForm's (see :mod:`matchmaker.forms`); a plain ``Form`` would show them in English."""

    class Meta:
        def get_translations(self, form):
            return FlaskForm.Meta.get_translations(self, form)


class SessionRow(SubForm):
    """One meeting session: a day and its start and end times (Vietnam time)."""

    day = OptionalDateField(_l("Day"))
    starts = OptionalTimeField(_l("From"))
    ends = OptionalTimeField(_l("To"))

    def is_blank(self) -> bool:
        return self.day.data is None and self.starts.data is None and self.ends.data is None \
            and not (self.day.errors or self.starts.errors or self.ends.errors)

    def is_complete(self) -> bool:
        return None not in (self.day.data, self.starts.data, self.ends.data)


class EventForm(FlaskForm):
    """Create or edit an event. Build it with :meth:`build` so the choices are filled in."""

    # One-line texts are normalised before their length is checked: NFC can lengthen text,
    # and the database counts the stored (normalised) characters.
    title = StringField(_l("Title"), filters=[normalise], validators=[
        DataRequired(_l("Enter the event's title.")), Length(max=255)])
    description = TextAreaField(_l("Description"), filters=[_strip],
                                validators=[Length(max=10_000)], render_kw={"rows": 5},
                                description=_l("Programme, who should come, what to bring."))
    venue = StringField(_l("Venue"), filters=[normalise], validators=[Length(max=255)],
                        description=_l("e.g. Trung tâm Hội nghị tỉnh, 1 Quang Trung, Vinh"))
    province = Select(_l("Province"), coerce=_optional_int,
                      validators=[InputRequired(_l("Choose the province."))])
    starts_at = LocalDateTimeField(_l("Starts"), validators=[
        InputRequired(_l("Enter when the event starts."))])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[
        InputRequired(_l("Enter when the event ends."))])
    registration_opens_at = LocalDateTimeField(_l("Registration opens"), validators=[
        InputRequired(_l("Enter when registration opens."))])
    registration_closes_at = LocalDateTimeField(_l("Registration closes"), validators=[
        InputRequired(_l("Enter when registration closes."))])
    producer_capacity = WholeNumberField(_l("Places for producers"), validators=[
        InputRequired(_l("Enter the number of places."))],
        description=_l("Organisations, not people."))
    distributor_capacity = WholeNumberField(_l("Places for distributors"), validators=[
        InputRequired(_l("Enter the number of places."))],
        description=_l("Organisations, not people."))
    requires_approval = BooleanField(_l("Registrations need an organiser's approval"),
                                     default=True)
    categories = MultiCheckbox(_l("Featured OCOP categories"), coerce=int, description=_l(
        "Optional. The product groups this event is about."))
    meeting_minutes = WholeNumberField(_l("Meeting length (minutes)"), default=20,
                                       validators=[InputRequired(_l("Enter a number."))])
    break_minutes = WholeNumberField(_l("Break between meetings (minutes)"), default=5,
                                     validators=[InputRequired(_l("Enter a number."))])
    table_count = WholeNumberField(_l("Number of tables"), validators=[
        InputRequired(_l("Enter the number of tables."))])
    sessions = FieldList(FormField(SessionRow), label=_l("Meeting sessions"),
                         min_entries=MAX_SESSIONS, max_entries=MAX_SESSIONS)

    row_errors: dict[int, list[str]]

    @classmethod
    def build(cls, ocop_choices, provinces, event: Event | None = None, fill: bool = False,
              **kwargs) -> "EventForm":
        """The form with its choices: ``ocop_choices`` from
        :func:`~matchmaker.catalogue.categories.ocop_tree_choices`, ``provinces`` as
        ``((code, name), ...)``. With ``fill`` (a GET), ``event``'s values fill the fields,
        shown in Vietnam time."""
        if event is not None and fill:
            kwargs["data"] = {
                "title": event.title,
                "description": event.description or "",
                "venue": event.venue or "",
                "province": event.province_code,
                "starts_at": _local(event.starts_at),
                "ends_at": _local(event.ends_at),
                "registration_opens_at": _local(event.registration_opens_at),
                "registration_closes_at": _local(event.registration_closes_at),
                "producer_capacity": event.producer_capacity,
                "distributor_capacity": event.distributor_capacity,
                "requires_approval": event.requires_approval,
                "categories": [c.id for c in event.categories],
                "meeting_minutes": event.meeting_minutes,
                "break_minutes": event.break_minutes,
                "table_count": event.table_count,
                "sessions": [{"day": _local(s.starts_at).date(),
                              "starts": _local(s.starts_at).time(),
                              "ends": _local(s.ends_at).time()} for s in event.sessions],
            }
        form = cls(**kwargs)
        form.row_errors = {}
        form.province.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(str(code), name) for code, name in provinces]
        form.categories.choices = [
            SelectChoice(str(cid), label, render_kw={"data-depth": depth})
            for cid, label, depth in ocop_choices]
        return form

    # --- validation ------------------------------------------------------------------

    def _session_pairs(self) -> list[tuple[int, datetime, datetime]]:
        pairs = []
        for index, entry in enumerate(self.sessions):
            row: SessionRow = entry.form
            if row.is_blank():
                continue
            if not row.is_complete():
                if not (row.day.errors or row.starts.errors or row.ends.errors):
                    self.row_errors.setdefault(index, []).append(str(_l(
                        "Give the day, the start and the end, or leave the row empty.")))
                continue
            start = datetime.combine(row.day.data, row.starts.data)
            end = datetime.combine(row.day.data, row.ends.data)
            pairs.append((index, start, end))
        return pairs

    def _event_fields(self, pairs) -> tuple[EventFields, bool]:
        times = [self.starts_at.data, self.ends_at.data, self.registration_opens_at.data,
                 self.registration_closes_at.data]
        times_known = None not in times
        if not times_known:  # consistent stand-ins; their checks are skipped below
            times = [_ANY_TIME, _ANY_TIME + timedelta(days=1), _ANY_TIME - timedelta(days=2),
                     _ANY_TIME - timedelta(days=1)]

        def number(f, fallback):
            return f.data if f.data is not None else fallback

        fields = EventFields(
            title=self.title.data or "",
            description=self.description.data,
            venue=self.venue.data,
            province_code=self.province.data,
            starts_at=local_to_utc(times[0]),
            ends_at=local_to_utc(times[1]),
            registration_opens_at=local_to_utc(times[2]),
            registration_closes_at=local_to_utc(times[3]),
            producer_capacity=number(self.producer_capacity, 1),
            distributor_capacity=number(self.distributor_capacity, 1),
            table_count=number(self.table_count, 1),
            meeting_minutes=number(self.meeting_minutes, 20),
            break_minutes=number(self.break_minutes, 0),
            requires_approval=bool(self.requires_approval.data),
            category_ids=list(self.categories.data or []),
            sessions=[(local_to_utc(s), local_to_utc(e)) for _i, s, e in pairs],
        )
        return fields, times_known

    def add_problem(self, problem: EventError, row_index: dict[int, int] | None = None) -> None:
        """Show a service refusal next to its field (session problems next to their row)."""
        code = problem.code
        if code in SESSION_MESSAGES:
            index = problem.details.get("index", 0)
            if row_index is not None:
                index = row_index.get(index, index)
            self.row_errors.setdefault(index, []).append(str(SESSION_MESSAGES[code]))
            return
        if code == "capacity_below_taken":
            side = problem.details["side"]
            getattr(self, f"{side}_capacity").errors.append(
                capacity_message(side, problem.details["taken"]))
            return
        name, message = FIELD_MESSAGES.get(code, ("title", CHOOSE_FROM_LIST))
        if code == "capacity":
            name = f"{problem.details.get('side', 'producer')}_capacity"
        target = getattr(self, name)
        if name == "sessions":
            self.row_errors.setdefault(0, []).append(str(message))
        elif str(message) not in [str(e) for e in target.errors]:
            if isinstance(target.errors, tuple):
                target.errors = list(target.errors)
            target.errors.append(message)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.row_errors = {}
        pairs = self._session_pairs()
        fields, times_known = self._event_fields(pairs)
        row_index = {n: index for n, (index, _s, _e) in enumerate(pairs)}
        incomplete_rows = bool(self.row_errors) or any(
            row.form.day.errors or row.form.starts.errors or row.form.ends.errors
            for row in self.sessions)
        for problem in event_problems(fields):
            code = problem.code
            if not times_known and (code in _TIME_CODES or code in SESSION_MESSAGES
                                    or code == "no_sessions"):
                continue
            if code == "no_sessions" and incomplete_rows:
                continue  # the row already says what is missing
            name = FIELD_MESSAGES.get(code, (None,))[0]
            if code == "capacity":
                name = f"{problem.details.get('side')}_capacity"
            if name and name != "sessions" and getattr(self, name).errors:
                continue  # already explained (e.g. not a number)
            self.add_problem(problem, row_index)
            valid = False
        return valid and not self.row_errors

    def problem_count(self) -> int:
        """How many fields and session rows carry a message (0 before validation), for the
        summary at the top of a long form."""
        fields = sum(1 for name, errors in self.errors.items() if name != "sessions" and errors)
        rows = {index for index, errors in self.row_errors.items() if errors}
        rows |= {index for index, entry in enumerate(self.sessions) if entry.form.errors}
        return fields + len(rows)

    def fields_for_service(self) -> EventFields:
        """The validated values, as :class:`~matchmaker.events.services.EventFields`
        (times in UTC)."""
        return self._event_fields(self._session_pairs())[0]


class CancelForm(FlaskForm):
    """Why the event is cancelled (shown to everyone who sees the event)."""

    reason = TextAreaField(_l("Reason for cancelling"), filters=[_strip], validators=[
        DataRequired(_l("Say why the event is cancelled.")), Length(max=2000)],
        render_kw={"rows": 3})


def _local(dt: datetime) -> datetime:
    """Aware UTC -> naive Vietnam wall time, as the datetime-local inputs show it."""
    return to_local(dt).replace(tzinfo=None)

