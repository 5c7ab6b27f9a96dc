"""Conversion reports: every figure against a hand-computed fixture, on the page, in the API
and in the XLSX/CSV exports (which must match the page), the programme view, the Vietnam
calendar for periods, parameters and statement budgets.

The fixture (``deals``), all at event E1 (2025-03-05, finished) unless said otherwise:

* organisations: A producer (province 40, products P1 I.4.a/HS 2103 4★ and P2 IV.1/HS 4602
  5★), E producer (province 42, P3 II.1.a, no HS, no stars); B distributor (supermarket, a
  need under OCOP I.4), C (exporter), D (no buyer type);
* registrations: A, B, C, D approved, E pending → registered 5, approved 4; only A's P1 meets
  B's need → matched 2 (A, B);
* meetings: A–B held, A–C accepted, A–D declined → requested 3, accepted 2, held 1;
* MOUs (business, at E1): M1 A–B 2025-03-10 1,000M [P1, P2] with two contracts K1
  2025-04-09 300M and K2 2025-05-09 500M (converted, 30 days); M2 A–C 2025-03-10 400M [P1]
  whose only contract K3 (100M) was cancelled → open again; M3 E–B 2025-03-11 200M, category
  I.2, lapsed (price); M4 A–D 2025-03-12 no value, negotiating; M5 E–C 2025-03-12 300M [P3],
  contract K4 2025-06-10 250M terminated (counts: converted, 90 days); M7 E–D 2025-04-01
  100M cancelled (volume); an agency MOU M6 at E1; a contract without an MOU K5 A–B at E1
  2025-05-01 50M;
* outside E1: M8 A–B 2025-07-01 600M open (no event); M9 A–C 2024-11-05 100M with K6
  2025-01-15 90M (converted, 71 days).

Hand-computed for E1: 6 MOUs, 2 converted (33.3 %), 2 open, 1 lapsed, 1 cancelled; MOU value
2,000M, contract value 1,050M (52.5 %); median (30, 90) = 60 days; funnel 5, 4, 2, 3, 2, 1,
6, 4 (K1, K2, K4, K5); contracts 1,100M; 1 without an MOU (50M); 1 agency MOU.
"""

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

import tests.access  # noqa: F401  (loads the access modules in order)
from matchmaker.deals.services import (
    Parties,
    change_contract_status,
    change_mou_status,
    record_contract,
    record_mou,
)
from matchmaker.events.models import Event, EventStatus, Registration
from matchmaker.extensions import db
from matchmaker.matching import loader
from matchmaker.matching import services as matching
from matchmaker.meetings.models import Meeting, MeetingStatus, TimeSlot
from matchmaker.organisations.models import Side
from matchmaker.reports import exports
from matchmaker.reports.queries import Figures, Scope, conversion_report, programme
from matchmaker.reports.tables import Column, Table, format_cell
from matchmaker.timeutil import utcnow
from tests import factories
from tests.access_events import make_event
from tests.access_needs import make_need
from tests.access_products import category, make_product
from tests.conftest import client_for

M = 1_000_000  # a million đồng
E1_START = datetime(2025, 3, 5, tzinfo=UTC)


def ident(obj) -> int:
    return sa.inspect(obj).identity[0]


def _registration(event_id, org_id, side, status):
    registration = Registration(event_id=event_id, organisation_id=org_id, side=side,
                                status=status, queued_at=utcnow(),
                                checked_in_at=utcnow() if status == "checked_in" else None)
    db.session.add(registration)
    db.session.flush()
    return registration.id


def _meeting(event_id, producer_reg, distributor_reg, status, slot_id=None, table=None):
    meeting = Meeting(event_id=event_id, producer_registration_id=producer_reg,
                      distributor_registration_id=distributor_reg, requested_by_side="producer",
                      status=status, time_slot_id=slot_id, table_number=table)
    db.session.add(meeting)
    db.session.flush()
    return meeting.id


def _event(title, start: datetime, **values):
    return make_event(title, status=EventStatus.FINISHED, registration_open=False,
                      starts_in=start - utcnow(), **values)


