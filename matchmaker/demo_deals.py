"""The demo's finished 2025 event and what came of it: MOUs, supply contracts, lapses.

``flask seed-demo`` (:func:`matchmaker.demo.seed`) calls :func:`seed_past_event` last. It
adds :data:`PAST_EVENT_TITLE`, held on :data:`PAST_EVENT_DAY` (a Thursday in June 2025),
with the same real Nghệ An producers and the demo distributors as the upcoming event, and
follows it through to the organisers' reports:

* Registrations through the registration rules (:func:`matchmaker.events.registration.
  register`, ``approve``), all approved; on the day everyone checks in
  (``check_in``) except one organisation that did not come (:data:`ABSENT_NOTE`). The demo
  distributor login's "(Demo) Chuỗi siêu thị Sông Lam" took part in 2025, so both demo
  member logins see deals of their own.
* Meetings through the meeting rules, as for the upcoming event
  (:mod:`matchmaker.meetings.requests`, :mod:`matchmaker.meetings.scheduling`): each
  distributor asks its best suggestions, producers nobody asked ask theirs, two busy
  producers decline one request each (:func:`matchmaker.demo._choose_answers`), the rest
  are accepted; the schedule is generated and published, then each meeting is marked held,
  or no-show for the absent organisation (``record_outcome``). The event is then finished.
* Deals through :mod:`matchmaker.deals.services`: :data:`STORIES` says what became of the
  MOU signed after each of the best held meetings (about half converted, one with two
  contracts, one contract terminated, one cancelled so that its MOU reopened, lapsed and
  cancelled MOUs with reasons, open ones, one with a next step due a week after seeding);
  one contract was signed at the event without an MOU (:data:`STANDALONE_NOTE`), and the
  Nghệ An Department of Industry and Trade signed a department-to-department MOU
  (:data:`AGENCY_PARTIES`). Values are whole đồng from the buyers' target prices (or
  :data:`UNIT_PRICES`), volumes in the buyers' units.

**Dates.** The services write "now"; while they run for the story, a ``before_flush``
listener (:class:`_Clock`) dates what they write with when it happened instead: history rows
(``status_changes``), notifications, ``created_at`` / ``updated_at``, an MOU's
``last_activity_at``; check-in and publication times are passed or set directly.
Registrations from May 2025, meetings asked and answered the week before the event, MOUs
signed at the event's signing session or in the weeks after, contracts weeks to months after
their MOU, deliveries and lapses later still (the last in spring 2026, before
:data:`NOT_BEFORE`). The meeting rules take requests only before an event starts, so the
event is first built :func:`_shift` weeks ahead, in the future, and moved back to 2025
(times of day and weekdays kept) once its schedule is published (:func:`_move_back`). The
next step of the one MOU that has one is set "today" and falls due a week later. Random
choices use :data:`RANDOM_SEED`, so the same database gets the same story. Notifications
the rules write to the demo logins are kept, dated and marked read; no email is sent
(:func:`matchmaker.notifications.mail.suppressed`).

Idempotent: nothing is done when an event titled :data:`PAST_EVENT_TITLE` exists.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import click
import sqlalchemy as sa

from matchmaker import demo
from matchmaker.auth.models import User
from matchmaker.catalogue.models import Product, SourcingNeed
from matchmaker.db import TimestampMixin
from matchmaker.deals import services as deals
from matchmaker.deals.models import CloseReason, ContractStatus, Mou, MouStatus, SupplyContract
from matchmaker.events import registration as registration_rules
from matchmaker.events.models import (
    Event,
    EventSession,
    EventStatus,
    Registration,
    RegistrationSide,
)
from matchmaker.events.services import change_event_status
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject, change_status
from matchmaker.matching import loader as matching_loader
from matchmaker.matching import services as matching
from matchmaker.matching.engine import PairMatch
from matchmaker.meetings import requests as meeting_requests
from matchmaker.meetings import scheduling
from matchmaker.meetings.models import Meeting, MeetingStatus
from matchmaker.notifications import mail
from matchmaker.notifications.models import Notification
from matchmaker.organisations.models import BuyerType, Organisation
from matchmaker.text import fold
from matchmaker.timeutil import local_to_utc, to_local, utcnow

PAST_EVENT_TITLE = "Hội nghị kết nối cung cầu sản phẩm OCOP Nghệ An 2025"
PAST_EVENT_DAY = date(2025, 6, 19)  # a Thursday
PAST_EVENT_DESCRIPTION = (
    "Sự kiện minh họa (dữ liệu demo), đã diễn ra.\n\n"
    "Hội nghị kết nối các chủ thể OCOP của Nghệ An với siêu thị, nhà bán buôn, doanh nghiệp "
    "xuất khẩu, sàn thương mại điện tử, khách sạn và bếp ăn tập thể.\n\n"
    "Chương trình: 08:00 đón tiếp đại biểu và khai mạc; 08:30–11:30 và 13:30–16:30 gặp gỡ "
    "giao thương B2B theo lịch hẹn (20 bàn, mỗi cuộc gặp 20 phút); 16:30 ký kết biên bản ghi "
    "nhớ hợp tác và bế mạc.\n\n"
    "Kết quả: các biên bản ghi nhớ và hợp đồng cung ứng ký tại hội nghị và sau hội nghị được "
    "Trung tâm theo dõi đến khi thực hiện xong.")
#: The seed refuses to run before this day (Vietnam): the story's last date is earlier.
NOT_BEFORE = date(2026, 7, 1)
RANDOM_SEED = 2025
#: Delegates' made-up names start further down demo's lists than the 2026 event's.
DELEGATE_OFFSET = 7

ABSENT_NOTE = "Đại diện doanh nghiệp không đến hội nghị, không báo trước."
HELD_NOTES = (
    "Hai bên trao đổi bảng giá và quy cách đóng gói; hẹn gửi hàng mẫu.",
    "Bên mua đánh giá cao chất lượng sản phẩm; cần thêm thông tin về sản lượng ổn định.",
    "Trao đổi về điều kiện giao hàng và thanh toán; sẽ liên hệ lại sau hội nghị.",
    "Bên mua đề nghị báo giá theo thùng và theo tháng.",
)
MOU_MEETING_NOTE = "Hai bên thống nhất ký biên bản ghi nhớ hợp tác."
SIGNED_AT_EVENT = "Ký tại phiên ký kết của hội nghị, sau cuộc gặp B2B."
SIGNED_LATER = "Ký sau hội nghị, khi bên mua đến khảo sát cơ sở sản xuất."
STANDALONE_NOTE = "Ký trực tiếp tại hội nghị (đơn hàng thử), không qua biên bản ghi nhớ."
#: The contract signed without an MOU is this share of what an MOU would have said.
STANDALONE_SHARE = 0.4
#: Months of delivery of a contract still delivering (a year-and-a-half supply contract).
LONG_DELIVERY_MONTHS = 18
AGENCY_PARTIES = ("Sở Công Thương tỉnh Nghệ An", "Sở Công Thương Thành phố Hồ Chí Minh")
AGENCY_NOTE = (
    "Chương trình hợp tác xúc tiến thương mại giai đoạn 2025–2027: đưa sản phẩm OCOP của "
    "Nghệ An vào hệ thống phân phối của Thành phố Hồ Chí Minh, tổ chức tuần hàng OCOP và "
    "hỗ trợ doanh nghiệp hai bên tham gia hội chợ.")
NEXT_STEP = ("Gửi hàng mẫu và bảng giá theo sản lượng năm {year} cho bộ phận thu mua; hẹn "
             "họp chốt hợp đồng cung ứng.")
#: The next step of the open MOU falls due on the first weekday at least this many days
#: after the seeding (so that the follow-up list and ``flask remind`` have one to show).
NEXT_STEP_DAYS = 7

#: Fallback unit and price (whole đồng per unit, wholesale) when the buyer's need names no
#: price: the first folded keyword found among the words of the product's name wins.
UNIT_PRICES = (
    ("nuoc mam", "chai", 75_000), ("mat ong", "chai", 180_000), ("linh chi", "hộp", 350_000),
    ("cao", "hộp", 180_000), ("tra", "hộp", 65_000), ("che", "hộp", 65_000),
    ("sen", "kg", 170_000), ("ngu coc", "hộp", 120_000), ("my", "gói", 25_000),
    ("tho cam", "chiếc", 250_000), ("may tre", "chiếc", 150_000), ("den", "chiếc", 150_000),
    ("go", "bộ", 90_000), ("huong", "hộp", 80_000), ("ruou", "chai", 180_000),
)
DEFAULT_UNIT_PRICE = ("sản phẩm", 100_000)
#: Notifications the demo logins got in 2025 count as read this long after they came.
READ_AFTER = timedelta(hours=1)
#: Nghệ An, Hà Tĩnh, Thanh Hóa: buyers elsewhere pay more for transport.
NORTH_CENTRAL = (38, 40, 42)
#: An MOU's estimated value is kept within these bounds (whole đồng).
MOU_VALUE_RANGE = (200_000_000, 3_200_000_000)


@dataclass(frozen=True)
class Step:
    """A status change ``after`` days after the MOU (or contract) was signed."""

    status: str
    after: int = 0
    reason: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class ContractPlan:
    """A contract signed ``after`` days after its MOU, worth ``share`` of the MOU's value,
    then ``steps``: delivery starts with the delivery period, completion is recorded a few
    weeks after it ends, a termination or cancellation ``after`` days after signing."""

    after: int
    share: float
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Story:
    """What became of one MOU. ``signed_after``: days after the event it was signed;
    ``steps``: its own status changes (days after signing); ``contracts``; ``next_step``:
    an open MOU with a follow-up due soon; ``prefer``: which held meeting suits it (see
    :func:`_suits`)."""

    key: str
    signed_after: int = 0
    valid_months: int = 12
    steps: tuple[Step, ...] = ()
    contracts: tuple[ContractPlan, ...] = ()
    next_step: bool = False
    prefer: str | None = None


M, C = MouStatus, ContractStatus
TERMINATED = ("Bên mua chấm dứt hợp đồng trước hạn do thu hẹp hệ thống cửa hàng; hai bên đã "
              "thanh lý phần hàng đã giao.")
CANCELLED = ("Hai bên hủy hợp đồng trước khi giao hàng: chưa thống nhất quy cách bao bì và "
             "nhãn phụ; tiếp tục đàm phán theo biên bản ghi nhớ.")
#: In order of importance: with fewer held meetings the last stories are left out.
STORIES = (
    Story("two_contracts", steps=(Step(M.NEGOTIATING, 14),), prefer="demo_producer",
          contracts=(ContractPlan(35, 0.45, (Step(C.DELIVERING), Step(C.COMPLETED))),
                     ContractPlan(160, 0.4, (Step(C.DELIVERING),)))),
    Story("next_step", valid_months=24, steps=(Step(M.NEGOTIATING, 30),), next_step=True,
          prefer="demo_distributor"),
    Story("reopened", steps=(Step(M.NEGOTIATING, 21),),
          contracts=(ContractPlan(56, 0.5, (Step(C.CANCELLED, 14, CANCELLED),)),)),
    Story("terminated", contracts=(ContractPlan(42, 0.6, (
        Step(C.DELIVERING), Step(C.TERMINATED, 110, TERMINATED))),)),
    Story("lapsed_price", signed_after=14, prefer="bulk_buyer", steps=(
        Step(M.NEGOTIATING, 20),
        Step(M.LAPSED, 120, CloseReason.PRICE,
             "Bên mua đề nghị giá thấp hơn giá thành khoảng 15%; hai bên không thống nhất "
             "được giá."))),
    Story("completed", contracts=(ContractPlan(28, 0.7, (
        Step(C.DELIVERING), Step(C.COMPLETED))),)),
    Story("delivering", signed_after=45, contracts=(ContractPlan(63, 0.55, (
        Step(C.DELIVERING),)),)),
    Story("lapsed_logistics", prefer="far_buyer", steps=(
        Step(M.LAPSED, 150, CloseReason.LOGISTICS,
             "Chi phí vận chuyển đến kho bên mua vượt dự kiến; hai bên chưa tìm được phương "
             "án giao hàng."),)),
    Story("completed_after_talks", steps=(Step(M.NEGOTIATING, 21),),
          contracts=(ContractPlan(84, 0.65, (Step(C.DELIVERING), Step(C.COMPLETED))),)),
    Story("lapsed_certification", signed_after=30, prefer="exporter", steps=(
        Step(M.NEGOTIATING, 30),
        Step(M.LAPSED, 180, CloseReason.CERTIFICATION,
             "Sản phẩm chưa có chứng nhận HACCP / ISO 22000 mà bên mua yêu cầu."))),
    Story("delivering_after_talks", signed_after=70, steps=(Step(M.NEGOTIATING, 14),),
          contracts=(ContractPlan(49, 0.5, (Step(C.DELIVERING),)),)),
    Story("open_signed", signed_after=120),
    Story("lapsed_no_response", valid_months=6, steps=(
        Step(M.LAPSED, 200, CloseReason.NO_RESPONSE,
             "Bên mua không phản hồi sau ba lần Trung tâm liên hệ (điện thoại, email)."),)),
    Story("completed_quickly", signed_after=100, contracts=(ContractPlan(21, 0.8, (
        Step(C.DELIVERING), Step(C.COMPLETED))),)),
    Story("cancelled_volume", steps=(
        Step(M.NEGOTIATING, 25),
        Step(M.CANCELLED, 60, CloseReason.VOLUME,
             "Nhà sản xuất chưa đủ năng lực cung ứng sản lượng bên mua cần mỗi tháng."))),
    Story("completed_late", signed_after=21, contracts=(ContractPlan(100, 0.6, (
        Step(C.DELIVERING), Step(C.COMPLETED))),)),
)


def _workday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(datetime.combine(day, time(hour, minute)))


class _Clock:
    """While ``now`` is set, dates every row the services write: new history rows and
    notifications (read an hour later), ``created_at`` of new records, ``updated_at`` of
    changed ones and an MOU's ``last_activity_at``. Listens to the session's
    ``before_flush``, so the rows are written with their dates (no UPDATE afterwards)."""

    def __init__(self) -> None:
        self.now: datetime | None = None

    def before_flush(self, session, _context, _instances) -> None:
        now = self.now
        if now is None:
            return
        for obj in session.new:
            if isinstance(obj, StatusChange):
                obj.changed_at = now
            elif isinstance(obj, Notification):
                obj.created_at, obj.read_at = now, now + READ_AFTER
            elif isinstance(obj, TimestampMixin):
                obj.created_at = obj.updated_at = now
            if isinstance(obj, Mou):
                obj.last_activity_at = now
        for obj in session.dirty:
            if not session.is_modified(obj, include_collections=False):
                continue
            if isinstance(obj, TimestampMixin):
                obj.updated_at = now
            if isinstance(obj, Mou):
                obj.last_activity_at = now


@dataclass
class _Seeding:
    """What the steps share: the organiser, who acts for each organisation, the clock, the
    random source and ``shift`` (how far ahead the event sits until it is moved back)."""

    organiser_id: int
    members: dict[int, int]
    clock: _Clock
    rng: random.Random
    shift: timedelta
    today: date
    registrations: list[Registration] = field(default_factory=list)

    def acting(self, organisation_id: int) -> int:
        """An organisation's own login acts for it; the organiser's staff for the others."""
        return self.members.get(organisation_id, self.organiser_id)

    def moment(self, day: date, earliest: int = 8, latest: int = 16) -> datetime:
        """A time in office hours on ``day`` (moved to Monday from a weekend), Vietnam."""
        return _local(_workday(day), self.rng.randint(earliest, latest),
                      self.rng.choice((0, 10, 20, 30, 40, 50)))

    @contextmanager
    def at(self, moment: datetime) -> Iterator[None]:
        """What the block writes happened at ``moment`` (flushed at the end)."""
        self.clock.now = moment
        try:
            yield
            db.session.flush()
        finally:
            self.clock.now = None


def _event_day_at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return _local(PAST_EVENT_DAY + timedelta(days=days), hour, minute)


def _shift(now: datetime) -> timedelta:
    """Whole weeks that put the event's start at least a week after ``now``."""
    start = _event_day_at(demo.EVENT_DAY[0].hour)
    return timedelta(weeks=max(0, (now - start).days // 7 + 2))


def seed_past_event(echo: Callable[[str], None] = click.echo) -> int:
    """Add the finished 2025 event, its meetings and deals (module docstring), once.

    Returns the number of records created (0 when already there, or when the clock is
    before :data:`NOT_BEFORE`). Flushes, never commits; sends no email.

    Raises:
        LookupError: the demo organiser account is missing (seed the accounts first).
    """
    if db.session.scalar(
            sa.select(Event.id).where(Event.title == PAST_EVENT_TITLE)) is not None:
        return 0
    now = utcnow()
    today = to_local(now).date()
    if today < NOT_BEFORE:
        echo(f"No past demo event: the clock says {today.isoformat()}, before its story ends.")
        return 0
    organiser_id = db.session.scalar(sa.select(User.id).where(
        User.email == "organiser@example.com"))
    if organiser_id is None:
        raise LookupError("the demo organiser account is missing")
    members: dict[int, int] = {}
    for user_id, organisation_id in db.session.execute(
            sa.select(User.id, User.organisation_id).where(
                User.organisation_id.is_not(None), User.active.is_(True)).order_by(User.id)):
        members.setdefault(organisation_id, user_id)
    run = _Seeding(organiser_id, members, _Clock(), random.Random(RANDOM_SEED), _shift(now),
                   today)
    session = db.session()
    sa.event.listen(session, "before_flush", run.clock.before_flush)
    try:
        with mail.suppressed():
            event = _create_event(run)
            _register(run, event)
            plan, meetings = _ask_and_schedule(run, event)
            held, absent = _the_day(run, event, plan, meetings)
            counts = _deals(run, event, held)
    finally:
        sa.event.remove(session, "before_flush", run.clock.before_flush)
    worth = f"{counts['contract_value']:,}".replace(",", ".")
    echo(f"Past demo event \"{PAST_EVENT_TITLE}\" on "
         f"{PAST_EVENT_DAY.strftime('%d/%m/%Y')}, finished: {len(run.registrations)} "
         f"organisations registered and approved, {len(run.registrations) - absent} checked "
         f"in; {len(held) + counts['no_show']} meetings on the schedule, {len(held)} held, "
         f"{counts['no_show']} no-shows; {counts['mous']} MOUs ({counts['converted']} "
         f"converted, {counts['open']} open, {counts['lapsed']} lapsed, {counts['cancelled']} "
         f"cancelled) and 1 between agencies; {counts['contracts']} supply contracts worth "
         f"{worth} đồng.")
    return (1 + len(run.registrations) + len(meetings) + counts["mous"] + 1
            + counts["contracts"])


# ------------------------------------------------------------------------- the event


def _create_event(run: _Seeding) -> Event:
    """The event, drafted and published in early May 2025, built :data:`_Seeding.shift`
    in the future (see :func:`_move_back`)."""
    producers, _distributors = demo._event_organisations()
    start, end = (_event_day_at(t.hour, t.minute) for t in demo.EVENT_DAY)
    s = run.shift
    with run.at(_event_day_at(10, days=-48)):
        event = Event(
            title=PAST_EVENT_TITLE, description=PAST_EVENT_DESCRIPTION,
            venue=demo.EVENT_VENUE, province_code=demo.NGHE_AN, starts_at=start + s,
            ends_at=end + s, registration_opens_at=_event_day_at(0, days=-45) + s,
            registration_closes_at=_event_day_at(17, days=-7) + s,
            producer_capacity=60, distributor_capacity=40, requires_approval=True,
            meeting_minutes=20, break_minutes=5, table_count=20,
            created_by_id=run.organiser_id, categories=demo._featured_categories(producers),
            sessions=[EventSession(starts_at=_event_day_at(a.hour, a.minute) + s,
                                   ends_at=_event_day_at(b.hour, b.minute) + s)
                      for a, b in demo.EVENT_SESSIONS])
        db.session.add(event)
        change_status(event, Subject.EVENT, EventStatus.DRAFT, run.organiser_id)
    published = _event_day_at(9, days=-45)
    with run.at(published):
        event.published_at = published
        change_status(event, Subject.EVENT, EventStatus.PUBLISHED, run.organiser_id)
    return event


def _register(run: _Seeding, event: Event) -> None:
    """Everyone registers between six and two weeks before (in no particular order, in
    office hours) and is approved a working day or two later; registration closes a week
    before the event."""
    producers, distributors = demo._event_organisations()
    buyer = demo._find_organisation(demo.DISTRIBUTOR_ORGANISATION)
    if buyer is not None and buyer.is_distributor:
        distributors = [buyer, *distributors]
    entries = [(org, RegistrationSide.PRODUCER) for org in producers]
    entries += [(org, RegistrationSide.DISTRIBUTOR) for org in distributors]
    order = list(range(len(entries)))
    run.rng.shuffle(order)
    first, last = -44, -12
    for position, index in enumerate(order):
        org, side = entries[index]
        day = PAST_EVENT_DAY + timedelta(
            days=first + (last - first) * position // max(1, len(order) - 1))
        registered_at = run.moment(day)
        if side == RegistrationSide.PRODUCER:
            titles = demo.COOPERATIVE_TITLES if org.legal_form == "cooperative" \
                else demo.PRODUCER_TITLES
            offer = {"product_ids": list(db.session.scalars(sa.select(Product.id).where(
                Product.organisation_id == org.id, Product.active.is_(True))))}
        else:
            titles = demo.DISTRIBUTOR_TITLES
            offer = {"need_ids": list(db.session.scalars(sa.select(SourcingNeed.id).where(
                SourcingNeed.organisation_id == org.id, SourcingNeed.active.is_(True))))}
        with run.at(registered_at):
            registration = registration_rules.register(
                event.id, org, side, demo._delegates(index + DELEGATE_OFFSET, titles),
                by_user_id=run.acting(org.id), now=registered_at + run.shift, **offer)
        with run.at(run.moment(registered_at.date() + timedelta(
                days=run.rng.choice((1, 1, 2))), 9, 16)):
            registration_rules.approve(registration, run.organiser_id)
        run.registrations.append(registration)
    with run.at(_event_day_at(17, days=-7)):
        change_event_status(event, "close-registration", run.organiser_id)


def _best_pair(cat: matching_loader.Catalogue, match):
    """The product–need pair :func:`matchmaker.demo._best_pair` names (its pair object)."""
    def key(pair):
        shared = demo._words(cat.needs[pair.need_id].title) & demo._words(
            cat.products[pair.product_id].name)
        return pair.score, len(shared), -pair.need_id

    return max(match.pairs, key=key)


def _plan(event: Event) -> tuple[matching_loader.Catalogue, list[demo._Request]]:
    """Who asks whom, as for the upcoming event (the demo distributor login's chain took
    part in 2025): two busy producers decline, every other request is accepted."""
    participants = matching_loader.event_participants(event.id)
    by_registration = {p.registration_id: p for p in participants}
    cat = matching_loader.catalogue()
    index = matching_loader.event_index(cat, participants)
    plan: list[demo._Request] = []
    asked: set[tuple[int, int]] = set()

    def add(producer, distributor, side, match, template) -> None:
        if producer is None or distributor is None \
                or (producer.registration_id, distributor.registration_id) in asked:
            return
        asked.add((producer.registration_id, distributor.registration_id))
        need, product, _reasons = demo._best_pair(cat, match)
        plan.append(demo._Request(producer, distributor, side, match,
                                  template.format(need=need, product=product)))

    for distributor in (p for p in participants if p.side == matching.DISTRIBUTOR):
        found = matching.suggestions(
            cat, distributor.organisation_id, matching.DISTRIBUTOR,
            matching.viewer_decisions(distributor.organisation_id, event.id),
            k=demo.MEETINGS_PER_DISTRIBUTOR, event_id=event.id, index=index,
            participants=participants)
        for suggestion in found.suggestions:
            add(by_registration.get(suggestion.registration_id), distributor,
                matching.DISTRIBUTOR, suggestion.match, demo.DISTRIBUTOR_ASKS)
    asked_producers = {producer for producer, _d in asked}
    for producer in (p for p in participants if p.side == matching.PRODUCER
                     and p.registration_id not in asked_producers):
        found = matching.suggestions(
            cat, producer.organisation_id, matching.PRODUCER,
            matching.viewer_decisions(producer.organisation_id, event.id), k=1,
            event_id=event.id, index=index, participants=participants)
        for suggestion in found.suggestions:
            add(producer, by_registration.get(suggestion.registration_id),
                matching.PRODUCER, suggestion.match, demo.PRODUCER_ASKS)
    demo._choose_answers(cat, plan)
    for request in plan:
        if request.answer is None:  # nothing stays unanswered at a finished event
            request.answer = "accept"
    return cat, plan


def _ask_and_schedule(run: _Seeding, event: Event
                      ) -> tuple[tuple[matching_loader.Catalogue, list], list[Meeting]]:
    """Requests in the second week before the event, answers a working day later, the
    schedule generated and published two days before; then the event is moved back to its
    real dates. Returns ``((catalogue, plan), meetings)``."""
    cat, plan = _plan(event)
    meetings: list[Meeting] = []
    answers: list[datetime] = []
    for position, request in enumerate(plan):
        asking, asked = ((request.distributor, request.producer)
                         if request.side == matching.DISTRIBUTOR
                         else (request.producer, request.distributor))
        asked_at = run.moment(PAST_EVENT_DAY + timedelta(
            days=-9 + 4 * position // max(1, len(plan))))
        with run.at(asked_at):
            meetings.append(meeting_requests.request_meeting(
                event.id, asking.organisation_id, asked.registration_id,
                run.acting(asking.organisation_id), request.message))
        answers.append(run.moment(asked_at.date() + timedelta(days=1)))
    for request, meeting, answered_at in zip(plan, meetings, answers, strict=True):
        asked = (request.producer if request.side == matching.DISTRIBUTOR
                 else request.distributor)
        with run.at(answered_at):
            if request.answer == "decline":
                meeting_requests.decline(meeting.id, asked.organisation_id,
                                         run.acting(asked.organisation_id), request.reason)
            else:
                meeting_requests.accept(meeting.id, asked.organisation_id,
                                        run.acting(asked.organisation_id))
    with run.at(_event_day_at(10, days=-2)):
        scheduling.generate(event.id, run.organiser_id)
    published = _event_day_at(15, days=-2)
    with run.at(published):
        scheduling.publish(event.id, run.organiser_id)
        event.schedule_published_at = published
        _move_back(run, event)
    return (cat, plan), meetings


def _move_back(run: _Seeding, event: Event) -> None:
    """Move the event, its sessions, slots and queue times :data:`_Seeding.shift` back
    (whole weeks: weekdays and times of day stay)."""
    s = run.shift
    event.starts_at -= s
    event.ends_at -= s
    event.registration_opens_at -= s
    event.registration_closes_at -= s
    for session in event.sessions:
        session.starts_at -= s
        session.ends_at -= s
    for slot in scheduling.stored_slots(event.id):
        slot.starts_at -= s
        slot.ends_at -= s
    for registration in run.registrations:
        registration.queued_at -= s


@dataclass
class _Held:
    """A held meeting, the request that led to it and the product–need pair behind it."""

    meeting: Meeting
    request: demo._Request
    pair: PairMatch


def _the_day(run: _Seeding, event: Event, plan_info, meetings: list[Meeting]
             ) -> tuple[list[_Held], int]:
    """Check-in from 07:30; one organisation does not come (its meetings are no-shows); the
    others' meetings are held, each marked just after its slot; the event is finished in the
    evening. Returns the held meetings (best match first) and how many were absent."""
    cat, plan = plan_info
    placed = [(m, r) for m, r in zip(meetings, plan, strict=True)
              if m.status == MeetingStatus.SCHEDULED]
    per_registration: dict[int, int] = {}
    for m, _r in placed:
        for rid in (m.producer_registration_id, m.distributor_registration_id):
            per_registration[rid] = per_registration.get(rid, 0) + 1
    # Someone with two or three meetings and no demo login stayed away.
    candidates = sorted(
        r.id for r in run.registrations
        if 2 <= per_registration.get(r.id, 0) <= 3 and r.organisation_id not in run.members)
    absent = {run.rng.choice(candidates)} if candidates else set()
    arrival = _event_day_at(7, 30)
    for registration in run.registrations:
        if registration.id in absent:
            continue
        with run.at(arrival):
            registration_rules.check_in(registration, run.organiser_id, now=arrival)
        arrival += timedelta(minutes=2)
    slots = {slot.id: slot for slot in scheduling.stored_slots(event.id)}
    placed.sort(key=lambda pr: (slots[pr[0].time_slot_id].position, pr[0].table_number))
    held: list[_Held] = []
    for meeting, request in placed:
        with run.at(slots[meeting.time_slot_id].ends_at + timedelta(minutes=3)):
            if {meeting.producer_registration_id,
                    meeting.distributor_registration_id} & absent:
                scheduling.record_outcome(event.id, meeting.id, MeetingStatus.NO_SHOW,
                                          run.organiser_id, ABSENT_NOTE)
            else:
                scheduling.record_outcome(event.id, meeting.id, MeetingStatus.HELD,
                                          run.organiser_id, run.rng.choice(HELD_NOTES))
                held.append(_Held(meeting, request, _best_pair(cat, request.match)))
    with run.at(_event_day_at(17, 30)):
        change_event_status(event, "finish", run.organiser_id)
    held.sort(key=lambda h: (-h.request.score, h.meeting.id))
    return held, len(absent)


# ------------------------------------------------------------------------------ deals


def _suits(story: Story, held: _Held, buyers: dict[int, Organisation]) -> bool:
    """Whether the held meeting fits the story's ``prefer`` (the demo logins' organisations
    get the richest stories; certification lapses go with exporters, price with bulk
    buyers, logistics with buyers outside the North Central region)."""
    buyer = buyers.get(held.request.distributor.organisation_id)
    match story.prefer:
        case "demo_producer":
            return held.request.producer.name == demo.PRODUCER_ORGANISATION
        case "demo_distributor":
            return held.request.distributor.name == demo.DISTRIBUTOR_ORGANISATION
        case "exporter":
            return buyer is not None and buyer.buyer_type == BuyerType.EXPORTER
        case "bulk_buyer":
            return buyer is not None and buyer.buyer_type in (BuyerType.WHOLESALER,
                                                              BuyerType.CANTEEN)
        case "far_buyer":
            return buyer is not None and buyer.province_code not in NORTH_CENTRAL
    return True


def _unit_price(product_name: str, need: SourcingNeed | None) -> tuple[str, int]:
    """The buyer's unit and target price, else :data:`UNIT_PRICES` by the product's name."""
    if need is not None and need.target_price_vnd and need.unit and need.unit != "sản phẩm":
        return need.unit, need.target_price_vnd
    name = f" {' '.join(re.findall(r'[a-z0-9]+', fold(product_name)))} "
    for keyword, unit, price in UNIT_PRICES:
        if f" {keyword} " in name:
            return unit, price
    return DEFAULT_UNIT_PRICE


def _nice(quantity: float) -> int:
    """``quantity`` rounded to two significant digits (at least 1)."""
    if quantity < 1:
        return 1
    step = 10 ** max(0, int(math.log10(quantity)) - 1)
    return max(step, round(quantity / step) * step)


def _million(amount: float) -> int:
    """Whole đồng rounded to the million (at least one million)."""
    return max(1_000_000, int(round(amount, -6)))


def _mou_amounts(rng: random.Random, need: SourcingNeed | None, price: int
                 ) -> tuple[int, int]:
    """``(volume, value in đồng)`` of an MOU: a share of a year of the buyer's monthly
    volume at ``price``, kept within :data:`MOU_VALUE_RANGE`."""
    monthly = need.monthly_volume if need is not None and need.monthly_volume else 1_000
    volume = monthly * 12 * rng.uniform(0.15, 0.5)
    low, high = MOU_VALUE_RANGE
    if volume * price > high:
        volume = high / price * rng.uniform(0.55, 0.95)
    elif volume * price < low:
        volume = low / price * rng.uniform(1.1, 2.5)
    volume = _nice(volume)
    return volume, _million(volume * price)


def _assign(held: list[_Held], buyers: dict[int, Organisation]
            ) -> tuple[list[tuple[Story, _Held]], _Held | None]:
    """Stories for the best held meetings, and one held meeting kept for the contract
    signed without an MOU."""
    available = list(held)
    count = min(len(STORIES), max(0, len(available) - 1))
    chosen: list[tuple[Story, _Held]] = []
    for story in STORIES[:count]:
        pick = next((h for h in available if _suits(story, h, buyers)), available[0])
        available.remove(pick)
        chosen.append((story, pick))
    return chosen, (available[0] if available else None)


def _deals(run: _Seeding, event: Event, held: list[_Held]) -> dict[str, int]:
    """MOUs and contracts (module docstring); returns counts for the summary."""
    buyers = {o.id: o for o in db.session.scalars(sa.select(Organisation).where(
        Organisation.id.in_({h.request.distributor.organisation_id for h in held})))}
    needs = {n.id: n for n in db.session.scalars(sa.select(SourcingNeed).where(
        SourcingNeed.id.in_({h.pair.need_id for h in held})))}
    products = {p.id: p for p in db.session.scalars(sa.select(Product).where(
        Product.id.in_({h.pair.product_id for h in held})))}
    chosen, standalone = _assign(held, buyers)
    counts = dict.fromkeys(("mous", "converted", "open", "lapsed", "cancelled", "contracts",
                            "contract_value"), 0)
    counts["no_show"] = db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(
        Meeting.event_id == event.id, Meeting.status == MeetingStatus.NO_SHOW))
    numbers = iter(range(1, 1000))
    ceremony = _event_day_at(16, 30)
    with run.at(ceremony):
        deals.record_mou(
            signed_on=PAST_EVENT_DAY, by_user_id=run.organiser_id, agencies=AGENCY_PARTIES,
            event_id=event.id, category_ids=[c.id for c in event.categories],
            valid_until=_add_months(PAST_EVENT_DAY, 36), reference="01/2025/BBGN-SCT",
            notes=AGENCY_NOTE)
    for number, (story, h) in enumerate(chosen, start=1):
        _story(run, story, h, number, products[h.pair.product_id],
               needs.get(h.pair.need_id), numbers, counts)
    if standalone is not None:
        _standalone(run, event, standalone, products[standalone.pair.product_id],
                    needs.get(standalone.pair.need_id), next(numbers), counts)
    return counts


def _story(run: _Seeding, story: Story, h: _Held, number: int, product: Product,
           need: SourcingNeed | None, numbers, counts: dict[str, int]) -> None:
    """Record the MOU of held meeting ``h`` and play ``story`` out."""
    unit, price = _unit_price(product.name, need)
    volume, value = _mou_amounts(run.rng, need, price)
    if story.signed_after:
        signed_at = run.moment(PAST_EVENT_DAY + timedelta(days=story.signed_after))
    else:
        signed_at = _event_day_at(16, 35 + number)  # the signing session
        h.meeting.outcome_note = MOU_MEETING_NOTE
    signed_on = to_local(signed_at).date()
    parties = deals.parties_of_meeting(h.meeting)
    by = run.acting(parties.producer_id if parties.producer_id in run.members
                    else parties.distributor_id)
    with run.at(signed_at):
        mou = deals.record_mou(
            signed_on=signed_on, by_user_id=by, parties=parties, product_ids=[product.id],
            category_ids=[product.ocop_category_id] if product.ocop_category_id else (),
            estimated_value_vnd=value, volume=Decimal(volume), unit=unit,
            valid_until=_add_months(signed_on, story.valid_months),
            reference=f"{number:02d}/2025/BBGN-KNCC",
            notes=SIGNED_LATER if story.signed_after else SIGNED_AT_EVENT)
    # The MOU's own changes and its contracts, in date order.
    jitter = run.rng.randint(0, 4)
    actions: list[tuple[date, int, Callable[[], None]]] = []
    for step in story.steps:
        day = signed_on + timedelta(days=step.after + jitter)
        actions.append((day, len(actions), _mou_step(run, mou, step, day)))
    for plan in story.contracts:
        day = _workday(signed_on + timedelta(days=plan.after + jitter))
        actions.append((day, len(actions), _contract(
            run, mou, plan, day, next(numbers), volume, value, counts)))
    actions.sort(key=lambda a: (a[0], a[1]))
    for _day, _position, action in actions:
        action()
    if story.next_step:  # set today by the organiser: not backdated
        deals.set_next_step(mou, None, NEXT_STEP.format(year=run.today.year + 1),
                            _workday(run.today + timedelta(days=NEXT_STEP_DAYS)))
    counts["mous"] += 1
    status = MouStatus(mou.status)
    counts["converted" if status == M.CONVERTED
           else "open" if status in (M.SIGNED, M.NEGOTIATING) else status.value] += 1


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _mou_step(run: _Seeding, mou: Mou, step: Step, day: date) -> Callable[[], None]:
    def act() -> None:
        with run.at(run.moment(day, 9, 16)):
            deals.change_mou_status(mou, step.status, run.organiser_id, reason=step.reason,
                                    reason_text=step.text)
    return act


def _contract(run: _Seeding, mou: Mou, plan: ContractPlan, signed_on: date, number: int,
              mou_volume: int, mou_value: int, counts: dict[str, int]) -> Callable[[], None]:
    def act() -> None:
        volume = _nice(mou_volume * plan.share * run.rng.uniform(0.9, 1.1))
        value = _million(mou_value * volume / mou_volume)
        starts, ends = _delivery(run, signed_on, plan.steps)
        with run.at(run.moment(signed_on, 9, 15)):
            contract = deals.record_contract(
                contract_number=f"{number:02d}/{signed_on.year}/HĐCU", signed_on=signed_on,
                value_vnd=value, by_user_id=run.acting(mou.distributor_id), mou=mou,
                volume=Decimal(volume), unit=mou.unit, delivery_from=starts, delivery_to=ends)
        _contract_steps(run, contract, plan.steps)
        counts["contracts"] += 1
        if contract.status != C.CANCELLED:
            counts["contract_value"] += value
    return act


def _delivery(run: _Seeding, signed_on: date, steps) -> tuple[date, date]:
    """The delivery period: from one or two weeks after signing, for three to six months
    (six for one terminated on the way); a contract still delivering is a supply contract
    over :data:`LONG_DELIVERY_MONTHS`."""
    starts = _workday(signed_on + timedelta(days=run.rng.randint(7, 14)))
    last = steps[-1].status if steps else None
    months = (LONG_DELIVERY_MONTHS if last == C.DELIVERING
              else 6 if last == C.TERMINATED else run.rng.choice((3, 4, 6)))
    return starts, _add_months(starts, months) - timedelta(days=1)


def _contract_steps(run: _Seeding, contract: SupplyContract, steps) -> None:
    """Delivery starts on its first day; completion is recorded one to four weeks after the
    last delivery; terminations and cancellations ``after`` days after signing."""
    for step in steps:
        if step.status == C.DELIVERING:
            day = contract.delivery_from
        elif step.status == C.COMPLETED:
            day = contract.delivery_to + timedelta(days=run.rng.randint(7, 28))
        else:
            day = contract.signed_on + timedelta(days=step.after)
        with run.at(run.moment(day, 9, 16)):
            deals.change_contract_status(contract, step.status,
                                         run.acting(contract.producer_id), reason=step.reason)


def _standalone(run: _Seeding, event: Event, h: _Held, product: Product,
                need: SourcingNeed | None, number: int, counts: dict[str, int]) -> None:
    """A trial order signed at the event without an MOU, delivered and completed."""
    unit, price = _unit_price(product.name, need)
    volume, _value = _mou_amounts(run.rng, need, price)
    volume = _nice(volume * STANDALONE_SHARE)
    value = _million(volume * price)
    steps = (Step(C.DELIVERING), Step(C.COMPLETED))
    starts, ends = _delivery(run, PAST_EVENT_DAY, steps)
    with run.at(_event_day_at(16, 50)):
        contract = deals.record_contract(
            contract_number=f"{number:02d}/2025/HĐCU", signed_on=PAST_EVENT_DAY,
            value_vnd=value, by_user_id=run.organiser_id, event_id=event.id,
            parties=deals.parties_of_meeting(h.meeting), product_ids=[product.id],
            volume=Decimal(volume), unit=unit, delivery_from=starts, delivery_to=ends,
            notes=STANDALONE_NOTE)
    _contract_steps(run, contract, steps)
    counts["contracts"] += 1
    counts["contract_value"] += value
