"""Access-matrix rows for the conversion reports: organisers and admins only.

World: ``rp_event`` (finished) where organisation A signed an MOU with B, converted by a
contract, so every report has figures to show. Members of any organisation — A and B, the
MOU's own parties, included — get 403 on the pages and exports; anonymous visitors are sent
to log in. The JSON endpoint answers 401 without a session and 403 to members.

The event-report URLs warm the matching engine's caches first (*matched* reads its cached
event index, see :mod:`tests.access_matching`), so the page budgets measure the report as it
runs once the platform is up.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from matchmaker.deals.services import Parties, record_contract, record_mou
from matchmaker.events.models import EventStatus
from matchmaker.extensions import db
from tests.access import Case, staff_only
from tests.access_events import make_event
from tests.access_matching import warm

API = {"anon": 401, "member_a": 403, "member_b": 403, "organiser": 200, "admin": 200}


def setup(world: dict) -> None:
    db.session.rollback()
    event = make_event("Hội nghị kết nối cung cầu Nghệ An 2025", status=EventStatus.FINISHED,
                       starts_in=timedelta(days=-60), registration_open=False)
    event_id = world["rp_event_id"] = sa.inspect(event).identity[0]
    producer_id, distributor_id = (sa.inspect(world[k]).identity[0] for k in ("org_a", "org_b"))
    organiser_id = sa.inspect(world["organiser"]).identity[0]
    mou = record_mou(signed_on=date(2025, 6, 12), by_user_id=organiser_id,
                     parties=Parties(producer_id, distributor_id, event_id),
                     estimated_value_vnd=1_500_000_000)
    db.session.commit()
    event.title  # noqa: B018  (loaded: record_contract looks the event up after linking)
    record_contract(contract_number="HĐ-01/2025", signed_on=date(2025, 7, 1),
                    value_vnd=600_000_000, by_user_id=organiser_id, mou=mou)
    db.session.commit()


def _event_url(suffix: str = "", **args):
    def url(world: dict) -> str:
        warm(world["rp_event_id"])
        extra = "".join(f"&{key}={value}" for key, value in args.items())
        return f"/reports/conversion{suffix}?event={world['rp_event_id']}{extra}"
    return url


def _api_url(world: dict) -> str:
    warm(world["rp_event_id"])
    return f"/api/v1/reports/conversion?event={world['rp_event_id']}"


PERIOD = "from=2025-01-01&to=2025-12-31"
EXPORT = "/reports/conversion.<any(xlsx, csv):fmt>"
PROGRAMME_EXPORT = "/reports/programme.<any(xlsx, csv):fmt>"

CASES = [
    Case("GET", "/reports/", "/reports/", staff_only()),
    Case("GET", "/reports/", "/reports/?q=nghe+an&page=2", staff_only()),
    Case("GET", "/reports/conversion", _event_url(), staff_only()),
    Case("GET", "/reports/conversion", f"/reports/conversion?{PERIOD}", staff_only()),
    # Bad parameters: the chooser again, with the message.
    Case("GET", "/reports/conversion", "/reports/conversion?from=2025-12-31&to=2025-01-01",
         staff_only()),
    Case("GET", "/reports/conversion", "/reports/conversion?event=999999",
         staff_only(404)),
    Case("GET", EXPORT, _event_url(".xlsx"), staff_only()),
    Case("GET", EXPORT, _event_url(".csv", table="funnel"), staff_only()),
    Case("GET", EXPORT, f"/reports/conversion.csv?{PERIOD}&table=ocop", staff_only()),
    Case("GET", EXPORT, f"/reports/conversion.csv?{PERIOD}", staff_only(404)),
    Case("GET", "/reports/programme", "/reports/programme?from_year=2021&to_year=2025",
         staff_only()),
    Case("GET", PROGRAMME_EXPORT, "/reports/programme.xlsx?from_year=2021&to_year=2025",
         staff_only()),
    Case("GET", PROGRAMME_EXPORT, "/reports/programme.csv", staff_only()),
    Case("GET", "/api/v1/reports/conversion", _api_url, API),
    Case("GET", "/api/v1/reports/conversion", f"/api/v1/reports/conversion?{PERIOD}", API),
    Case("GET", "/api/v1/reports/conversion", "/api/v1/reports/conversion?from=2025-13-01",
         {**API, "organiser": 400, "admin": 400}),
]