@pytest.fixture
def deals(users):
    """The fixture of the module docstring; returns ids by name."""
    org_a = users["member_a"].organisation
    org_b = users["member_b"].organisation
    org_a.province_code, org_b.buyer_type = 40, "supermarket"
    org_c = factories.make_organisation("Công ty CP Xuất khẩu Mây tre Việt", Side.DISTRIBUTOR)
    org_c.buyer_type = "exporter"
    org_d = factories.make_organisation("Cửa hàng Đặc sản Xứ Nghệ", Side.DISTRIBUTOR)
    org_e = factories.make_organisation("HTX Nông nghiệp Thanh Chương", Side.PRODUCER)
    org_e.province_code = 42
    db.session.commit()
    ids = {name: ident(org) for name, org in
           (("A", org_a), ("B", org_b), ("C", org_c), ("D", org_d), ("E", org_e))}
    p1 = make_product(org_a, "Nước mắm Cửa Lò CL28", ocop_stars=4)
    p2 = make_product(org_a, "Giỏ mây tre đan", ocop_category_id=category("ocop", "IV.1").id,
                      hs_category_id=category("hs", "4602").id, ocop_stars=5, unit="chiếc")
    p3 = make_product(org_e, "Rượu men lá", ocop_category_id=category("ocop", "II.1.a").id,
                      hs_category_id=None, unit="chai")
    make_need(org_b, "Gia vị cho chuỗi siêu thị", ocop=("I.4",), hs=(), provinces=(40,),
              min_ocop_stars=3)
    ids.update(P1=ident(p1), P2=ident(p2), P3=ident(p3))

    event = _event("Hội nghị kết nối cung cầu OCOP Nghệ An 2025", E1_START)
    e1 = ids["E1"] = ident(event)
    reg = {name: _registration(e1, ids[name], side, status) for name, side, status in (
        ("A", "producer", "approved"), ("B", "distributor", "checked_in"),
        ("C", "distributor", "approved"), ("D", "distributor", "approved"),
        ("E", "producer", "pending"))}
    slot = TimeSlot(event_id=e1, position=0, starts_at=E1_START + timedelta(hours=2),
                    ends_at=E1_START + timedelta(hours=2, minutes=20))
    db.session.add(slot)
    db.session.flush()
    m_ab = _meeting(e1, reg["A"], reg["B"], MeetingStatus.HELD, slot.id, 1)
    _meeting(e1, reg["A"], reg["C"], MeetingStatus.ACCEPTED)
    _meeting(e1, reg["A"], reg["D"], MeetingStatus.DECLINED)
    db.session.commit()

    by = ident(users["organiser"])

    def mou(producer, distributor, signed, value, products=(), categories=(), event=e1,
            meeting=None):
        found = record_mou(signed_on=signed, by_user_id=by, estimated_value_vnd=value,
                           parties=Parties(ids[producer], ids[distributor], event, meeting),
                           product_ids=[ids[p] for p in products],
                           category_ids=[category("ocop", c).id for c in categories])
        db.session.commit()
        return found

    def contract(number, signed, value, mou=None, parties=None):
        # record_contract() checks the event with session.get() after linking the contract
        # to the MOU, outside its no_autoflush block: an expired Event there would autoflush
        # the half-built contract (SAWarning). Loading the event first avoids it (reported).
        db.session.get(Event, e1).title  # noqa: B018
        found = record_contract(contract_number=number, signed_on=signed, value_vnd=value,
                                by_user_id=by, mou=mou, parties=parties)
        db.session.commit()
        return found

    m1 = mou("A", "B", date(2025, 3, 10), 1000 * M, ("P1", "P2"), meeting=m_ab)
    contract("HĐ-01/2025", date(2025, 4, 9), 300 * M, m1)
    contract("HĐ-02/2025", date(2025, 5, 9), 500 * M, m1)
    m2 = mou("A", "C", date(2025, 3, 10), 400 * M, ("P1",))
    k3 = contract("HĐ-03/2025", date(2025, 3, 20), 100 * M, m2)
    change_contract_status(k3, "cancelled", by, reason="Nhập nhầm, hợp đồng chưa ký")
    db.session.commit()
    m3 = mou("E", "B", date(2025, 3, 11), 200 * M, categories=("I.2",))
    change_mou_status(m3, "lapsed", by, reason="price")
    m4 = mou("A", "D", date(2025, 3, 12), None)
    change_mou_status(m4, "negotiating", by)
    m5 = mou("E", "C", date(2025, 3, 12), 300 * M, ("P3",))
    k4 = contract("HĐ-04/2025", date(2025, 6, 10), 250 * M, m5)
    change_contract_status(k4, "terminated", by, reason="Bên mua ngừng nhập")
    m7 = mou("E", "D", date(2025, 4, 1), 100 * M)
    change_mou_status(m7, "cancelled", by, reason="volume")
    db.session.commit()
    record_mou(signed_on=date(2025, 3, 10), by_user_id=by, event_id=e1,
               agencies=("Sở Công Thương Nghệ An", "Sở Công Thương TP Hồ Chí Minh"))
    db.session.commit()
    contract("HĐ-05/2025", date(2025, 5, 1), 50 * M,
             parties=Parties(ids["A"], ids["B"], e1))
    mou("A", "B", date(2025, 7, 1), 600 * M, event=None)
    m9 = mou("A", "C", date(2024, 11, 5), 100 * M, event=None)
    contract("HĐ-06/2025", date(2025, 1, 15), 90 * M, m9)
    statuses = dict(db.session.execute(sa.text("SELECT id, status FROM mous")).all())
    assert sorted(statuses.values()).count("converted") == 3  # M1, M5, M9: the services agree
    ids.update(M1=ident(m1), M2=ident(m2))
    return ids


