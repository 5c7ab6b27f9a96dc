"""Access-matrix rows for producer imports and duplicate reviews: staff only."""

from matchmaker.catalogue.models import Product
from matchmaker.extensions import db
from matchmaker.imports.models import ImportRow, MatchReview, ProducerImport
from matchmaker.organisations.models import Organisation, Side
from tests.access import Case, staff_only


def make_review(name: str, candidate_name: str, products: int = 1) -> MatchReview:
    """Two producers with products and a pending review flagging the first against the
    second (committed)."""
    org = Organisation(name=name, side=Side.PRODUCER, source="imported", province_code=40)
    candidate = Organisation(name=candidate_name, side=Side.PRODUCER, source="imported",
                             province_code=40, address_as_written="Diễn Châu")
    db.session.add_all([org, candidate])
    for i in range(products):
        db.session.add_all([
            Product(organisation=org, name=f"Nước mắm hạ thổ {i}", unit="chai", ocop_stars=4,
                    ocop_year=2019),
            Product(organisation=candidate, name=f"Nước mắm hạ thổ {i}", unit="chai",
                    ocop_stars=4, ocop_year=2023),
        ])
    review = MatchReview(organisation=org, candidate=candidate, similarity=0.85,
                         status="pending", organisation_name=name, organisation_key="")
    db.session.add(review)
    db.session.commit()
    return review


def setup(world: dict) -> None:
    run = ProducerImport(filename="nghe-an.csv", file_sha256="0" * 64, rows_total=3,
                         rows_imported=1, rows_merged=1, rows_skipped=1,
                         imported_by_id=world["organiser"].id)
    db.session.add(run)
    db.session.flush()
    db.session.add_all([
        ImportRow(import_id=run.id, row_number=2, outcome="skipped",
                  reason="producer_not_stated", detail="(not stated in source excerpt)",
                  product_name="Hạt sen sấy", producer_name="(not stated in source excerpt)"),
        ImportRow(import_id=run.id, row_number=3, outcome="imported", product_name="Trà",
                  producer_name=world["org_a"].name, organisation_id=world["org_a"].id),
        ImportRow(import_id=run.id, row_number=4, outcome="merged", reason="older_evaluation",
                  detail="2019", product_name="Trà", producer_name=world["org_a"].name,
                  organisation_id=world["org_a"].id),
    ])
    db.session.commit()
    world["import"] = run
    world["review"] = make_review("Công ty CP Thủy sản Vạn Phần",
                                  "Công ty cổ phần Thủy sản Vạn Phần Diễn Châu")


def _fresh_review(action: str):
    def url(world: dict) -> str:
        # A review of its own for each visitor: the previous one was decided. End the test's
        # read snapshot first, or SQLite refuses this session's write.
        db.session.rollback()
        review = make_review(f"HTX Chè xanh Thanh Đức {action}",
                             f"HTX Chè xanh Thanh Đức Thanh Chương {action}")
        return f"/imports/reviews/{review.id}/{action}"
    return url


CASES = [
    Case("GET", "/imports/", "/imports/", staff_only()),
    Case("POST", "/imports/", "/imports/", staff_only(200), data={"province": ""}),
    Case("GET", "/imports/<int:import_id>", lambda w: f"/imports/{w['import'].id}",
         staff_only()),
    Case("GET", "/imports/reviews", "/imports/reviews", staff_only()),
    Case("POST", "/imports/reviews/<int:review_id>/merge", _fresh_review("merge"),
         staff_only(302)),
    Case("POST", "/imports/reviews/<int:review_id>/keep-apart", _fresh_review("keep-apart"),
         staff_only(302)),
]
