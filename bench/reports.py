"""Conversion reports at programme scale: the report against one ``SELECT count(*)``.

Builds a fresh database (a temporary SQLite file, or the PostgreSQL database you name), runs
the migrations, loads the OCOP and HS trees, then bulk-loads with Core ``insert()``
executemany (as ``bench/search.py`` does) ten years of history: 10,000 events, 200,000
meetings among their registrations (20 per event, placed meetings in time slots), 100,000
MOUs (5 % between agencies, a tenth outside any event; converted, open, lapsed and cancelled
with reasons; products and categories) and 50,000 supply contracts (most from converted MOUs,
some cancelled or terminated, a tenth without an MOU), on 5,000 producers with 20,000
products and 1,500 distributors. Then, in the same run:

* the baseline: ``SELECT count(*) FROM mous``;
* the conversion report over the whole period (every MOU): the statement alone
  (:func:`matchmaker.reports.queries.conversion_report`) and the page
  (``GET /reports/conversion``, logged in as an organiser: statements, tables, template);
  and the page of one year (a tenth of the MOUs);
* one event's report (the event with most MOUs): the statement, *matched* from the matching
  engine's cached index (its catalogue version and the participants: two statements; the
  one-off build after a catalogue change is timed apart) and the page;
* the programme view (10 years) and the period report's XLSX export.

Large period reports are kept a minute per process (see
:func:`matchmaker.reports.queries.conversion_report`); the timings clear that cache first,
except the one line that shows a page served from it.

    .venv/bin/python bench/reports.py                    # full size, temporary SQLite
    .venv/bin/python bench/reports.py --scale 0.1        # a tenth, quicker
    createdb -h 127.0.0.1 -U postgres mm_reports_bench   # an empty database: it is wiped
    .venv/bin/python bench/reports.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1/mm_reports_bench
    .venv/bin/python bench/reports.py --reuse --database-url … --index   # try an index

``--index`` times the reports again after creating the candidate indexes in
:data:`CANDIDATE_INDEXES` (this script's own experiment: the schema is the migrations').
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.database import bench_database, prepare_database, timed  # noqa: E402
from matchmaker import create_app  # noqa: E402
from matchmaker.auth.models import LoginSession, User  # noqa: E402
from matchmaker.catalogue.models import Category, Product  # noqa: E402
from matchmaker.deals.models import (  # noqa: E402
    Mou,
    SupplyContract,
    mou_categories,
    mou_products,
)
from matchmaker.events.models import Event, Registration  # noqa: E402
from matchmaker.extensions import db  # noqa: E402
from matchmaker.matching import loader  # noqa: E402
from matchmaker.meetings.models import Meeting, TimeSlot  # noqa: E402
from matchmaker.organisations.identity import identity_key  # noqa: E402
from matchmaker.organisations.models import Organisation  # noqa: E402
from matchmaker.reports.queries import (  # noqa: E402
    Scope,
    clear_cache,
    conversion_report,
    matched_participants,
    programme,
)
from matchmaker.text import fold  # noqa: E402

MARKER_TABLE = "matchmaker_reports_bench"
BATCH = 5_000
TARGET_MS = 500

# (OCOP set, HS heading or None, stars weight): kinds of Nghệ An OCOP products.
KINDS = [("I.4.a", "2103"), ("I.5.b", "0902"), ("I.5.a", "0902"), ("I.2.b", "0409"),
         ("I.2.a", "1006"), ("I.1.a", "0805"), ("II.1.a", "2208"), ("IV.1", "4602"),
         ("I.3.c", "2008"), ("III.1", "1302"), ("I.1.b", "0307"), ("I.3.b", "1905"),
         ("IV.2", "5806"), ("I.6", "0901"), ("III.3", "3301"), ("V.1", "0603"),
         ("VI.1", None), ("I.3.d", "1602"), ("II.2.b", "2009"), ("I.4.b", "0904")]
PROVINCES = [40] * 6 + [42, 38, 1, 79, 48, 31, 46]
BUYER_TYPES = ["supermarket", "wholesaler", "exporter", "retailer", "ecommerce", "horeca",
               "canteen", None]
REASONS = ["price", "volume", "certification", "logistics", "payment", "quality",
           "no_response", "other"]
# MOU statuses and their shares; contracts' statuses for converted MOUs.
MOU_STATUSES = [("converted", 40), ("signed", 20), ("negotiating", 15), ("lapsed", 18),
                ("cancelled", 7)]
MEETING_STATUSES = [("held", 55), ("no_show", 5), ("scheduled", 5), ("accepted", 10),
                    ("requested", 10), ("declined", 10), ("cancelled", 5)]
PLACED = {"held", "no_show", "scheduled"}
CANDIDATE_INDEXES = {
    # Counted contracts by MOU, covering value and date: the report's join reads no rows.
    "bench_ix_contracts_mou_status": "supply_contracts (mou_id, status, signed_on, value_vnd)",
    "bench_ix_mous_signed_on": "mous (signed_on)",
}


def candidate_indexes(create: bool) -> None:
    """Create the candidate indexes, or drop them (a reused database may hold them)."""
    conn = db.session.connection()
    for name, target in CANDIDATE_INDEXES.items():
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {target}" if create
                             else f"DROP INDEX IF EXISTS {name}")
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("ANALYZE")
    db.session.commit()
    if conn.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            auto.exec_driver_sql("ANALYZE")


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def _insert(conn, table, rows: list[dict], returning=None):
    out = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        if returning is not None:
            out += [r[0] for r in conn.execute(
                sa.insert(table).returning(returning, sort_by_parameter_order=True), chunk)]
        else:
            conn.execute(sa.insert(table), chunk)
    return out


def _utc(day: date, hour: int = 1) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def load(rng: random.Random, scale: float) -> None:
    """Bulk-load the history (see the module docstring), scaled by ``scale``."""
    n_events, meetings_per_event = int(10_000 * scale), 20
    n_mous, n_contracts = int(100_000 * scale), int(50_000 * scale)
    n_producers, n_distributors = max(50, int(5_000 * scale)), max(20, int(1_500 * scale))
    conn = db.session.connection()
    cats = {(c.scheme, c.code): c.id for c in db.session.scalars(sa.select(Category))}
    started = time.perf_counter()

    def org(i, side):
        name = f"{'HTX Nông sản' if side == 'producer' else 'Công ty TNHH Phân phối'} số {i}"
        return {"name": name, "name_key": fold(name), "identity_key": identity_key(name),
                "side": side, "source": "demo", "province_code": rng.choice(PROVINCES),
                "buyer_type": rng.choice(BUYER_TYPES) if side == "distributor" else None}

    producers = _insert(conn, Organisation, [org(i, "producer") for i in range(n_producers)],
                        Organisation.id)
    distributors = _insert(conn, Organisation,
                           [org(i, "distributor") for i in range(n_distributors)],
                           Organisation.id)
    product_rows, owners = [], []
    for producer in producers:
        for _ in range(4):
            ocop, hs = rng.choice(KINDS)
            name = f"Sản phẩm {ocop} {len(product_rows)}"
            product_rows.append({
                "organisation_id": producer, "name": name, "name_key": fold(name),
                "ocop_category_id": cats[("ocop", ocop)],
                "hs_category_id": cats[("hs", hs)] if hs and rng.random() < 0.7 else None,
                "unit": "kg", "ocop_stars": rng.choice([None, 3, 3, 4, 4, 5]),
                "search_key": fold(name), "name_sort_key": name.encode()})
            owners.append(producer)
    product_ids = _insert(conn, Product, product_rows, Product.id)
    products_of: dict[int, list[tuple[int, int]]] = {}
    for pid, row in zip(product_ids, product_rows, strict=True):
        products_of.setdefault(row["organisation_id"], []).append(pid)
    print(f"  organisations and {len(product_ids):,} products "
          f"({time.perf_counter() - started:.0f} s)", flush=True)

    # Events over 2016-2025, each with 8 producers and 6 distributors and 20 meetings.
    first = date(2016, 1, 10)
    event_days = [first + timedelta(days=rng.randrange(3650)) for _ in range(n_events)]
    event_rows = []
    for i, day in enumerate(event_days):
        start = _utc(day)
        event_rows.append({
            "title": f"Hội nghị kết nối cung cầu số {i}", "title_key": f"hoi nghi so {i}",
            "starts_at": start, "ends_at": start + timedelta(hours=9),
            "registration_opens_at": start - timedelta(days=30),
            "registration_closes_at": start - timedelta(days=1),
            "producer_capacity": 50, "distributor_capacity": 30, "table_count": 20,
            "meeting_minutes": 20, "break_minutes": 5, "status": "finished",
            "published_at": start - timedelta(days=40), "province_code": 40})
    event_ids = _insert(conn, Event, event_rows, Event.id)
    reg_rows, slot_rows = [], []
    for event_id, day in zip(event_ids, event_days, strict=True):
        for side, pool, count in (("producer", producers, 8), ("distributor", distributors, 6)):
            for org_id in rng.sample(pool, count):
                status = rng.choice(["approved"] * 8 + ["checked_in", "pending", "rejected",
                                                        "cancelled"])
                reg_rows.append({
                    "event_id": event_id, "organisation_id": org_id, "side": side,
                    "status": status, "queued_at": _utc(day) - timedelta(days=10),
                    "status_note": "Không đúng ngành hàng" if status == "rejected" else None,
                    "checked_in_at": _utc(day) if status == "checked_in" else None})
        for position in range(meetings_per_event):
            start = _utc(day, 2) + timedelta(minutes=25 * position)
            slot_rows.append({"event_id": event_id, "position": position, "starts_at": start,
                              "ends_at": start + timedelta(minutes=20)})
    reg_ids = _insert(conn, Registration, reg_rows, Registration.id)
    slot_ids = _insert(conn, TimeSlot, slot_rows, TimeSlot.id)
    print(f"  {len(event_ids):,} events, {len(reg_ids):,} registrations "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    meeting_rows = []
    for e, event_id in enumerate(event_ids):
        regs = reg_ids[e * 14:(e + 1) * 14]
        pairs = [(p, d) for p in regs[:8] for d in regs[8:]]
        for position, (p, d) in enumerate(rng.sample(pairs, meetings_per_event)):
            status = weighted(rng, MEETING_STATUSES)
            placed = status in PLACED
            meeting_rows.append({
                "event_id": event_id, "producer_registration_id": p,
                "distributor_registration_id": d, "requested_by_side": "distributor",
                "status": status,
                "time_slot_id": slot_ids[e * meetings_per_event + position] if placed else None,
                "table_number": 1 if placed else None})
    _insert(conn, Meeting, meeting_rows)
    print(f"  {len(meeting_rows):,} meetings ({time.perf_counter() - started:.0f} s)",
          flush=True)

    # MOUs: most at an event (after it), a tenth outside events, 5 % between agencies.
    mou_rows, mou_links, mou_cats = [], [], []
    for _ in range(n_mous):
        at_event = rng.random() < 0.9
        e = rng.randrange(n_events)
        day = (event_days[e] if at_event else first + timedelta(days=rng.randrange(3650))) \
            + timedelta(days=rng.randrange(0, 20))
        status = weighted(rng, MOU_STATUSES)
        closed = status in ("lapsed", "cancelled")
        reason = rng.choice(REASONS) if closed else None
        row = {"signed_on": day, "status": status,
               "event_id": event_ids[e] if at_event else None,
               "estimated_value_vnd": rng.randrange(50, 5_000) * 1_000_000
               if rng.random() < 0.9 else None,
               "close_reason": reason,
               "close_reason_text": "Đối tác đổi kế hoạch" if reason == "other" else None,
               "version": 1}
        if rng.random() < 0.05:
            row.update(kind="agency", agency_a="Sở Công Thương Nghệ An",
                       agency_b="Sở Công Thương Hà Tĩnh", producer_id=None,
                       distributor_id=None)
            if status == "converted":
                row["status"] = "signed"
        else:
            producer = rng.choice(producers)
            row.update(kind="business", producer_id=producer,
                       distributor_id=rng.choice(distributors), agency_a=None, agency_b=None)
        mou_rows.append(row)
    mou_ids = _insert(conn, Mou, mou_rows, Mou.id)
    ocop_groups = [cats[("ocop", c)] for c in ("I.2", "I.4", "II.1", "IV.1", "I.5")]
    for mou_id, row in zip(mou_ids, mou_rows, strict=True):
        if row["kind"] != "business":
            continue
        owned = products_of[row["producer_id"]]
        for pid in rng.sample(owned, rng.choice([0, 1, 1, 1, 2])):
            mou_links.append({"mou_id": mou_id, "product_id": pid})
        if rng.random() < 0.3:
            mou_cats.append({"mou_id": mou_id, "category_id": rng.choice(ocop_groups)})
    _insert(conn, mou_products, mou_links)
    _insert(conn, mou_categories, mou_cats)
    print(f"  {len(mou_ids):,} MOUs ({time.perf_counter() - started:.0f} s)", flush=True)

    # Contracts: one per converted MOU, a second for some, a tenth without an MOU.
    converted = [(mou_id, row) for mou_id, row in zip(mou_ids, mou_rows, strict=True)
                 if row["status"] == "converted"]
    contract_rows = []
    unlinked = n_contracts // 10
    for mou_id, row in converted:
        if len(contract_rows) >= n_contracts - unlinked:
            break
        for second in (False, True):
            if second and (rng.random() > 0.12 or len(contract_rows) >= n_contracts - unlinked):
                break
            status = (rng.choice(["cancelled", "completed", "signed"]) if second else
                      rng.choice(["signed", "delivering", "completed", "completed",
                                  "terminated"]))
            contract_rows.append(_contract(rng, len(contract_rows), row, mou_id, status))
    while len(contract_rows) < n_contracts:
        e = rng.randrange(n_events)
        row = {"producer_id": rng.choice(producers), "distributor_id": rng.choice(distributors),
               "event_id": event_ids[e], "signed_on": event_days[e]}
        contract_rows.append(_contract(rng, len(contract_rows), row, None, "signed"))
    _insert(conn, SupplyContract, contract_rows)
    print(f"  {len(contract_rows):,} contracts ({time.perf_counter() - started:.0f} s)",
          flush=True)
    db.session.commit()


def _contract(rng, i, mou_row, mou_id, status) -> dict:
    return {"mou_id": mou_id, "producer_id": mou_row["producer_id"],
            "distributor_id": mou_row["distributor_id"], "event_id": mou_row["event_id"],
            "contract_number": f"HĐ-{i}", "value_vnd": rng.randrange(20, 4_000) * 1_000_000,
            "signed_on": mou_row["signed_on"] + timedelta(days=rng.randrange(5, 200)),
            "status": status,
            "end_reason": "Ngừng hợp tác" if status in ("terminated", "cancelled") else None,
            "version": 1}


def settle() -> None:
    """Planner statistics, the marker table, then a vacuumed PostgreSQL or a checkpointed
    SQLite write-ahead log (a settled database, not one still holding the load in its WAL)."""
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("ANALYZE")
    conn.exec_driver_sql(f"CREATE TABLE {MARKER_TABLE} (id INTEGER PRIMARY KEY)")
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as raw:
            raw.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    if conn.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            auto.exec_driver_sql("VACUUM ANALYZE")


def organiser_client(app):
    """A test client logged in as a (new) organiser, as ``tests/conftest.py`` does it."""
    user = db.session.scalar(sa.select(User).where(User.email == "bench@example.vn"))
    if user is None:
        user = User(email="bench@example.vn", full_name="Cán bộ đo", role="organiser",
                    locale="vi", active=True, password_hash="!")
        db.session.add(user)
        db.session.flush()
    login = LoginSession(user_id=user.id)
    db.session.add(login)
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{login.id}"
        session["_fresh"] = True
    return client


def measure(app, repeat: int) -> dict[str, float]:
    baseline = statistics.median(timed(
        lambda: db.session.execute(sa.text("SELECT count(*) FROM mous")).scalar(), repeat * 3))
    everything = Scope(start=date(2000, 1, 1), end=date(2099, 12, 31))
    busiest = db.session.execute(
        sa.select(Mou.event_id, sa.func.count()).where(Mou.event_id.is_not(None))
        .group_by(Mou.event_id).order_by(sa.func.count().desc()).limit(1)).first()
    event = Scope(event_id=busiest[0])
    started = time.perf_counter()
    loader.clear_cache()
    loader.event_index(loader.catalogue(), loader.event_participants(event.event_id))
    build = (time.perf_counter() - started) * 1000
    db.session.rollback()
    client = organiser_client(app)
    year = date.today().year

    def page(url, fresh=True):
        def get():
            if fresh:
                clear_cache()  # computed, not the minute's cached report of large periods
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return get

    def period_statement():
        clear_cache()
        conversion_report(everything)

    cases = [
        ("period report, every MOU: statement", period_statement),
        ("period report, every MOU: page",
         page("/reports/conversion?from=2000-01-01&to=2099-12-31")),
        ("  the same page within the minute (kept)",
         page("/reports/conversion?from=2000-01-01&to=2099-12-31", fresh=False)),
        ("period report, one year (2020): page",
         page("/reports/conversion?from=2020-01-01&to=2020-12-31")),
        (f"event report ({busiest[1]} MOUs): statement",
         lambda: conversion_report(event, with_matched=False)),
        ("event report: matched (cached engine index)",
         lambda: matched_participants(event.event_id)),
        ("event report: page", page(f"/reports/conversion?event={event.event_id}")),
        ("programme, 10 years: statement", lambda: programme(year - 9, year)),
        ("programme, 10 years: page",
         page(f"/reports/programme?from_year={year - 9}&to_year={year}")),
        ("period report: XLSX of every table",
         page("/reports/conversion.xlsx?from=2000-01-01&to=2099-12-31")),
    ]
    print(f"\nbaseline SELECT count(*) FROM mous: median {baseline:.2f} ms")
    print(f"matching catalogue + event index, built once per catalogue change: {build:.0f} ms\n")
    print(f"{'':<44} {'median ms':>10} {'p95 ms':>10} {'× count(*)':>11}")
    results = {}
    for label, fn in cases:
        times = timed(fn, repeat)
        median = statistics.median(times)
        p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
        results[label] = median
        print(f"{label:<44} {median:>10.1f} {p95:>10.1f} {median / baseline:>10.0f}x",
              flush=True)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a dedicated PostgreSQL database (wiped) or a "
                        "new SQLite file; default a temporary SQLite file")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the full size (default 1: 10,000 events)")
    parser.add_argument("--reuse", action="store_true",
                        help="time a database this script already filled")
    parser.add_argument("--index", action="store_true",
                        help="also time with the candidate indexes (created here)")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per case")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    args = parser.parse_args(argv)

    with bench_database(args.database_url, "reports", args.keep) as url:
        return run(args, url)


def run(args, url: str) -> int:
    """Build (or reuse) the history in ``url`` and print the timings."""
    built = prepare_database(url, MARKER_TABLE, "createdb mm_reports_bench",
                             lambda _conn, tables: args.reuse and MARKER_TABLE in tables)
    os.environ.setdefault("MATCHMAKER_ENV", "development")
    app = create_app("development", SQLALCHEMY_DATABASE_URI=url)
    rng = random.Random(args.seed)
    with app.app_context():
        engine = db.engine
        print(f"database: {engine.dialect.name} {engine.dialect.server_version_info or ''} "
              f"({url.split('@')[-1]})")
        if built:
            print("reusing the database built before")
        else:
            started = time.perf_counter()
            upgrade(revision="heads")
            from matchmaker.catalogue.taxonomy import load_categories
            load_categories()
            db.session.commit()
            load(rng, args.scale)
            settle()
            print(f"built in {time.perf_counter() - started:.0f} s")
        counts = {name: db.session.scalar(sa.text(f"SELECT count(*) FROM {name}"))
                  for name in ("events", "meetings", "mous", "supply_contracts")}
        print(", ".join(f"{n:,} {name}" for name, n in counts.items()))
        if built:
            candidate_indexes(create=False)
        results = measure(app, args.repeat)
        worst = max(v for k, v in results.items() if "page" in k)
        verdict = "meets" if worst < TARGET_MS else "MISSES"
        print(f"target: every report page under {TARGET_MS} ms -> {verdict} it "
              f"(slowest page {worst:.0f} ms)")
        if args.index:
            candidate_indexes(create=True)
            print("\nwith the candidate indexes:")
            with_index = measure(app, args.repeat)
            for label, before in results.items():
                print(f"  {label:<44} {before:>8.1f} -> {with_index[label]:>8.1f} ms")
        db.session.remove()
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