def warm(event_id: int) -> None:
    """Build the matching engine's cached catalogue and event index (as pages find them)."""
    db.session.rollback()
    loader.event_index(loader.catalogue(), loader.event_participants(event_id))
    db.session.rollback()


def figures(mous, converted, open_, lapsed, cancelled, mou_value, contract_value):
    return Figures(mous, converted, open_, lapsed, cancelled, mou_value * M, contract_value * M)


# --- the figures --------------------------------------------------------------------------

def test_the_event_report_has_the_hand_computed_figures(deals):
    report = conversion_report(Scope(event_id=deals["E1"]))
    assert report.totals == figures(6, 2, 2, 1, 1, 2000, 1050)
    assert round(report.totals.conversion_rate, 4) == 0.3333
    assert report.totals.value_conversion_rate == 0.525
    assert report.median_days == 60
    assert report.funnel == {"registered": 5, "approved": 4, "matched": 2, "requested": 3,
                             "accepted": 2, "held": 1, "mous": 6, "contracts": 4}
    assert (report.contracts, report.contract_value_all_vnd) == (4, 1100 * M)
    assert (report.unlinked_contracts, report.unlinked_value_vnd) == (1, 50 * M)
    assert report.agency_mous == 1
    assert [(r.reason, r.lapsed, r.cancelled, r.value_vnd) for r in report.reasons] == [
        ("price", 1, 0, 200 * M), ("volume", 0, 1, 100 * M)]
    assert report.by_status["converted"] == figures(2, 2, 0, 0, 0, 1300, 1050)
    assert report.by_status["signed"] == figures(1, 0, 1, 0, 0, 400, 0)  # M2, reopened
    assert report.by_status["negotiating"] == figures(1, 0, 1, 0, 0, 0, 0)

    def rows(found):
        return [(r.key, r.figures) for r in found]

    # M1 covers OCOP groups I and IV (P1, P2): counted fully in both.
    assert rows(report.by_ocop) == [
        ("ocop/I", figures(3, 1, 1, 1, 0, 1600, 800)),  # M1, M2, M3 (category I.2)
        ("ocop/IV", figures(1, 1, 0, 0, 0, 1000, 800)),  # M1 (most MOUs first, then value)
        ("ocop/II", figures(1, 1, 0, 0, 0, 300, 250)),  # M5
        (None, figures(2, 0, 1, 0, 1, 100, 0))]  # M4, M7
    assert report.by_ocop[0].names == ("Sản phẩm thực phẩm", "Food products")
    assert rows(report.by_hs) == [
        ("hs/IV/21", figures(2, 1, 1, 0, 0, 1400, 800)),  # M1, M2 (P1: 2103)
        ("hs/IX/46", figures(1, 1, 0, 0, 0, 1000, 800)),  # M1 (P2: 4602)
        (None, figures(4, 1, 1, 1, 1, 600, 250))]  # M3, M4, M5, M7
    assert rows(report.by_province) == [
        ("40", figures(3, 1, 2, 0, 0, 1400, 800)),  # A: M1, M2, M4
        ("42", figures(3, 1, 0, 1, 1, 600, 250))]  # E: M3, M5, M7
    assert rows(report.by_buyer_type) == [
        ("supermarket", figures(2, 1, 0, 1, 0, 1200, 800)),  # B: M1, M3
        ("exporter", figures(2, 1, 1, 0, 0, 700, 250)),  # C: M2, M5
        (None, figures(2, 0, 1, 0, 1, 100, 0))]  # D: M4, M7
    assert rows(report.by_stars) == [
        ("5", figures(1, 1, 0, 0, 0, 1000, 800)),  # M1: P1 4★, P2 5★ → 5
        ("4", figures(1, 0, 1, 0, 0, 400, 0)),  # M2
        (None, figures(4, 1, 1, 1, 1, 600, 250))]  # M3, M4, M7 no products; M5 unrated
    assert rows(report.over_time) == [
        ("2025-03", figures(5, 2, 2, 1, 0, 1900, 1050)),
        ("2025-04", figures(1, 0, 0, 0, 1, 100, 0))]
    assert report.granularity == "month"


