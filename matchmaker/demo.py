"""Demo data for ``flask seed-demo``: real Nghệ An producers, fictional distributors.

* The category trees (OCOP and HS) from ``data/``.
* ``data/producers/nghe-an-ocop-products-from-news.csv``, imported through the normal
  producer importer (:func:`matchmaker.imports.services.import_producers`) with Nghệ An as
  the list's province: real OCOP products and their real producers, as published.
* A dozen distributors, one of each buyer type at least, with delivery provinces and one to
  three sourcing needs each. Their names start with "(Demo)": **they are fictional**.
* Three logins: an organiser, a member of the imported "Công ty CP Dược liệu Pù Mát", and a
  member of the fictional "(Demo) Chuỗi siêu thị Sông Lam".
* One published, upcoming event in Nghệ An, :data:`EVENT_TITLE` (:func:`_seed_event`), with
  most demo organisations registered through the real registration rules
  (:func:`matchmaker.events.registration.register` and ``approve``): producers with their
  products, distributors with their sourcing needs. Two registrations stay pending for the
  organiser to approve; the demo distributor login's organisation is left unregistered so
  that a visitor can try registering. No email is sent for these registrations.
* Meetings at that event (:func:`_seed_meetings`), all through the real services: each
  approved demo distributor asks its :data:`MEETINGS_PER_DISTRIBUTOR` best suggestions among
  the approved producers (:func:`matchmaker.matching.services.suggestions`) for a meeting,
  naming the need and product that matched; each producer nobody asked asks its best
  suggested distributor; and the hotel asks Pù Mát from the participant list (its herbal tea
  bags are not in the tea category the hotel's need names). The requests are answered by
  :func:`matchmaker.meetings.requests.accept` / ``decline``: the two busiest producers each
  decline their weakest request, with a reason drawn from the match; the hotel's request to
  Pù Mát and one more stay pending for someone to answer; the rest are accepted (Pù Mát
  accepts the e-commerce platform's request). The organiser then generates and publishes the
  schedule (:mod:`matchmaker.meetings.scheduling`), which tells the participants' members;
  again no email is sent.

Every step is idempotent: records are looked up by a natural key (identity key, name,
organisation + title) before being created, and the importer adds nothing for a file it
has seen; the demo event gets its meetings only while it has none and no schedule, so
running the seed twice adds nothing. Databases seeded by earlier versions lose
their placeholder organisations ("Nhà sản xuất demo", "Nhà phân phối demo") once their
users have moved.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import click
import sqlalchemy as sa

from matchmaker import demo_deals
from matchmaker.auth.models import User
from matchmaker.catalogue.models import (
    Category,
    NeedCertification,
    NeedProvince,
    Product,
    SourcingNeed,
)
from matchmaker.catalogue.taxonomy import load_categories
from matchmaker.events import registration as registration_rules
from matchmaker.events.models import Event, EventSession, EventStatus, RegistrationSide
from matchmaker.extensions import db
from matchmaker.history import Subject, change_status
from matchmaker.imports.models import MatchReview
from matchmaker.imports.services import import_producers
from matchmaker.matching import loader as matching_loader
from matchmaker.matching import services as matching
from matchmaker.matching.engine import Match
from matchmaker.meetings import requests as meeting_requests
from matchmaker.meetings import scheduling
from matchmaker.meetings.models import Meeting, ScheduleStatus
from matchmaker.notifications import mail
from matchmaker.organisations.identity import identity_key
from matchmaker.organisations.models import BuyerType, DeliveryProvince, Organisation, Side
from matchmaker.permissions import Role
from matchmaker.timeutil import local_to_utc, to_local, utcnow

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PRODUCERS_FILE = DATA_DIR / "producers" / "nghe-an-ocop-products-from-news.csv"
NGHE_AN = 40
#: How long the demo sourcing needs stay open, counted from the day they are created.
NEED_OPEN_DAYS = 365

PRODUCER_ORGANISATION = "Công ty CP Dược liệu Pù Mát"
DISTRIBUTOR_ORGANISATION = "(Demo) Chuỗi siêu thị Sông Lam"
# Organisations of earlier demo seeds, replaced by the ones above.
PLACEHOLDERS = ("Nhà sản xuất demo", "Nhà phân phối demo")

# (email, role, full name, (organisation name, side) or None); the organisations exist by the
# time accounts are made (imported, or among DISTRIBUTORS).
DEMO_ACCOUNTS = [
    ("organiser@example.com", Role.ORGANISER, "Cán bộ Trung tâm Khuyến công (demo)", None),
    ("producer@example.com", Role.MEMBER, "Người bán demo",
     (PRODUCER_ORGANISATION, Side.PRODUCER)),
    ("distributor@example.com", Role.MEMBER, "Người mua demo",
     (DISTRIBUTOR_ORGANISATION, Side.DISTRIBUTOR)),
]


@dataclass(frozen=True)
class Need:
    """A demo sourcing need. ``categories``: ``(scheme, code)`` pairs; ``volume`` per month in
    ``unit``; ``price`` whole đồng per unit; ``certifications``: CertificationKind values."""

    title: str
    categories: tuple[tuple[str, str], ...]
    volume: int
    unit: str
    price: int | None
    min_stars: int | None = None
    certifications: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Distributor:
    """A fictional demo distributor: home province, delivery provinces (current codes)."""

    name: str
    buyer_type: BuyerType
    province: int
    delivery: tuple[int, ...]
    needs: tuple[Need, ...]


FISH_SAUCE = ("ocop", "I.4.a")
TEA = ("ocop", "I.5")
HERBAL = ("ocop", "III.1")
HONEY = ("hs", "0409")
HONEY_OCOP = ("ocop", "I.2.b")
RICE_WINE = ("ocop", "II.1.a")
OTHER_ALCOHOL = ("ocop", "II.1.b")
HANDICRAFT = ("ocop", "IV.1")
TEXTILES = ("ocop", "IV.2")
NUTS = ("ocop", "I.3.c")
CEREALS = ("ocop", "I.3.b")
RICE = ("ocop", "I.2.a")
MUSHROOMS = ("ocop", "III.3")

DISTRIBUTORS = (
    Distributor(DISTRIBUTOR_ORGANISATION, BuyerType.SUPERMARKET, 40, (40, 42, 38), (
        Need("Nước mắm truyền thống cho quầy đặc sản", (FISH_SAUCE,), 3_000, "chai", 85_000,
             4, (), "Chai thủy tinh 500 ml, độ đạm từ 25°N."),
        Need("Trà thảo dược túi lọc", (TEA, HERBAL), 1_500, "hộp", 60_000, 3),
        Need("Lạc, hạt sen đóng gói", (NUTS,), 800, "kg", 180_000, 3, ("vietgap",)),
    )),
    Distributor("(Demo) Siêu thị Hoa Sen Mart", BuyerType.SUPERMARKET, 1, (1, 37, 25), (
        Need("Mật ong rừng đóng chai", (HONEY, HONEY_OCOP), 1_000, "chai", 150_000, 4,
             ("food_safety",)),
        Need("Đặc sản OCOP miền Trung cho tuần lễ hàng Việt", (FISH_SAUCE, NUTS), 2_000,
             "sản phẩm", None, 4),
    )),
    Distributor("(Demo) Siêu thị Phương Nam Xanh", BuyerType.SUPERMARKET, 79, (79, 75, 80), (
        Need("Trà xanh và trà thảo mộc", (TEA,), 2_000, "hộp", 55_000, 3),
    )),
    Distributor("(Demo) Công ty TNHH Bán buôn Nông sản Bắc Trung Bộ", BuyerType.WHOLESALER,
                42, (42, 40, 44), (
        Need("Nước mắm, mắm các loại theo thùng", (FISH_SAUCE,), 10_000, "lít", 45_000, None),
        Need("Ngũ cốc, mỳ chế biến", (CEREALS,), 5_000, "gói", 25_000),
    )),
    Distributor("(Demo) Tổng kho Thực phẩm Sông Hàn", BuyerType.WHOLESALER, 48, (48, 46, 51), (
        Need("Gia vị và nước chấm đóng chai", (FISH_SAUCE,), 6_000, "chai", 40_000, 3),
        Need("Mật ong nguyên chất", (HONEY,), 2_000, "kg", 200_000, None, ("food_safety",)),
    )),
    Distributor("(Demo) Công ty CP Xuất khẩu Mây tre Việt", BuyerType.EXPORTER, 31, (31,), (
        Need("Đèn, hộp quà mây tre đan xuất khẩu", (HANDICRAFT,), 5_000, "chiếc", 120_000, 4,
             (), "Hàng đi châu Âu: cần chứng từ nguồn gốc nguyên liệu."),
        Need("Đồ gỗ gia dụng thủ công", (HANDICRAFT,), 3_000, "bộ", 90_000, 3),
    )),
    Distributor("(Demo) Công ty TNHH Xuất khẩu Gia vị Á Đông", BuyerType.EXPORTER, 79, (79,), (
        Need("Nước mắm truyền thống xuất khẩu", (FISH_SAUCE, ("hs", "2103")), 20_000, "lít",
             50_000, 4),
        Need("Trà thảo dược xuất khẩu", (HERBAL, TEA), 3_000, "kg", 300_000, 4,
             ("haccp", "organic")),
    )),
    Distributor("(Demo) Cửa hàng Đặc sản Xứ Nghệ", BuyerType.RETAILER, 40, (40,), (
        Need("Rượu đặc sản địa phương", (RICE_WINE, OTHER_ALCOHOL), 300, "chai", 150_000, 3),
        Need("Quà biếu đặc sản Nghệ An", (NUTS, HONEY_OCOP, TEXTILES), 500, "hộp", 250_000, 3),
        Need("Hương trầm, đồ thờ cúng thủ công", (HANDICRAFT,), 400, "hộp", 80_000),
    )),
    Distributor("(Demo) Sàn thương mại điện tử Chợ Quê", BuyerType.ECOMMERCE, 1,
                (1, 79, 48, 40), (
        Need("Sản phẩm OCOP 4 sao bán trực tuyến", (TEA, HERBAL, NUTS), 2_500, "sản phẩm",
             None, 4),
        Need("Nấm linh chi và dược liệu khô", (MUSHROOMS, HERBAL), 600, "hộp", 350_000, 3),
    )),
    Distributor("(Demo) Nền tảng bán hàng OCOP Việt Online", BuyerType.ECOMMERCE, 79,
                (79, 1), (
        Need("Thổ cẩm, khăn dệt thủ công", (TEXTILES,), 700, "chiếc", 200_000, 3),
    )),
    Distributor("(Demo) Khách sạn Biển Xanh Cửa Lò", BuyerType.HORECA, 40, (40,), (
        Need("Nước mắm cho bếp nhà hàng", (FISH_SAUCE,), 400, "lít", 60_000, 3),
        Need("Trà phục vụ phòng khách sạn", (TEA,), 300, "hộp", 45_000, 3),
    )),
    Distributor("(Demo) Công ty Suất ăn Công nghiệp Hưng Phát", BuyerType.CANTEEN, 40,
                (40, 42), (
        Need("Gạo và ngũ cốc cho bếp ăn tập thể", (RICE, CEREALS), 30_000, "kg", 16_000, None,
             ("vietgap", "food_safety")),
        Need("Nước mắm bếp ăn, can 5 lít", (FISH_SAUCE,), 1_200, "lít", 35_000, None),
    )),
)


EVENT_TITLE = "Hội nghị kết nối cung cầu sản phẩm OCOP Nghệ An 2026"
EVENT_VENUE = "Trung tâm Hội nghị tỉnh Nghệ An, Vinh"  # the page adds the province
EVENT_DESCRIPTION = (
    "Sự kiện minh họa (dữ liệu demo).\n\n"
    "Hội nghị kết nối các chủ thể OCOP của Nghệ An với siêu thị, nhà bán buôn, doanh nghiệp "
    "xuất khẩu, sàn thương mại điện tử, khách sạn và bếp ăn tập thể.\n\n"
    "Chương trình: 08:00 đón tiếp đại biểu và khai mạc; 08:30–11:30 và 13:30–16:30 gặp gỡ "
    "giao thương B2B theo lịch hẹn (20 bàn, mỗi cuộc gặp 20 phút); 16:30 ký kết biên bản ghi "
    "nhớ hợp tác và bế mạc.\n\n"
    "Nhà sản xuất mang theo hàng mẫu, bảng giá và giấy chứng nhận OCOP; nhà phân phối cho "
    "biết nhu cầu thu mua, sản lượng và tiêu chuẩn cần có.")
#: The event is put on the first weekday at least this many days after the seeding.
EVENT_LEAD_DAYS = 30
EVENT_DAY = (time(8, 0), time(17, 0))  # Vietnam time
EVENT_SESSIONS = ((time(8, 30), time(11, 30)), (time(13, 30), time(16, 30)))
#: Registration closes this many days before the event starts.
REGISTRATION_CLOSES_DAYS_BEFORE = 2

#: How many of its best suggestions each demo distributor asks for a meeting.
MEETINGS_PER_DISTRIBUTOR = 3
#: How many requests the busiest producers decline (one each), and how many stay pending
#: besides the requests from the participant list.
DECLINED_REQUESTS = 2
OTHER_PENDING_REQUESTS = 1
# Requests made from the participant list rather than from a suggestion: (distributor,
# producer, message). They stay pending for the producer's members to answer. The hotel's
# tea need names the tea category, where Pù Mát's herbal tea bags are not.
FROM_PARTICIPANT_LIST = (
    ("(Demo) Khách sạn Biển Xanh Cửa Lò", PRODUCER_ORGANISATION,
     "Khách sạn cần trà thảo dược túi lọc cho phòng nghỉ, khoảng 300 hộp mỗi tháng. Mong "
     "được xem hàng mẫu trà túi lọc cà gai leo và giảo cổ lam của quý công ty."),
)
DISTRIBUTOR_ASKS = ("Chúng tôi tìm nguồn hàng cho nhu cầu “{need}” và quan tâm đến sản phẩm "
                    "{product}. Mong được gặp để trao đổi về giá, sản lượng và giao hàng.")
PRODUCER_ASKS = ("Chúng tôi xin giới thiệu sản phẩm {product} cho nhu cầu “{need}” của quý "
                 "công ty và sẽ mang hàng mẫu đến hội nghị.")
# Decline reasons: when the producer does not deliver where the buyer needs, else a full day.
DECLINE_OUTSIDE_DELIVERY = ("Hiện chúng tôi chưa giao hàng được tới các tỉnh quý công ty cần; "
                            "xin liên hệ lại khi chúng tôi có đối tác vận chuyển.")
DECLINE_BUSY = ("Lịch gặp trong ngày của chúng tôi đã kín; xin trao đổi qua điện thoại sau "
                "hội nghị.")

# Delegates' names are made up from these, in turn (plausible, not real people).
FAMILY_NAMES = ("Nguyễn", "Trần", "Lê", "Phan", "Hồ", "Hoàng", "Đặng", "Võ", "Thái", "Cao",
                "Bùi", "Ngô", "Đinh")
MEN = (("Văn", "Hùng"), ("Đình", "Phúc"), ("Văn", "Thắng"), ("Cảnh", "Toàn"), ("Hữu", "Long"),
       ("Văn", "Quang"), ("Đức", "Minh"), ("Văn", "Sơn"), ("Xuân", "Hải"))
WOMEN = (("Thị", "Lan"), ("Thị", "Hương"), ("Thị Thu", "Hà"), ("Thị", "Mai"),
         ("Thị", "Hằng"), ("Thị", "Nga"), ("Thị Kim", "Oanh"), ("Thị", "Thảo"))
PRODUCER_TITLES = ("Giám đốc", "Trưởng phòng Kinh doanh")
COOPERATIVE_TITLES = ("Giám đốc HTX", "Cán bộ phụ trách thị trường")
DISTRIBUTOR_TITLES = ("Trưởng phòng Thu mua", "Chuyên viên phát triển ngành hàng")


def _find_organisation(name: str) -> Organisation | None:
    key = identity_key(name)
    return db.session.scalar(sa.select(Organisation).where(Organisation.identity_key == key)
                             .order_by(Organisation.id).limit(1))


def _categories() -> dict[tuple[str, str], Category]:
    wanted = {c for d in DISTRIBUTORS for n in d.needs for c in n.categories}
    rows = db.session.scalars(sa.select(Category).where(
        sa.tuple_(Category.scheme, Category.code).in_(sorted(wanted))))
    found = {(c.scheme, c.code): c for c in rows}
    missing = wanted - set(found)
    if missing:
        raise LookupError(f"demo needs name unknown categories: {sorted(missing)}")
    return found


def _seed_distributors(echo: Callable[[str], None]) -> int:
    organisations = needs = 0
    categories = _categories()
    until = to_local(utcnow()).date() + timedelta(days=NEED_OPEN_DAYS)
    for spec in DISTRIBUTORS:
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == spec.name))
        if org is None:
            org = Organisation(name=spec.name, side=Side.DISTRIBUTOR, source="demo",
                               buyer_type=spec.buyer_type, province_code=spec.province)
            org.delivery_provinces = [DeliveryProvince(province_code=c) for c in spec.delivery]
            db.session.add(org)
            db.session.flush()
            organisations += 1
        titles = set(db.session.scalars(
            sa.select(SourcingNeed.title).where(SourcingNeed.organisation_id == org.id)))
        for need in spec.needs:
            if need.title in titles:
                continue
            db.session.add(SourcingNeed(
                organisation=org, title=need.title, description=need.description,
                monthly_volume=need.volume, unit=need.unit, target_price_vnd=need.price,
                min_ocop_stars=need.min_stars, active_until=until,
                categories=[categories[c] for c in need.categories],
                required_certifications=[NeedCertification(kind=k) for k in need.certifications],
                delivery_provinces=[NeedProvince(province_code=c) for c in spec.delivery]))
            needs += 1
    db.session.flush()
    if organisations or needs:
        echo(f"Fictional distributors (named \"(Demo) …\"): {organisations} added, with "
             f"{needs} sourcing needs open until {until.isoformat()}.")
    return organisations + needs


def _drop_placeholders(echo: Callable[[str], None]) -> None:
    for name in PLACEHOLDERS:
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
        if org is None:
            continue
        in_use = any(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
            model.organisation_id == org.id)) for model in (User, Product, SourcingNeed))
        if not in_use:
            db.session.delete(org)
            echo(f"Removed the placeholder organisation \"{name}\".")
    db.session.flush()


def _seed_accounts(password: str, echo: Callable[[str], None]) -> int:
    created = 0
    for email, role, full_name, org_spec in DEMO_ACCOUNTS:
        organisation = None
        if org_spec is not None:
            organisation = _find_organisation(org_spec[0])
            if organisation is None:
                raise LookupError(f"demo organisation {org_spec[0]!r} is missing")
        of = f" of {organisation.name}" if organisation else ""
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, full_name=full_name, role=role, organisation=organisation)
            user.set_password(password)
            db.session.add(user)
            created += 1
            echo(f"Created {email}: {role}{of}.")
        elif organisation is not None and user.organisation_id != organisation.id:
            user.organisation = organisation
            echo(f"Moved {email} to {organisation.name}.")
    db.session.flush()
    return created


def event_dates(now: datetime) -> tuple[datetime, datetime]:
    """Start and end (aware UTC) of the demo event for a seeding at ``now``: the first
    weekday at least :data:`EVENT_LEAD_DAYS` days later, 08:00–17:00 Vietnam time."""
    day = to_local(now).date() + timedelta(days=EVENT_LEAD_DAYS)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    start, end = EVENT_DAY
    return (local_to_utc(datetime.combine(day, start)),
            local_to_utc(datetime.combine(day, end)))


def _delegates(index: int, titles: tuple[str, str]) -> list[registration_rules.Delegate]:
    """One or two delegates (every other organisation sends two), names made up in turn."""
    people = []
    for position in range(1 + index % 2):
        n = 2 * index + position
        names = WOMEN if n % 2 else MEN
        middle, given = names[n // 2 % len(names)]
        family = FAMILY_NAMES[n % len(FAMILY_NAMES)]
        people.append(registration_rules.Delegate(f"{family} {middle} {given}", titles[position]))
    return people


def _event_organisations() -> tuple[list[Organisation], list[Organisation]]:
    """The producers and distributors the demo registers, in a fixed order.

    Producers: the imported ones with an active product, except one an import flagged as a
    possible duplicate (an organiser has yet to decide on it). Distributors: the demo ones but
    the demo distributor login's, left for a visitor to register.
    """
    doubtful = set(db.session.scalars(sa.select(MatchReview.organisation_id).where(
        MatchReview.status == "pending", MatchReview.organisation_id.is_not(None))))
    with_products = sa.select(Product.organisation_id).where(Product.active.is_(True))
    producers = [org for org in db.session.scalars(
        sa.select(Organisation).where(Organisation.source == "imported",
                                      Organisation.id.in_(with_products))
        .order_by(Organisation.id)) if org.id not in doubtful and org.is_producer]
    distributors = list(db.session.scalars(
        sa.select(Organisation).where(Organisation.source == "demo",
                                      Organisation.name != DISTRIBUTOR_ORGANISATION)
        .order_by(Organisation.id)))
    return producers, [org for org in distributors if org.is_distributor]


def _featured_categories(producers: list[Organisation]) -> list[Category]:
    # The OCOP product sets (second level, e.g. I.4) of the registered producers' products.
    codes = set(db.session.scalars(
        sa.select(Category.code).join(Product, Product.ocop_category_id == Category.id)
        .where(Product.organisation_id.in_([o.id for o in producers]),
               Product.active.is_(True), Category.scheme == "ocop")))
    sets = {code if code.count(".") <= 1 else code.rsplit(".", 1)[0] for code in codes}
    return list(db.session.scalars(sa.select(Category).where(
        Category.scheme == "ocop", Category.code.in_(sorted(sets))).order_by(Category.path)))


def _seed_event(echo: Callable[[str], None]) -> int:
    if db.session.scalar(sa.select(Event.id).where(Event.title == EVENT_TITLE)) is not None:
        return 0
    users = dict(db.session.execute(sa.select(User.email, User.id).where(
        User.email.in_(["organiser@example.com", "producer@example.com"]))).all())
    organiser_id = users["organiser@example.com"]
    now = utcnow()
    starts_at, ends_at = event_dates(now)
    day = to_local(starts_at).date()
    producers, distributors = _event_organisations()
    event = Event(
        title=EVENT_TITLE, description=EVENT_DESCRIPTION, venue=EVENT_VENUE,
        province_code=NGHE_AN, starts_at=starts_at, ends_at=ends_at,
        registration_opens_at=local_to_utc(datetime.combine(to_local(now).date(), time())),
        registration_closes_at=starts_at - timedelta(days=REGISTRATION_CLOSES_DAYS_BEFORE),
        producer_capacity=60, distributor_capacity=40, requires_approval=True,
        meeting_minutes=20, break_minutes=5, table_count=20, created_by_id=organiser_id,
        categories=_featured_categories(producers),
        sessions=[EventSession(starts_at=local_to_utc(datetime.combine(day, a)),
                               ends_at=local_to_utc(datetime.combine(day, b)))
                  for a, b in EVENT_SESSIONS])
    db.session.add(event)
    change_status(event, Subject.EVENT, EventStatus.DRAFT, organiser_id)
    event.published_at = now
    change_status(event, Subject.EVENT, EventStatus.PUBLISHED, organiser_id)

    # The last producer and the last distributor stay pending, for the organiser to approve.
    entries = [(org, RegistrationSide.PRODUCER, i == len(producers) - 1)
               for i, org in enumerate(producers)]
    entries += [(org, RegistrationSide.DISTRIBUTOR, i == len(distributors) - 1)
                for i, org in enumerate(distributors)]
    approved = 0
    with mail.suppressed():
        for index, (org, side, stays_pending) in enumerate(entries):
            if side == RegistrationSide.PRODUCER:
                titles = COOPERATIVE_TITLES if org.legal_form == "cooperative" \
                    else PRODUCER_TITLES
                offer = {"product_ids": list(db.session.scalars(sa.select(Product.id).where(
                    Product.organisation_id == org.id, Product.active.is_(True))))}
            else:
                titles = DISTRIBUTOR_TITLES
                offer = {"need_ids": list(db.session.scalars(sa.select(SourcingNeed.id).where(
                    SourcingNeed.organisation_id == org.id, SourcingNeed.active.is_(True))))}
            # The demo producer login registered its own company; the organiser's staff
            # entered the others from the sign-up sheets.
            by = users.get("producer@example.com") if org.name == PRODUCER_ORGANISATION \
                else organiser_id
            registration = registration_rules.register(
                event.id, org, side, _delegates(index, titles), by_user_id=by, now=now, **offer)
            if not stays_pending:
                approved += registration_rules.approve(registration, organiser_id)
    echo(f"Demo event \"{EVENT_TITLE}\" on {day.strftime('%d/%m/%Y')} in Vinh: "
         f"{len(entries)} organisations registered ({len(producers)} producers, "
         f"{len(distributors)} distributors), {approved} approved, "
         f"{len(entries) - approved} pending; {DISTRIBUTOR_ORGANISATION} is not registered.")
    return 1 + len(entries)


@dataclass
class _Request:
    """A meeting request the demo makes: the two registrations, who asks, the match that
    suggested the pair (``None`` for a request from the participant list) and the message.
    ``answer`` is ``accept``, ``decline`` or ``None`` (left pending)."""

    producer: matching_loader.Participant
    distributor: matching_loader.Participant
    side: str
    match: Match | None
    message: str
    answer: str | None = "accept"
    reason: str | None = None

    @property
    def score(self) -> int:
        return self.match.score if self.match is not None else 0


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"\w+", text)}


def _best_pair(cat: matching_loader.Catalogue, match: Match) -> tuple[str, str, tuple]:
    """``(need title, product name, reasons)`` of the best-scoring product–need pair; of
    equal ones, the pair whose need title and product name share the most words (wooden
    spoons go with "Đồ gỗ gia dụng", not with "Đèn, hộp quà mây tre đan")."""
    def key(pair):
        shared = _words(cat.needs[pair.need_id].title) & _words(
            cat.products[pair.product_id].name)
        return pair.score, len(shared), -pair.need_id

    best = max(match.pairs, key=key)
    return cat.needs[best.need_id].title, cat.products[best.product_id].name, best.reasons


def _plan_requests(event: Event) -> list[_Request]:
    """Who asks whom, in order, and how each request is answered (module docstring)."""
    participants = [p for p in matching_loader.event_participants(event.id)
                    if p.name != DISTRIBUTOR_ORGANISATION]  # left to the visitor
    by_registration = {p.registration_id: p for p in participants}
    by_name = {(p.side, p.name): p for p in participants}
    cat = matching_loader.catalogue()
    index = matching_loader.event_index(cat, participants)
    plan: list[_Request] = []
    asked: set[tuple[int, int]] = set()

    def add(producer, distributor, side, match, template) -> None:
        if (producer.registration_id, distributor.registration_id) in asked:
            return
        asked.add((producer.registration_id, distributor.registration_id))
        need, product, _reasons = _best_pair(cat, match)
        plan.append(_Request(producer, distributor, side, match,
                             template.format(need=need, product=product)))

    for distributor in (p for p in participants if p.side == matching.DISTRIBUTOR):
        found = matching.suggestions(
            cat, distributor.organisation_id, matching.DISTRIBUTOR,
            matching.viewer_decisions(distributor.organisation_id, event.id),
            k=MEETINGS_PER_DISTRIBUTOR, event_id=event.id, index=index,
            participants=participants)
        for suggestion in found.suggestions:
            producer = by_registration.get(suggestion.registration_id)
            if producer is not None:
                add(producer, distributor, matching.DISTRIBUTOR, suggestion.match,
                    DISTRIBUTOR_ASKS)
    # Producers nobody asked ask their best suggestion themselves.
    asked_producers = {producer for producer, _d in asked}
    for producer in (p for p in participants if p.side == matching.PRODUCER
                     and p.registration_id not in asked_producers):
        found = matching.suggestions(
            cat, producer.organisation_id, matching.PRODUCER,
            matching.viewer_decisions(producer.organisation_id, event.id), k=1,
            event_id=event.id, index=index, participants=participants)
        for suggestion in found.suggestions:
            distributor = by_registration.get(suggestion.registration_id)
            if distributor is not None:
                add(producer, distributor, matching.PRODUCER, suggestion.match,
                    PRODUCER_ASKS)
    for distributor_name, producer_name, message in FROM_PARTICIPANT_LIST:
        distributor = by_name.get((matching.DISTRIBUTOR, distributor_name))
        producer = by_name.get((matching.PRODUCER, producer_name))
        if distributor is None or producer is None \
                or (producer.registration_id, distributor.registration_id) in asked:
            continue
        asked.add((producer.registration_id, distributor.registration_id))
        plan.append(_Request(producer, distributor, matching.DISTRIBUTOR, None, message,
                             answer=None))
    _choose_answers(cat, plan)
    return plan


def _choose_answers(cat: matching_loader.Catalogue, plan: list[_Request]) -> None:
    """Mark the declined and the pending requests in ``plan`` (the others are accepted).

    The demo producer login's company is left as planned (it accepts what it was suggested),
    and nobody is left without an accepted meeting by a decline or a pending request.
    """
    def accepted(registration_id: int) -> int:
        return sum(1 for r in plan if r.answer == "accept" and registration_id in (
            r.producer.registration_id, r.distributor.registration_id))

    def eligible(request: _Request) -> bool:
        return (request.answer == "accept" and request.side == matching.DISTRIBUTOR
                and request.producer.name != PRODUCER_ORGANISATION
                and accepted(request.producer.registration_id) >= 2
                and accepted(request.distributor.registration_id) >= 2)

    def weakest(candidates: list[_Request]) -> _Request | None:
        # Lowest score; of equal ones the latest request.
        ordered = sorted(enumerate(candidates), key=lambda c: (c[1].score, -c[0]))
        return ordered[0][1] if ordered else None

    incoming: dict[int, int] = {}
    for request in plan:
        if request.side == matching.DISTRIBUTOR:
            key = request.producer.registration_id
            incoming[key] = incoming.get(key, 0) + 1
    busiest = sorted(incoming, key=lambda rid: (-incoming[rid], rid))
    declining: set[int] = set()
    declined = 0
    for producer_id in busiest:
        if declined == DECLINED_REQUESTS:
            break
        request = weakest([r for r in plan if r.producer.registration_id == producer_id
                           and r.distributor.registration_id not in declining
                           and eligible(r)])
        if request is None:
            continue
        _need, _product, reasons = _best_pair(cat, request.match)
        request.answer = "decline"
        request.reason = (DECLINE_OUTSIDE_DELIVERY
                          if any(r.code == "outside_delivery" for r in reasons)
                          else DECLINE_BUSY)
        declining.add(request.distributor.registration_id)
        declined += 1
    waiting = {r.distributor.registration_id for r in plan if r.answer is None}
    for _ in range(OTHER_PENDING_REQUESTS):
        request = weakest([r for r in plan if eligible(r)
                           and r.distributor.registration_id not in waiting])
        if request is not None:
            request.answer = None
            waiting.add(request.distributor.registration_id)


def _seed_meetings(echo: Callable[[str], None]) -> int:
    """Meeting requests, answers and the published schedule of the demo event (module
    docstring), unless the event has meetings or a schedule already or no longer takes
    requests. Returns the number of records created (meetings and time slots)."""
    event = db.session.scalar(sa.select(Event).where(Event.title == EVENT_TITLE))
    if event is None or event.schedule_status != ScheduleStatus.NONE or db.session.scalar(
            sa.select(sa.exists().where(Meeting.event_id == event.id))):
        return 0
    if not meeting_requests.requests_open(event):
        echo("No demo meetings: the demo event no longer takes meeting requests.")
        return 0
    plan = _plan_requests(event)
    if not plan:
        return 0
    organiser_id = db.session.scalar(sa.select(User.id).where(
        User.email == "organiser@example.com"))
    # An organisation's own login acts for it (the demo producer's); the organiser's staff
    # enter the others' requests and answers, as they entered their registrations.
    members: dict[int, int] = {}
    for user_id, organisation_id in db.session.execute(
            sa.select(User.id, User.organisation_id).where(User.organisation_id.in_(
                sorted({p.organisation_id for r in plan for p in (r.producer, r.distributor)})),
                User.active.is_(True)).order_by(User.id)):
        members.setdefault(organisation_id, user_id)

    def acting(participant: matching_loader.Participant) -> int | None:
        return members.get(participant.organisation_id, organiser_id)

    with mail.suppressed():
        meetings = []
        for request in plan:
            asking, asked = ((request.distributor, request.producer)
                             if request.side == matching.DISTRIBUTOR
                             else (request.producer, request.distributor))
            meetings.append(meeting_requests.request_meeting(
                event.id, asking.organisation_id, asked.registration_id, acting(asking),
                request.message))
        for request, meeting in zip(plan, meetings, strict=True):
            asked = (request.producer if request.side == matching.DISTRIBUTOR
                     else request.distributor)
            if request.answer == "accept":
                meeting_requests.accept(meeting.id, asked.organisation_id, acting(asked))
            elif request.answer == "decline":
                meeting_requests.decline(meeting.id, asked.organisation_id, acting(asked),
                                         request.reason)
        generated = scheduling.generate(event.id, organiser_id)
        placed = scheduling.publish(event.id, organiser_id)
    pending = [r for r in plan if r.answer is None]
    echo(f"Demo meetings: {len(plan)} requests ({sum(r.match is not None for r in plan)} "
         f"from the suggestions), {sum(r.answer == 'accept' for r in plan)} accepted, "
         f"{sum(r.answer == 'decline' for r in plan)} declined, {len(pending)} awaiting an "
         f"answer (of {', '.join(sorted({r.producer.name for r in pending}))}); schedule "
         f"published: {placed} meetings in {generated.slots_used} of "
         f"{generated.slot_count} slots (lower bound {generated.lower_bound}).")
    return len(plan) + generated.slot_count


def seed(password: str, echo: Callable[[str], None] = click.echo) -> int:
    """Load the categories, import the Nghệ An producers, add the demo distributors, their
    needs, the demo accounts, the demo event with its registrations, and its meetings and
    published schedule (see the module docstring); say what was done via ``echo``.

    Returns the number of records created. Flushes, does not commit.

    Raises:
        LookupError: reference data the demo relies on is missing (a category code, or the
            Pù Mát company in the producers file).
        matchmaker.imports.parsing.FileError: the shipped producers file cannot be read.
    """
    report = load_categories()
    created = sum(c["added"] for c in report.counts.values())
    if created:
        echo(f"Categories: {report}")
    result = import_producers(PRODUCERS_FILE.read_bytes(), PRODUCERS_FILE.name,
                              default_province=NGHE_AN)
    if result.changed:
        echo(f"Imported {PRODUCERS_FILE.name}: {result.organisations_created} producers, "
             f"{result.products_created} products, {result.count('skipped')} rows skipped "
             f"(no producer named); {result.reviews_created} possible duplicate to review.")
    created += (result.organisations_created + result.products_created
                + result.reviews_created + (result.import_id is not None))
    created += _seed_distributors(echo)
    created += _seed_accounts(password, echo)
    _drop_placeholders(echo)
    created += _seed_event(echo)
    created += _seed_meetings(echo)
    created += demo_deals.seed_past_event(echo)
    return created