def test_the_period_report_takes_mous_signed_in_it_wherever_they_came_from(deals):
    report = conversion_report(Scope(start=date(2025, 1, 1), end=date(2025, 12, 31)))
    # E1's six and M8 (no event); M9 was signed in 2024.
    assert report.totals == figures(7, 2, 3, 1, 1, 2600, 1050)
    assert round(report.totals.conversion_rate * 100, 1) == 28.6
    assert round(report.totals.value_conversion_rate * 100, 1) == 40.4
    assert report.median_days == 60
    # Matched is left out of periods; contracts: K1, K2, K4, K5 and K6 (signed in 2025).
    assert report.funnel == {"registered": 5, "approved": 4, "matched": None, "requested": 3,
                             "accepted": 2, "held": 1, "mous": 7, "contracts": 5}
    assert (report.contracts, report.contract_value_all_vnd) == (5, 1190 * M)
    assert (report.unlinked_contracts, report.agency_mous, report.events) == (1, 1, 1)
    assert [r.key for r in report.over_time] == [f"2025-{m:02d}" for m in range(3, 8)]
    assert report.over_time[2].figures == Figures()  # May: a gap filled with zeros


def test_the_median_of_an_odd_count_is_the_middle_value(deals):
    # 2024-2025: M9 (71 days), M1 (30), M5 (90) → 71.
    report = conversion_report(Scope(start=date(2024, 1, 1), end=date(2025, 12, 31)))
    assert report.totals.converted == 3 and report.median_days == 71


def test_long_periods_go_by_quarter(deals):
    report = conversion_report(Scope(start=date(2022, 1, 1), end=date(2025, 12, 31)))
    # 2024-11 … 2025-07 is nine months: still by month.
    assert report.granularity == "month"
    mou_id = deals["M2"]
    db.session.execute(sa.text("UPDATE mous SET signed_on = :d WHERE id = :id"),
                       {"d": date(2022, 2, 1), "id": mou_id})
    db.session.commit()
    report = conversion_report(Scope(start=date(2022, 1, 1), end=date(2025, 12, 31)))
    assert report.granularity == "quarter"
    assert report.over_time[0].key == "2022-Q1" and report.over_time[-1].key == "2025-Q3"
    assert sum(r.figures.mous for r in report.over_time) == report.totals.mous == 8


def test_an_organisers_exclusion_unmatches_the_pair(deals):
    participants = loader.event_participants(deals["E1"])
    matching.exclude_pair(deals["E1"], participants, deals["A"], deals["B"], "competitor",
                          None, None)
    db.session.commit()
    assert conversion_report(Scope(event_id=deals["E1"])).funnel["matched"] == 0


def test_an_empty_period_has_zeros_and_no_rates(app_ctx):
    report = conversion_report(Scope(start=date(2020, 1, 1), end=date(2020, 12, 31)))
    assert report.totals == Figures() and report.totals.conversion_rate is None
    assert report.median_days is None and report.over_time == []
    assert set(report.funnel.values()) == {0, None}


def test_periods_follow_the_vietnam_calendar(deals, users):
    # 18:00 UTC on 31 Dec 2024 is 01:00 on 1 Jan 2025 in Vietnam.
    start = datetime(2024, 12, 31, 18, tzinfo=UTC)
    event = _event("Hội chợ Xuân 2025", start, starts_at=start,
                   ends_at=start + timedelta(hours=10))
    _registration(ident(event), deals["C"], "distributor", "approved")
    db.session.commit()
    in_2025 = conversion_report(Scope(start=date(2025, 1, 1), end=date(2025, 1, 1)))
    in_2024 = conversion_report(Scope(start=date(2024, 12, 31), end=date(2024, 12, 31)))
    assert (in_2025.events, in_2025.funnel["registered"]) == (1, 1)
    assert (in_2024.events, in_2024.funnel["registered"]) == (0, 0)
    view = programme(2024, 2025)
    assert [y.events for y in view.years] == [0, 2]


def test_the_programme_counts_each_year(deals):
    view = programme(2024, 2025)
    y2024, y2025 = view.years
    assert (y2024.events, y2024.figures, y2024.contracts, y2024.agency_mous) == (
        0, figures(1, 1, 0, 0, 0, 100, 90), 0, 0)
    assert (y2025.events, y2025.figures, y2025.contracts, y2025.contract_value_vnd,
            y2025.agency_mous) == (1, figures(7, 2, 3, 1, 1, 2600, 1050), 5, 1190 * M, 1)
    assert (view.total.figures.mous, view.total.contracts, view.total.contract_value_vnd) \
        == (8, 5, 1190 * M)


# --- the page, the API and the exports agree ---------------------------------------------

class _Tables(HTMLParser):
    """The text of every ``<table data-testid=…>`` cell, by table id: rows of strings."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = None
        self._cell = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("data-testid", "").startswith("table-"):
            self._table = attrs["data-testid"][6:]
            self.tables[self._table] = []
        elif self._table and tag == "thead":
            self._in_head = True
        elif self._table and tag == "tr" and not self._in_head:
            self.tables[self._table].append([])
        elif self._table and tag in ("td", "th") and not self._in_head:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def test_the_event_page_shows_the_figures(app, deals, users):
    warm(deals["E1"])
    client = client_for(app, users["organiser"])
    html = client.get(f"/reports/conversion?event={deals['E1']}").get_data(as_text=True)
    tables = page_tables(html)
    summary = dict(tables["summary"])
    assert summary["MOUs signed (business)"] == "6"
    assert summary["Converted to a supply contract"] == "2"
    assert summary["Conversion rate (%)"] == "33.3%"
    assert summary["Open (signed or negotiating)"] == "2"
    assert (summary["Lapsed"], summary["Cancelled"]) == ("1", "1")
    assert summary["MOU estimated value (₫)"] == "₫2,000,000,000"
    assert summary["Value of these MOUs' contracts (₫)"] == "₫1,050,000,000"
    assert summary["Value conversion (%)"] == "52.5%"
    assert summary["Median days from MOU to first contract"] == "60"
    assert summary["Supply contracts (with or without an MOU)"] == "4"
    assert summary["Value of these contracts (₫)"] == "₫1,100,000,000"
    assert summary["Contracts without an MOU"] == "1"
    assert summary["Value of contracts without an MOU (₫)"] == "₫50,000,000"
    assert summary["Agency MOUs (counted apart)"] == "1"
    assert tables["funnel"] == [
        ["Registered organisations", "5", "—"], ["Approved participants", "4", "80.0%"],
        ["Matched participants (at least one suggestion)", "2", "50.0%"],
        ["Meetings requested", "3", "150.0%"],
        ["Meetings accepted", "2", "66.7%"], ["Meetings held", "1", "50.0%"],
        ["MOUs signed", "6", "600.0%"], ["Supply contracts", "4", "66.7%"]]
    assert tables["outcomes"] == [
        ["Converted to a supply contract", "2", "33.3%", "₫1,300,000,000", "₫1,050,000,000"],
        ["Open (signed or negotiating)", "2", "33.3%", "₫400,000,000", "₫0"],
        ["Lapsed", "1", "16.7%", "₫200,000,000", "₫0"],
        ["Cancelled", "1", "16.7%", "₫100,000,000", "₫0"],
        ["Total", "6", "100.0%", "₫2,000,000,000", "₫1,050,000,000"]]
    assert tables["reasons"] == [["Price", "1", "0", "1", "₫200,000,000"],
                                 ["Volume / supply capacity", "0", "1", "1", "₫100,000,000"]]
    assert tables["ocop"][0] == ["I · Food products", "3", "1", "1", "1", "0", "33.3%",
                                 "₫1,600,000,000", "₫800,000,000", "50.0%"]
    assert tables["ocop"][-1][:2] == ["No OCOP category", "2"]
    assert [row[0] for row in tables["province"]] == ["Nghệ An", "Hà Tĩnh"]
    assert [row[0] for row in tables["buyer_type"]] == ["Supermarket chain", "Exporter",
                                                         "Buyer type not given"]
    assert [row[:3] for row in tables["stars"]] == [["5 stars", "1", "1"], ["4 stars", "1", "0"],
                                                   ["No OCOP-rated product", "4", "1"]]
    assert tables["over_time"] == [
        ["03/2025", "5", "2", "40.0%", "₫1,900,000,000", "₫1,050,000,000"],
        ["04/2025", "1", "0", "0.0%", "₫100,000,000", "₫0"]]
    # Key figures, the note on agency MOUs, and the charts' data for reports.js.
    assert 'data-testid="kf-median">60<' in html
    assert "1 department-to-department (agency) MOU is counted apart" in html
    assert 'type="application/json" id="report-data"' in html
    assert "chart.js-4.6.1/chart.umd.min.js" in html and "<script>" not in html


def test_the_period_page_explains_matched_and_counts_events(app, deals, users):
    client = client_for(app, users["organiser"])
    html = client.get("/reports/conversion?from=2025-01-01&to=31/12/2025").get_data(
        as_text=True)
    tables = page_tables(html)
    assert tables["funnel"][2] == ["Matched participants (at least one suggestion)", "—", "—"]
    assert tables["funnel"][3] == ["Meetings requested", "3", "75.0%"]  # of approved
    assert dict(tables["summary"])["Events in the period"] == "1"
    assert "MOUs signed from 01/01/2025 to 31/12/2025" in html
    assert "Matched is left out of a period" in html


def test_the_api_gives_the_page_figures(app, deals, users):
    warm(deals["E1"])
    client = client_for(app, users["organiser"])
    data = client.get(f"/api/v1/reports/conversion?event={deals['E1']}").get_json()
    assert data["scope"]["event"]["id"] == deals["E1"]
    assert {k: data[k] for k in ("mous_signed", "mous_converted", "mous_open", "mous_lapsed",
                                 "mous_cancelled", "mou_value_vnd", "contract_value_vnd",
                                 "median_days_to_conversion", "agency_mous")} == {
        "mous_signed": 6, "mous_converted": 2, "mous_open": 2, "mous_lapsed": 1,
        "mous_cancelled": 1, "mou_value_vnd": 2000 * M, "contract_value_vnd": 1050 * M,
        "median_days_to_conversion": 60, "agency_mous": 1}
    assert data["conversion_rate"] == 0.3333 and data["value_conversion_rate"] == 0.525
    assert data["contracts"] == {"count": 4, "value_vnd": 1100 * M,
                                 "without_mou": {"count": 1, "value_vnd": 50 * M}}
    assert [(s["step"], s["count"]) for s in data["funnel"]] == [
        ("registered", 5), ("approved", 4), ("matched", 2), ("requested", 3), ("accepted", 2),
        ("held", 1), ("mous", 6), ("contracts", 4)]
    assert data["closed_reasons"][0] == {"reason": "price", "lapsed": 1, "cancelled": 0,
                                         "mou_value_vnd": 200 * M}
    assert data["breakdowns"]["province"][0]["key"] == 40
    assert data["breakdowns"]["ocop_group"][0]["key"] == "ocop/I"
    assert data["over_time"]["items"][0]["period"] == "2025-03"

    # The same figures as the page, cell by cell.
    html = client.get(f"/reports/conversion?event={deals['E1']}").get_data(as_text=True)
    summary = dict(page_tables(html)["summary"])
    assert summary["MOUs signed (business)"] == format_cell(data["mous_signed"], "count", "en")
    assert summary["Conversion rate (%)"] == format_cell(
        round(data["conversion_rate"] * 100, 1), "percent", "en")
    assert summary["MOU estimated value (₫)"] == format_cell(data["mou_value_vnd"], "vnd", "en")
    assert summary["Median days from MOU to first contract"] == format_cell(
        data["median_days_to_conversion"], "days", "en")
    funnel = page_tables(html)["funnel"]
    assert [row[1] for row in funnel] == [str(s["count"]) for s in data["funnel"]]

    period = client.get("/api/v1/reports/conversion?from=2025-01-01&to=2025-12-31").get_json()
    assert period["scope"] == {"from": "2025-01-01", "to": "2025-12-31", "events": 1}
    assert period["mous_signed"] == 7 and period["funnel"][2] == {"step": "matched",
                                                                 "count": None}


def test_the_xlsx_and_csv_exports_match_the_page(app, deals, users):
    warm(deals["E1"])
    client = client_for(app, users["organiser"])
    url = f"/reports/conversion?event={deals['E1']}"
    shown = page_tables(client.get(url).get_data(as_text=True))
    response = client.get(f"/reports/conversion.xlsx?event={deals['E1']}")
    assert response.status_code == 200
    assert response.mimetype == exports.XLSX_MIMETYPE
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    names = ["summary", "funnel", "outcomes", "reasons", "over_time", "ocop", "hs", "province",
             "buyer_type", "stars"]
    assert len(workbook.worksheets) == len(names)
    for name, sheet in zip(names, workbook.worksheets, strict=True):
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        header, body = rows[0], rows[1:]
        assert len(body) == len(shown[name]), name
        for got, page_row in zip(body, shown[name], strict=True):
            assert got[0] == page_row[0]
            for value, text in zip(got[1:], page_row[1:], strict=True):
                assert _matches(value, text), (name, got, page_row)
        # Every table's CSV holds the same cells.
        csv_response = client.get(f"/reports/conversion.csv?event={deals['E1']}&table={name}")
        assert csv_response.data.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(csv_response.data.decode("utf-8-sig"))))
        assert lines[0] == [str(h) for h in header]
        for line, page_row in zip(lines[1:], shown[name], strict=True):
            assert line[0] == page_row[0]
            for value, text in zip(line[1:], page_row[1:], strict=True):
                assert _matches(_number(value), text), (name, line, page_row)
    # Numbers are numbers in the workbook: counts, đồng, percentages.
    summary = workbook.worksheets[0]
    assert summary["B2"].value == 6 and summary["B8"].value == 2000 * M
    assert summary["B4"].value == 33.3
    single = client.get(f"/reports/conversion.xlsx?event={deals['E1']}&table=funnel")
    assert [ws.title for ws in load_workbook(io.BytesIO(single.data)).worksheets] == ["Funnel"]


def _number(text: str):
    if text == "":
        return None
    return float(text) if "." in text else int(text) if re.fullmatch(r"-?\d+", text) else text


def _matches(value, text: str) -> bool:
    """Does an exported cell show as ``text`` on the page (English)?"""
    if value is None:
        return text == "—"
    if isinstance(value, str):
        return value == text
    if text.startswith("₫"):
        return format_cell(int(value), "vnd", "en") == text
    if text.endswith("%"):
        return format_cell(float(value), "percent", "en") == text
    return format_cell(value, "days" if isinstance(value, float) else "count", "en") == text


def test_exports_neutralise_formulas_and_type_text_as_text(app_ctx):
    table = Table("t", "Test", [Column("Name"), Column("Count", "count")],
                  [["=HYPERLINK(\"http://x\")", 3], ["+1", None]])
    body = exports.to_csv(table).decode("utf-8-sig")
    assert body.splitlines()[1].startswith("\"'=HYPERLINK")
    assert body.splitlines()[2] == "'+1,"
    sheet = load_workbook(io.BytesIO(exports.to_xlsx([table]))).active
    assert sheet["A2"].value == "=HYPERLINK(\"http://x\")" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 3


def test_the_programme_page_and_its_exports(app, deals, users):
    client = client_for(app, users["organiser"])
    html = client.get("/reports/programme?from_year=2024&to_year=2025").get_data(as_text=True)
    assert "2024–2025: 8 MOUs, 5 supply contracts, ₫1,190,000,000." in html
    rows = page_tables(html)["programme"]
    assert rows == [
        ["2024", "0", "1", "1", "100.0%", "₫100,000,000", "0", "₫0", "0"],
        ["2025", "1", "7", "2", "28.6%", "₫2,600,000,000", "5", "₫1,190,000,000", "1"],
        ["2024–2025", "1", "8", "3", "37.5%", "₫2,700,000,000", "5", "₫1,190,000,000", "1"]]
    sheet = load_workbook(io.BytesIO(client.get(
        "/reports/programme.xlsx?from_year=2024&to_year=2025").data)).active
    assert [c.value for c in sheet[4]][:4] == ["2024–2025", 1, 8, 3]
    lines = list(csv.reader(io.StringIO(client.get(
        "/reports/programme.csv?from_year=2024&to_year=2025").data.decode("utf-8-sig"))))
    assert lines[3] == ["2024–2025", "1", "8", "3", "37.5", "2700000000", "5", "1190000000",
                        "1"]
    # Bad years: the last five years, with the message.
    page = client.get("/reports/programme?from_year=2025&to_year=2021").get_data(as_text=True)
    assert "The last year must be the first year or later." in page
    assert client.get("/reports/programme.csv?from_year=abc").status_code == 400


# --- parameters and errors ---------------------------------------------------------------

@pytest.mark.parametrize(("query", "message"), [
    ("from=2025-12-31&to=2025-01-01", "The period must end on or after its first day."),
    ("from=31/02/2025&to=2025-03-01", "Enter the first day of the period"),
    ("from=2025-01-01", "Enter the last day of the period"),
    ("event=1&from=2025-01-01&to=2025-02-01", "Choose either an event or a period, not both."),
    ("", "Choose an event or a period."),
    ("event=abc", "This event does not exist."),
])
def test_bad_parameters_show_the_chooser_with_the_message(app, users, query, message):
    client = client_for(app, users["organiser"])
    response = client.get(f"/reports/conversion?{query}")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    api = client.get(f"/api/v1/reports/conversion?{query}")
    assert api.status_code == 400
    assert any(message in text for text in api.get_json()["error"]["fields"].values())


def test_an_unknown_event_is_404(app, users):
    client = client_for(app, users["organiser"])
    assert client.get("/reports/conversion?event=999999").status_code == 404
    assert client.get("/reports/conversion.xlsx?event=999999").status_code == 404
    assert client.get("/api/v1/reports/conversion?event=999999").status_code == 404
    assert client.get("/reports/conversion.csv?from=2025-01-01&to=2025-01-31").status_code \
        == 404  # a CSV names its table
    assert client.get("/reports/conversion.csv?from=2025-01-01&to=2025-01-31&table=nope") \
        .status_code == 404
    assert client.get("/reports/conversion.xlsx?from=2025-02-30&to=2025-01-31").status_code \
        == 400


def test_the_chooser_lists_events_with_their_mous_and_searches(app, deals, users):
    client = client_for(app, users["organiser"])
    html = client.get("/reports/").get_data(as_text=True)
    assert f"/reports/conversion?event={deals['E1']}" in html
    assert re.search(r"Hội nghị kết nối cung cầu OCOP Nghệ An 2025</a></th>.*?"
                     r'<td class="text-end">6</td>', html, re.S)
    assert "OCOP Nghệ An 2025" not in client.get("/reports/?q=hoi+cho").get_data(as_text=True)
    assert "OCOP Nghệ An 2025" in client.get("/reports/?q=nghe+an").get_data(as_text=True)


def test_the_page_is_vietnamese_by_default(app, deals, users):
    client = client_for(app, users["organiser"], lang="vi")
    html = client.get("/reports/conversion?from=2025-01-01&to=2025-12-31").get_data(
        as_text=True)
    summary = dict(page_tables(html)["summary"])
    values = set(summary.values())
    assert "28,6%" in values and "2.600.000.000 ₫" in values  # (NBSP read as a space)


# --- statements --------------------------------------------------------------------------

def test_report_pages_stay_within_five_statements(app, deals, users, count_queries):
    warm(deals["E1"])
    client = client_for(app, users["organiser"])
    event = f"event={deals['E1']}"
    no_jit = 1 if db.engine.dialect.name == "postgresql" else 0  # SET LOCAL jit = off
    for url, most in ((f"/reports/conversion?{event}", 5),
                      (f"/reports/conversion.xlsx?{event}", 5),
                      (f"/api/v1/reports/conversion?{event}", 5),
                      ("/reports/conversion?from=2025-01-01&to=2025-12-31", 2 + no_jit),
                      ("/reports/programme?from_year=2021&to_year=2025", 2 + no_jit),
                      ("/reports/", 2)):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        assert counter.count <= most, (url, counter.statements)


def test_the_openapi_document_describes_the_endpoint(app, deals, users):
    document = json.loads((Path(__file__).parents[1] / "matchmaker" / "api" / "openapi.json")
                          .read_text(encoding="utf-8"))
    operation = document["paths"]["/api/v1/reports/conversion"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["event", "from", "to"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}
    schema = document["components"]["schemas"]["ConversionReport"]
    client = client_for(app, users["organiser"])
    data = client.get("/api/v1/reports/conversion?from=2025-01-01&to=2025-12-31").get_json()
    assert set(schema["required"]) <= set(data)
    assert set(data) <= set(schema["properties"])
    figures = document["components"]["schemas"]["ConversionFigures"]["required"]
    assert set(figures) <= set(data["breakdowns"]["province"][0])


def test_big_period_reports_are_kept_a_minute_and_event_reports_never(
        deals, users, monkeypatch, count_queries):
    from matchmaker.reports import queries

    monkeypatch.setattr(queries, "CACHE_MIN_MOUS", 5)  # the fixture's 7 MOUs are "big"
    queries.clear_cache()
    period = Scope(start=date(2025, 1, 1), end=date(2025, 12, 31))
    event = Scope(event_id=deals["E1"])
    try:
        assert conversion_report(period).totals.mous == 7
        assert conversion_report(event, with_matched=False).totals.mous == 6
        record_mou(signed_on=date(2025, 8, 1), by_user_id=None, event_id=deals["E1"],
                   parties=Parties(deals["A"], deals["B"]), estimated_value_vnd=M)
        db.session.commit()
        with count_queries() as counter:
            assert conversion_report(period).totals.mous == 7  # kept: no statement
        assert counter.count == 0
        assert conversion_report(event, with_matched=False).totals.mous == 7  # afresh
        monkeypatch.setattr(queries, "CACHE_SECONDS", 0)
        assert conversion_report(period).totals.mous == 8
        small = Scope(start=date(2025, 3, 1), end=date(2025, 3, 31))  # 5 MOUs: not kept
        monkeypatch.setattr(queries, "CACHE_SECONDS", 60)
        monkeypatch.setattr(queries, "CACHE_MIN_MOUS", 6)
        assert conversion_report(small).totals.mous == 5
        with count_queries() as counter:
            conversion_report(small)
        assert counter.count == (2 if db.engine.dialect.name == "postgresql" else 1)
    finally:
        queries.clear_cache()
